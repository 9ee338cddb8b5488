/* sources: kernel/lguest/gate.c */
/* LHCALL_LOAD_IDT_ENTRY validation: the order of the checks (vector,
 * ignored vectors, present, type, handler), Linux 3.10's real gates, and
 * that the stored gate always names the guest kernel CS 0x61. */
#include <stdint.h>
#include "kernel/lguest/gate.h"
#include "tests/unit/check.h"

#define LIMIT   0xFFC00000u             /* the switcher at the top 4 MiB */
#define JUNK    0x5A5A5A5A5A5A5A5Aull   /* *out before a call that must not set it */

/* Linux builds its gates with __KERNEL_CS = 0x60. */
static uint32_t lo_of(uint32_t handler, uint32_t sel) { return sel << 16 | (handler & 0xFFFF); }
static uint32_t hi_of(uint32_t handler, uint32_t flags) { return (handler & 0xFFFF0000u) | flags; }

static void linux_interrupt_gate(void)
{
    uint64_t g = JUNK;
    CHECK_EQ(gate_from_guest(14, lo_of(0xC15A3F20, 0x60), hi_of(0xC15A3F20, 0x8E00), LIMIT, &g),
             GATE_OK);
    CHECK_EQ(g, 0xC15A8E0000613F20ull);
    CHECK_EQ(gate_offset(g), 0xC15A3F20);
    CHECK_EQ(gate_type(g), GATE_TYPE_INT);
    CHECK_EQ(gate_dpl(g), 0);
    CHECK_EQ(gate_present(g), 1);
    /* an IRQ vector */
    CHECK_EQ(gate_from_guest(0x20, lo_of(0xC1001000, 0x60), hi_of(0xC1001000, 0x8E00), LIMIT, &g),
             GATE_OK);
    CHECK_EQ(g, 0xC1008E0000611000ull);
}

static void linux_int3_dpl3(void)
{
    uint64_t g = JUNK;
    CHECK_EQ(gate_from_guest(3, lo_of(0xC15A1234, 0x60), hi_of(0xC15A1234, 0xEE00), LIMIT, &g),
             GATE_OK);
    CHECK_EQ(g, 0xC15AEE0000611234ull);
    CHECK_EQ(gate_dpl(g), 3);
    CHECK_EQ(gate_type(g), GATE_TYPE_INT);
    CHECK_EQ(gate_from_guest(4, lo_of(0xC15A1240, 0x60), hi_of(0xC15A1240, 0xEE00), LIMIT, &g),
             GATE_OK);
    CHECK_EQ(gate_dpl(g), 3);
}

static void linux_syscall_trap_gate(void)
{
    uint64_t g = JUNK;
    CHECK_EQ(gate_from_guest(0x80, lo_of(0xC15A27C8, 0x60), hi_of(0xC15A27C8, 0xEF00), LIMIT, &g),
             GATE_OK);
    CHECK_EQ(g, 0xC15AEF00006127C8ull);
    CHECK_EQ(gate_type(g), GATE_TYPE_TRAP);
    CHECK_EQ(gate_dpl(g), 3);
    CHECK_EQ(gate_offset(g), 0xC15A27C8);
}

/* The selector the guest sends is never used: ring-0 and host selectors
 * become 0x61 like any other. */
static void selector_forced(void)
{
    static const uint32_t sel[] = { 0, 0x08, 0x10, 0x50, 0x58, 0x60, 0x73, 0x80, 0xFFFF };
    for (unsigned i = 0; i < sizeof(sel) / sizeof(sel[0]); i++) {
        uint64_t g = JUNK;
        CHECK_EQ(gate_from_guest(0x30, lo_of(0xC0001234, sel[i]), 0xC0008E00, LIMIT, &g), GATE_OK);
        CHECK_EQ((uint32_t)g, 0x00611234);
    }
}

