/* sources: kernel/lguest/mmio_decode.c */
/* The mov forms of ioread/iowrite, each copied into a block of exactly
 * avail bytes so an over-read is caught by AddressSanitizer. */
#include <stdlib.h>
#include <string.h>
#include "kernel/lguest/mmio_decode.h"
#include "tests/unit/check.h"

static struct mmio_insn mi;

static uint32_t dec(const uint8_t *bytes, uint32_t avail)
{
    uint8_t *p = avail ? malloc(avail) : NULL;
    if (avail)
        memcpy(p, bytes, avail);
    uint32_t n = mmio_decode(p, avail, &mi);
    free(p);
    return n;
}

#define DEC(avail, ...) dec((const uint8_t[]){ __VA_ARGS__ }, avail)

static void loads(void)
{
    CHECK_EQ(DEC(2, 0x8B, 0x00), 2);                /* mov (%eax), %eax */
    CHECK(!mi.write && mi.size == 4 && mi.reg == 0);
    CHECK_EQ(DEC(3, 0x66, 0x8B, 0x10), 3);          /* mov (%eax), %dx */
    CHECK(!mi.write && mi.size == 2 && mi.reg == 2);
    CHECK_EQ(DEC(2, 0x8A, 0x27), 2);                /* mov (%edi), %ah */
    CHECK(!mi.write && mi.size == 1 && mi.reg == 4);
    CHECK_EQ(DEC(3, 0x8B, 0x43, 0x38), 3);          /* mov 0x38(%ebx), %eax */
    CHECK_EQ(DEC(6, 0x8B, 0x83, 0x00, 0x10, 0, 0), 6);  /* mov 0x1000(%ebx), %eax */
    CHECK_EQ(DEC(3, 0x8B, 0x04, 0x24), 3);          /* mov (%esp), %eax: SIB */
    CHECK_EQ(DEC(4, 0x8B, 0x44, 0x24, 0x08), 4);    /* mov 8(%esp), %eax */
    CHECK_EQ(DEC(7, 0x8B, 0x04, 0x25, 1, 2, 3, 4), 7);  /* SIB without base: disp32 */
    CHECK_EQ(DEC(6, 0x8B, 0x05, 1, 2, 3, 4), 6);    /* disp32 alone */
}

static void stores(void)
{
    CHECK_EQ(DEC(2, 0x89, 0x0A), 2);                /* mov %ecx, (%edx) */
    CHECK(mi.write && mi.size == 4 && mi.reg == 1 && !mi.has_imm);
    CHECK_EQ(DEC(3, 0x66, 0x89, 0x02), 3);          /* mov %ax, (%edx) */
    CHECK(mi.write && mi.size == 2);
    CHECK_EQ(DEC(2, 0x88, 0x18), 2);                /* mov %bl, (%eax) */
    CHECK(mi.write && mi.size == 1 && mi.reg == 3);
    CHECK_EQ(DEC(3, 0xC6, 0x00, 0x7F), 3);          /* movb $0x7f, (%eax) */
    CHECK(mi.write && mi.has_imm && mi.imm == 0x7F && mi.size == 1);
    CHECK_EQ(DEC(5, 0x66, 0xC7, 0x40, 0x38, 0x02, 0x00), 0);   /* cut short: avail 5 of 6 */
    CHECK_EQ(DEC(6, 0x66, 0xC7, 0x40, 0x38, 0x02, 0x00), 6);   /* movw $2, 0x38(%eax) */
    CHECK(mi.has_imm && mi.imm == 2 && mi.size == 2);
    CHECK_EQ(DEC(6, 0xC7, 0x00, 0x78, 0x56, 0x34, 0x12), 6);   /* movl $0x12345678, (%eax) */
    CHECK_EQ(mi.imm, 0x12345678u);
}

static void refused(void)
{
    CHECK_EQ(DEC(0), 0);
    CHECK_EQ(DEC(1, 0x8B), 0);                      /* no ModRM */
    CHECK_EQ(DEC(2, 0x8B, 0xC0), 0);                /* register operand */
    CHECK_EQ(DEC(2, 0x8B, 0x43), 0);                /* disp8 missing */
    CHECK_EQ(DEC(2, 0x8B, 0x04), 0);                /* SIB missing */
    CHECK_EQ(DEC(3, 0x8B, 0x04, 0x25), 0);          /* disp32 after SIB missing */
    CHECK_EQ(DEC(2, 0x01, 0x00), 0);                /* add */
    CHECK_EQ(DEC(3, 0x0F, 0xB6, 0x00), 0);          /* movzbl */
    CHECK_EQ(DEC(2, 0xF3, 0xA5), 0);                /* rep movsl */
    CHECK_EQ(DEC(3, 0xF0, 0x89, 0x00), 0);          /* lock prefix */
    CHECK_EQ(DEC(3, 0xC7, 0x08, 0), 0);             /* C7 /1 */
    CHECK_EQ(DEC(3, 0x66, 0x88, 0x00), 0);          /* 66 before a byte store */
    CHECK_EQ(DEC(2, 0x66, 0x66), 0);
    /* every first byte: only the six opcodes and 66 can start a form */
    for (uint32_t b = 0; b < 256; b++) {
        uint8_t bytes[8] = { (uint8_t)b, 0x00, 0, 0, 0, 0, 0, 0 };
        uint32_t n = dec(bytes, 8);
        bool ok = b == 0x88 || b == 0x89 || b == 0x8A || b == 0x8B || b == 0xC6 || b == 0xC7;
        CHECK(ok ? n > 0 : n == 0);
    }
}

int main(void)
{
    RUN(loads);
    RUN(stores);
    RUN(refused);
    return CHECK_EXIT_STATUS();
}
