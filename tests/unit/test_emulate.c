/* sources: kernel/lguest/emulate.c */
/* cli, in and out for a ring-1 guest kernel (ABI 4.6): lengths, the EAX
 * result of each in form, and that nothing past avail is ever read. Each
 * instruction is copied into a malloc block of exactly avail bytes, so an
 * over-read is caught by AddressSanitizer when it is available. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/lguest/emulate.h"
#include "tests/unit/check.h"

static uint32_t dr(const uint8_t *bytes, uint32_t avail, uint32_t *reg, uint32_t *value)
{
    uint8_t *p = avail ? malloc(avail) : NULL;
    if (avail)
        memcpy(p, bytes, avail);
    uint32_t n = emulate_dr_read(p, avail, reg, value);
    free(p);
    return n;
}

#define DR(reg, value, avail, ...) dr((const uint8_t[]){ __VA_ARGS__ }, avail, reg, value)

static void dr_reads(void)
{
    uint32_t reg = 99, value = 99;
    CHECK_EQ(DR(&reg, &value, 3, 0x0F, 0x21, 0xC0), 3);          /* mov %dr0, %eax */
    CHECK_EQ(reg, 0);
    CHECK_EQ(value, 0);
    CHECK_EQ(DR(&reg, &value, 3, 0x0F, 0x21, 0xF7), 3);          /* mov %dr6, %edi */
    CHECK_EQ(reg, 7);
    CHECK_EQ(value, 0xFFFF0FF0u);
    CHECK_EQ(DR(&reg, &value, 3, 0x0F, 0x21, 0xFA), 3);          /* mov %dr7, %edx */
    CHECK_EQ(reg, 2);
    CHECK_EQ(value, 0x400);
    CHECK_EQ(DR(&reg, &value, 3, 0x0F, 0x21, 0xCB), 3);          /* mov %dr1, %ebx */
    CHECK_EQ(reg, 3);
}

static void dr_refused(void)
{
    uint32_t reg = 99, value = 99;
    CHECK_EQ(DR(&reg, &value, 3, 0x0F, 0x21, 0xC4), 0);          /* into %esp */
    CHECK_EQ(DR(&reg, &value, 3, 0x0F, 0x21, 0xE0), 0);          /* %dr4 */
    CHECK_EQ(DR(&reg, &value, 3, 0x0F, 0x21, 0x00), 0);          /* memory form */
    CHECK_EQ(DR(&reg, &value, 3, 0x0F, 0x23, 0xC0), 0);          /* mov to %dr0: never */
    CHECK_EQ(DR(&reg, &value, 2, 0x0F, 0x21), 0);                /* bytes missing */
    CHECK_EQ(DR(&reg, &value, 0, 0x0F), 0);
    CHECK_EQ(reg, 99);
    CHECK_EQ(value, 99);
}

static uint32_t cr(const uint8_t *bytes, uint32_t avail, uint32_t *reg, uint32_t *value)
{
    uint8_t *p = avail ? malloc(avail) : NULL;
    if (avail)
        memcpy(p, bytes, avail);
    uint32_t n = emulate_cr4_read(p, avail, reg, value);
    free(p);
    return n;
}

#define CR(reg, value, avail, ...) cr((const uint8_t[]){ __VA_ARGS__ }, avail, reg, value)

static void cr4_reads(void)
{
    uint32_t reg = 99, value = 99;
    CHECK_EQ(CR(&reg, &value, 3, 0x0F, 0x20, 0xE0), 3);          /* mov %cr4, %eax (Linux 4.4) */
    CHECK_EQ(reg, 0);
    CHECK_EQ(value, 0);
    value = 99;
    CHECK_EQ(CR(&reg, &value, 3, 0x0F, 0x20, 0xE7), 3);          /* mov %cr4, %edi */
    CHECK_EQ(reg, 7);
    CHECK_EQ(value, 0);
    reg = value = 99;
    CHECK_EQ(CR(&reg, &value, 3, 0x0F, 0x20, 0xE4), 0);          /* into %esp */
    CHECK_EQ(CR(&reg, &value, 3, 0x0F, 0x20, 0xC0), 0);          /* %cr0 */
    CHECK_EQ(CR(&reg, &value, 3, 0x0F, 0x20, 0xD8), 0);          /* %cr3 */
    CHECK_EQ(CR(&reg, &value, 3, 0x0F, 0x22, 0xE0), 0);          /* mov to %cr4: never */
    CHECK_EQ(CR(&reg, &value, 3, 0x0F, 0x20, 0x20), 0);          /* memory form */
    CHECK_EQ(CR(&reg, &value, 2, 0x0F, 0x20), 0);                /* bytes missing */
    CHECK_EQ(reg, 99);
    CHECK_EQ(value, 99);
}

/* Emulates bytes[0, avail) starting from EAX = *eax. */
static uint32_t emu(const uint8_t *bytes, uint32_t avail, uint32_t *eax)
{
    uint8_t *p = avail ? malloc(avail) : NULL;
    if (avail)
        memcpy(p, bytes, avail);
    uint32_t n = emulate_io(p, avail, eax);
    free(p);
    return n;
}