/* Reserved bits 0..7 and bit 12 are cleared; DPL 1 and 2 kept as sent. */
static void high_word_masked(void)
{
    uint64_t g = JUNK;
    CHECK_EQ(gate_from_guest(0x40, 0x00601234, 0xC0009EFF, LIMIT, &g), GATE_OK);
    CHECK_EQ(g >> 32, 0xC0008E00);
    CHECK_EQ(gate_from_guest(0x40, 0x00601234, 0xC000FFFF, LIMIT, &g), GATE_OK);
    CHECK_EQ(g >> 32, 0xC000EF00);
    CHECK_EQ(gate_from_guest(0x40, 0x00601234, 0xC000AE00, LIMIT, &g), GATE_OK);
    CHECK_EQ(gate_dpl(g), 1);
    CHECK_EQ(gate_from_guest(0x40, 0x00601234, 0xC000CF00, LIMIT, &g), GATE_OK);
    CHECK_EQ(gate_dpl(g), 2);
}

static void vector_range(void)
{
    uint64_t g = JUNK;
    CHECK_EQ(gate_from_guest(0, 0x00601000, 0xC0008E00, LIMIT, &g), GATE_OK);
    CHECK_EQ(gate_offset(g), 0xC0001000);
    g = JUNK;
    CHECK_EQ(gate_from_guest(255, 0x00601000, 0xC0008E00, LIMIT, &g), GATE_OK);
    CHECK_EQ(gate_offset(g), 0xC0001000);
    static const uint32_t bad[] = { 256, 257, 0x102, 0x108, 0x11F, 0x10000, 0x80000000, 0xFFFFFFFF };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        g = JUNK;
        CHECK_EQ(gate_from_guest(bad[i], 0x00601000, 0xC0008E00, LIMIT, &g), GATE_BAD_VECTOR);
        CHECK_EQ(gate_from_guest(bad[i], 0, 0, LIMIT, &g), GATE_BAD_VECTOR);    /* even not present */
        CHECK_EQ(gate_from_guest(bad[i], 0, 0xFFFFFFFF, 0, &g), GATE_BAD_VECTOR);
        CHECK_EQ(g, JUNK);
    }
}

/* The hypervisor's vectors are ignored whatever the gate holds, including
 * Linux's double-fault task gate (type 5). */
static void ignored_vectors(void)
{
    static const uint32_t v[] = { 2, 8, 15, 0x1F };
    static const uint32_t hi[] = {
        0xC0008E00, 0xC000EF00, 0x00008500, 0xFFFF8E00, 0xFFFFFFFF, 0, 0x00007FFF,
    };
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < sizeof(hi) / sizeof(hi[0]); j++) {
            uint64_t g = JUNK;
            CHECK_EQ(gate_from_guest(v[i], 0x00601000, hi[j], LIMIT, &g), GATE_IGNORED);
            CHECK_EQ(gate_from_guest(v[i], 0xFFFFFFFF, hi[j], 0, &g), GATE_IGNORED);
            CHECK_EQ(g, JUNK);
        }
    /* the neighbours are not */
    static const uint32_t near[] = { 1, 3, 7, 9, 14, 16, 0x1E, 0x20 };
    for (unsigned i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
        uint64_t g = JUNK;
        CHECK_EQ(gate_from_guest(near[i], 0x00601000, 0xC0008E00, LIMIT, &g), GATE_OK);
    }
}

/* Not present: stored as 0, whatever else the words hold (a bad type, a
 * handler in the switcher, a DPL 3). */
static void not_present_is_zero(void)
{
    static const uint32_t hi[] = { 0, 0x00007FFF, 0xFFFF7FFF, 0xFFFF6500, 0x00000E00, 0xFFFF6F00 };
    for (unsigned i = 0; i < sizeof(hi) / sizeof(hi[0]); i++) {
        uint64_t g = JUNK;
        CHECK_EQ(gate_from_guest(0x21, 0xFFFFFFFF, hi[i], LIMIT, &g), GATE_OK);
        CHECK_EQ(g, 0);
        g = JUNK;
        CHECK_EQ(gate_from_guest(0x21, 0xFFFFFFFF, hi[i], 0, &g), GATE_OK);
        CHECK_EQ(g, 0);
    }
}

/* Only 32-bit interrupt and trap gates: task gate 5, call gate C, 16-bit
 * gates 6/7, TSS 9/B, LDT 2 and the rest are refused, at any DPL. */