#define EMU(eax, avail, ...) \
    emu((const uint8_t[]){ __VA_ARGS__ }, avail, eax)

static void cli(void)
{
    uint32_t eax = 0x12345678;
    CHECK_EQ(EMU(&eax, 1, 0xFA), 1);
    CHECK_EQ(EMU(&eax, 2, 0xFA, 0x90), 1);
    CHECK_EQ(EMU(&eax, 3, 0xFA, 0xE4, 0x80), 1);
    CHECK_EQ(eax, 0x12345678);
}

static void nothing_available(void)
{
    uint32_t eax = 0x12345678;
    CHECK_EQ(emulate_io(NULL, 0, &eax), 0);     /* must not even look */
    CHECK_EQ(eax, 0x12345678);
}

static void in_imm8(void)
{
    uint32_t eax = 0x12345600;
    CHECK_EQ(EMU(&eax, 2, 0xE4, 0x71), 2);      /* inb $0x71: AL only */
    CHECK_EQ(eax, 0x123456FF);
    eax = 0x12345678;
    CHECK_EQ(EMU(&eax, 3, 0xE5, 0x40, 0x00), 2);    /* inl $0x40 */
    CHECK_EQ(eax, 0xFFFFFFFF);
    eax = 0x12340000;
    CHECK_EQ(EMU(&eax, 3, 0x66, 0xE5, 0x40), 3);    /* inw $0x40: AX only */
    CHECK_EQ(eax, 0x1234FFFF);
    eax = 0x12345600;
    CHECK_EQ(EMU(&eax, 3, 0x66, 0xE4, 0x40), 3);    /* 66 on a byte form: still AL */
    CHECK_EQ(eax, 0x123456FF);
}

static void in_dx(void)
{
    uint32_t eax = 0xABCDEF00;
    CHECK_EQ(EMU(&eax, 1, 0xEC), 1);
    CHECK_EQ(eax, 0xABCDEFFF);
    eax = 0;
    CHECK_EQ(EMU(&eax, 3, 0xED, 0x00, 0x00), 1);
    CHECK_EQ(eax, 0xFFFFFFFF);
    eax = 0xABCD0000;
    CHECK_EQ(EMU(&eax, 2, 0x66, 0xED), 2);
    CHECK_EQ(eax, 0xABCDFFFF);
    eax = 0xABCDEF00;
    CHECK_EQ(EMU(&eax, 2, 0x66, 0xEC), 2);
    CHECK_EQ(eax, 0xABCDEFFF);
}

static void out_dropped(void)
{
    uint32_t eax = 0x12345678;
    CHECK_EQ(EMU(&eax, 2, 0xE6, 0x80), 2);      /* outb %al, $0x80: the I/O delay */
    CHECK_EQ(EMU(&eax, 2, 0xE7, 0x43), 2);
    CHECK_EQ(EMU(&eax, 3, 0x66, 0xE7, 0x43), 3);
    CHECK_EQ(EMU(&eax, 3, 0x66, 0xE6, 0x43), 3);
    CHECK_EQ(EMU(&eax, 1, 0xEE), 1);
    CHECK_EQ(EMU(&eax, 1, 0xEF), 1);
    CHECK_EQ(EMU(&eax, 2, 0x66, 0xEF), 2);
    CHECK_EQ(EMU(&eax, 2, 0x66, 0xEE), 2);
    CHECK_EQ(EMU(&eax, 3, 0xEE, 0xFA, 0xFA), 1);
    CHECK_EQ(eax, 0x12345678);
}

/* Cut short by avail: nothing emulated, EAX untouched. */
static void cut_short(void)
{
    uint32_t eax = 0x12345678;
    CHECK_EQ(EMU(&eax, 1, 0xE4), 0);
    CHECK_EQ(EMU(&eax, 1, 0xE5), 0);
    CHECK_EQ(EMU(&eax, 1, 0xE6), 0);
    CHECK_EQ(EMU(&eax, 1, 0xE7), 0);
    CHECK_EQ(EMU(&eax, 1, 0x66), 0);
    CHECK_EQ(EMU(&eax, 2, 0x66, 0xE5), 0);
    CHECK_EQ(EMU(&eax, 2, 0x66, 0xE4), 0);
    CHECK_EQ(EMU(&eax, 2, 0x66, 0xE6), 0);
    CHECK_EQ(eax, 0x12345678);
}

static void not_emulated(void)
{
    uint32_t eax = 0x12345678;
    CHECK_EQ(EMU(&eax, 2, 0x66, 0xFA), 0);      /* 66 cli */
    CHECK_EQ(EMU(&eax, 3, 0x66, 0x66, 0xE4), 0);    /* two prefixes */
    CHECK_EQ(EMU(&eax, 3, 0x66, 0x66, 0xEC), 0);
    CHECK_EQ(EMU(&eax, 1, 0xFB), 0);            /* sti */
    CHECK_EQ(EMU(&eax, 1, 0xF4), 0);            /* hlt */
    CHECK_EQ(EMU(&eax, 1, 0x6C), 0);            /* insb */
    CHECK_EQ(EMU(&eax, 1, 0x6D), 0);
    CHECK_EQ(EMU(&eax, 1, 0x6E), 0);            /* outsb */
    CHECK_EQ(EMU(&eax, 1, 0x6F), 0);
    CHECK_EQ(EMU(&eax, 2, 0xF3, 0x6E), 0);      /* rep outsb */
    CHECK_EQ(EMU(&eax, 2, 0x0F, 0x32), 0);      /* rdmsr */
    CHECK_EQ(EMU(&eax, 2, 0x0F, 0x01), 0);      /* lgdt and friends */
    CHECK_EQ(EMU(&eax, 2, 0x0F, 0x22), 0);      /* mov to cr */
    CHECK_EQ(EMU(&eax, 3, 0x67, 0xE4, 0x80), 0);    /* other prefixes */
    CHECK_EQ(EMU(&eax, 3, 0xF0, 0xE4, 0x80), 0);
    CHECK_EQ(EMU(&eax, 3, 0x2E, 0xEC, 0x00), 0);
    CHECK_EQ(EMU(&eax, 3, 0xE8, 0x00, 0x00), 0);    /* neighbours E8..EB: call, jmp */
    CHECK_EQ(EMU(&eax, 3, 0xE9, 0x00, 0x00), 0);
    CHECK_EQ(EMU(&eax, 3, 0xEA, 0x00, 0x00), 0);
    CHECK_EQ(EMU(&eax, 3, 0xEB, 0x00, 0x00), 0);
    CHECK_EQ(EMU(&eax, 3, 0xE3, 0x00, 0x00), 0);
    CHECK_EQ(EMU(&eax, 3, 0xF0, 0x00, 0x00), 0);
    CHECK_EQ(EMU(&eax, 3, 0x66, 0xE8, 0x00), 0);
    CHECK_EQ(eax, 0x12345678);
}

/* Every first byte: only cli, the eight in/out opcodes and the 66 prefix
 * (followed by one of them) are emulated, with the lengths of ABI 4.6. */
static void every_first_byte(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t eax = 0x12345678, want = 0;
        if (b == 0xFA || (b >= 0xEC && b <= 0xEF))
            want = 1;
        else if (b >= 0xE4 && b <= 0xE7)
            want = 2;
        else if (b == 0x66)
            want = 2;           /* 66 EC below */
        CHECK_EQ(EMU(&eax, 3, (uint8_t)b, 0xEC, 0x00), want);
        uint32_t want_e4 = b == 0x66 ? 3 : want;        /* 66 E4 xx */
        CHECK_EQ(EMU(&eax, 3, (uint8_t)b, 0xE4, 0x00), want_e4);
    }
}

/* Every byte after 66. */
static void every_byte_after_prefix(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t eax = 0, want = 0;
        if (b >= 0xEC && b <= 0xEF)
            want = 2;
        else if (b >= 0xE4 && b <= 0xE7)
            want = 3;
        CHECK_EQ(EMU(&eax, 3, 0x66, (uint8_t)b, 0x00), want);
        uint32_t in_word = b == 0xE5 || b == 0xED, in_byte = b == 0xE4 || b == 0xEC;
        CHECK_EQ(eax, in_word ? 0xFFFF : in_byte ? 0xFF : 0);
    }
}

static void decoded(void)
{
    struct io_insn io;
    CHECK_EQ(emulate_io_decode((const uint8_t[]){ 0xED }, 1, &io), 1);     /* in (%dx), %eax */
    CHECK(io.in && io.dx && io.size == 4 && !io.cli);
    CHECK_EQ(emulate_io_decode((const uint8_t[]){ 0x66, 0xEF }, 2, &io), 2);   /* out %ax, (%dx) */
    CHECK(!io.in && io.dx && io.size == 2);
    CHECK_EQ(emulate_io_decode((const uint8_t[]){ 0xE6, 0x70 }, 2, &io), 2);   /* out %al, $0x70 */
    CHECK(!io.in && !io.dx && io.size == 1 && io.port == 0x70);
    CHECK_EQ(emulate_io_decode((const uint8_t[]){ 0xE5, 0xCF }, 1, &io), 0);   /* cut short */
    CHECK_EQ(io.len, 0);
    CHECK_EQ(emulate_io_decode((const uint8_t[]){ 0xFA }, 1, &io), 1);
    CHECK(io.cli);
    uint32_t eax = 0x12345678;
    emulate_io_merge(&eax, 1, 0xAB);
    CHECK_EQ(eax, 0x123456AB);
    emulate_io_merge(&eax, 2, 0xFFFFCDEF);
    CHECK_EQ(eax, 0x1234CDEF);
    emulate_io_merge(&eax, 4, 7);
    CHECK_EQ(eax, 7);
}

int main(void)
{
    RUN(cli);
    RUN(nothing_available);
    RUN(in_imm8);
    RUN(in_dx);
    RUN(out_dropped);
    RUN(cut_short);
    RUN(not_emulated);
    RUN(every_first_byte);
    RUN(every_byte_after_prefix);
    RUN(decoded);
    RUN(dr_reads);
    RUN(cr4_reads);
    RUN(dr_refused);
    return CHECK_EXIT_STATUS();
}