static void types(void)
{
    for (uint32_t type = 0; type < 16; type++)
        for (uint32_t dpl = 0; dpl < 4; dpl++)
            for (uint32_t s = 0; s < 2; s++) {
                uint64_t g = JUNK;
                uint32_t hi = 0xC0008000 | dpl << 13 | s << 12 | type << 8;
                enum gate_result want = (type == 0xE || type == 0xF) ? GATE_OK : GATE_BAD_TYPE;
                CHECK_EQ(gate_from_guest(0x41, 0x00601000, hi, LIMIT, &g), want);
                if (want == GATE_OK) {
                    CHECK_EQ(gate_type(g), type);
                    CHECK_EQ(gate_dpl(g), dpl);
                    CHECK_EQ(g >> 44 & 1, 0);
                } else {
                    CHECK_EQ(g, JUNK);
                }
            }
}

/* The type is judged before the handler. */
static void type_before_handler(void)
{
    uint64_t g = JUNK;
    CHECK_EQ(gate_from_guest(0x41, 0xFFFFFFFF, 0xFFFF8500, LIMIT, &g), GATE_BAD_TYPE);
    CHECK_EQ(gate_from_guest(0x41, 0, 0x8C00, 0, &g), GATE_BAD_TYPE);
    CHECK_EQ(g, JUNK);
}

static void handler_limit(void)
{
    uint64_t g = JUNK;
    /* offset = limit - 1, == limit, limit + 1, the top */
    CHECK_EQ(gate_from_guest(0x30, 0x0060FFFF, 0xFFBF8E00, LIMIT, &g), GATE_OK);
    CHECK_EQ(gate_offset(g), 0xFFBFFFFF);
    g = JUNK;
    CHECK_EQ(gate_from_guest(0x30, 0x00600000, 0xFFC08E00, LIMIT, &g), GATE_BAD_HANDLER);
    CHECK_EQ(gate_from_guest(0x30, 0x00600001, 0xFFC08E00, LIMIT, &g), GATE_BAD_HANDLER);
    CHECK_EQ(gate_from_guest(0x30, 0x0060FFFF, 0xFFFF8E00, LIMIT, &g), GATE_BAD_HANDLER);
    CHECK_EQ(gate_from_guest(0x80, 0x0060FFFF, 0xFFFFEF00, LIMIT, &g), GATE_BAD_HANDLER);
    CHECK_EQ(g, JUNK);
    /* both halves of the offset count: a high half alone or low half alone */
    CHECK_EQ(gate_from_guest(0x30, 0x0060FFFF, 0x00008E00, 0x10000, &g), GATE_OK);
    CHECK_EQ(gate_from_guest(0x30, 0x00600000, 0x00018E00, 0x10000, &g), GATE_BAD_HANDLER);
    CHECK_EQ(gate_from_guest(0x30, 0x00600000, 0x00008E00, 0x10000, &g), GATE_OK);
    CHECK_EQ(gate_from_guest(0x30, 0x00600001, 0x00008E00, 1, &g), GATE_BAD_HANDLER);
}

static void handler_limit_extremes(void)
{
    uint64_t g = JUNK;
    /* limit 0: no present gate at all */
    CHECK_EQ(gate_from_guest(0x30, 0x00600000, 0x00008E00, 0, &g), GATE_BAD_HANDLER);
    CHECK_EQ(g, JUNK);
    /* limit 0xFFFFFFFF: everything but the very last byte */
    CHECK_EQ(gate_from_guest(0x30, 0x0060FFFE, 0xFFFF8E00, 0xFFFFFFFF, &g), GATE_OK);
    CHECK_EQ(gate_offset(g), 0xFFFFFFFE);
    CHECK_EQ(gate_from_guest(0x30, 0x0060FFFF, 0xFFFF8E00, 0xFFFFFFFF, &g), GATE_BAD_HANDLER);
}

int main(void)
{
    RUN(linux_interrupt_gate);
    RUN(linux_int3_dpl3);
    RUN(linux_syscall_trap_gate);
    RUN(selector_forced);
    RUN(high_word_masked);
    RUN(vector_range);
    RUN(ignored_vectors);
    RUN(not_present_is_zero);
    RUN(types);
    RUN(type_before_handler);
    RUN(handler_limit);
    RUN(handler_limit_extremes);
    return CHECK_EXIT_STATUS();
}
