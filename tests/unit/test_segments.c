/* sources: kernel/lguest/segments.c */
/* Guest descriptors and selectors: the DPL and accessed-bit fix-ups on
 * Linux's real descriptors, refusal of every system descriptor, the
 * host-owned slots, and the CPU's segment-load rules for the selectors a
 * 3.10 guest uses (0x61, 0x69, 0x73, 0x7B, 0xD8, 0xE0). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lguest/segments.h"
#include "tests/unit/check.h"

/* Linux 3.10's descriptors as the guest sends them. */
#define LINUX_KERNEL_CS 0x00CF9B000000FFFFull
#define LINUX_KERNEL_DS 0x00CF93000000FFFFull
#define LINUX_USER_CS   0x00CFFB000000FFFFull
#define LINUX_USER_DS   0x00CFF3000000FFFFull
#define LINUX_PERCPU    0xC0CF9312A000FFFFull   /* base 0xC012A000-ish, DPL 0 */
#define LINUX_CANARY    0xC1409380000C0018ull   /* small stack-canary segment, DPL 0 */
#define HOST_CS         0x00CF9B000000FFFFull
#define HOST_DS         0x00CF93000000FFFFull
#define HOST_TSS        0x0000890000000067ull

/* A flat descriptor with the given access byte (bits 40..47). */
static uint64_t flat(uint32_t access)
{
    return 0x00CF00000000FFFFull | (uint64_t)(access & 0xFF) << 40;
}

static void host_owned_exactly_four(void)
{
    for (uint32_t i = 0; i < 64; i++)
        CHECK_EQ(gdt_index_host_owned(i), i == 10 || i == 11 || i == 16 || i == 31);
    CHECK(!gdt_index_host_owned(0xFFFFFFFF));
    CHECK(!gdt_index_host_owned(10 + 32));
    CHECK(!gdt_index_host_owned(0x8000000A));
}

static void fixup_linux_descriptors(void)
{
    CHECK_EQ(gdt_fixup(LINUX_KERNEL_CS), 0x00CFBB000000FFFFull);
    CHECK_EQ(gdt_fixup(LINUX_KERNEL_DS), 0x00CFB3000000FFFFull);
    CHECK_EQ(gdt_fixup(LINUX_USER_CS), LINUX_USER_CS);
    CHECK_EQ(gdt_fixup(LINUX_USER_DS), LINUX_USER_DS);
    CHECK_EQ(gdt_fixup(LINUX_PERCPU), 0xC0CFB312A000FFFFull);
    CHECK_EQ(gdt_fixup(LINUX_CANARY), 0xC140B380000C0018ull);
    /* user descriptors as built before first use: accessed bit clear */
    CHECK_EQ(gdt_fixup(0x00CFFA000000FFFFull), LINUX_USER_CS);
    CHECK_EQ(gdt_fixup(0x00CFF2000000FFFFull), LINUX_USER_DS);
    /* a 16-bit data segment (ESPFIX) is stored like the rest */
    CHECK_EQ(gdt_fixup(0x0000920000000000ull), 0x0000B30000000000ull);
}

static void fixup_dpl(void)
{
    CHECK_EQ(gdt_fixup(flat(0x92)), flat(0xB3));    /* DPL 0 -> 1 */
    CHECK_EQ(gdt_fixup(flat(0xB2)), flat(0xB3));    /* DPL 1 kept */
    CHECK_EQ(gdt_fixup(flat(0xD2)), flat(0xD3));    /* DPL 2 kept */
    CHECK_EQ(gdt_fixup(flat(0xF2)), flat(0xF3));    /* DPL 3 kept */
    CHECK_EQ(gdt_fixup(flat(0x9E)), flat(0xBF));    /* conforming code, DPL 0 -> 1 */
    CHECK_EQ(gdt_fixup(flat(0x98)), flat(0xB9));    /* execute-only code */
    CHECK_EQ(gdt_fixup(flat(0x96)), flat(0xB7));    /* expand-down data */
}

/* Not present is kept not present (so using it faults in the guest), but
 * DPL and accessed are still fixed. */
static void fixup_not_present(void)
{
    CHECK_EQ(gdt_fixup(flat(0x12)), flat(0x33));
    CHECK_EQ(gdt_fixup(flat(0x7A)), flat(0x7B));
    CHECK_EQ(gdt_fixup(0x0000100000000000ull), 0x0000310000000000ull);
}

static void fixup_refuses_system(void)
{
    /* every system type, DPL 0 and 3, present or not */
    for (uint32_t type = 0; type < 16; type++)
        for (uint32_t dpl = 0; dpl < 4; dpl++)
            for (uint32_t p = 0; p < 2; p++)
                CHECK_EQ(gdt_fixup(flat(p << 7 | dpl << 5 | type)), 0);
    CHECK_EQ(gdt_fixup(HOST_TSS), 0);                   /* available TSS 9 */
    CHECK_EQ(gdt_fixup(0x00008B0000000067ull), 0);      /* busy TSS B */
    CHECK_EQ(gdt_fixup(0x0000820000000FFFull), 0);      /* LDT 2 */
    CHECK_EQ(gdt_fixup(0x0000EC0000500000ull), 0);      /* call gate C, DPL 3, to 0x50 */
    CHECK_EQ(gdt_fixup(0x0000E50000800000ull), 0);      /* task gate 5, DPL 3 */
    CHECK_EQ(gdt_fixup(0xC0108E0000501234ull), 0);      /* interrupt gate E */
    CHECK_EQ(gdt_fixup(0xC010EF0000501234ull), 0);      /* trap gate F, DPL 3 */
    CHECK_EQ(gdt_fixup(0), 0);                          /* null stays null */
    CHECK_EQ(gdt_fixup(~(1ull << 44)), 0);              /* every bit but S */
}

/* Bits other than accessed and DPL pass through unchanged, one at a time. */
static void fixup_keeps_other_bits(void)
{
    const uint64_t base = flat(0x92) & ~0x00CF00000000FFFFull;     /* P, S, RW only */
    for (uint32_t b = 0; b < 64; b++) {
        if (b == 40 || b == 44 || b == 45 || b == 46)
            continue;
        uint64_t bit = 1ull << b;
        uint64_t want = ((base | bit) | 1ull << 40 | 1ull << 45);
        CHECK_EQ(gdt_fixup(base | bit), want);
    }
    CHECK_EQ(gdt_fixup(~0ull), ~0ull);
}

static void fixup_idempotent(void)
{
    const uint64_t d[] = {
        LINUX_KERNEL_CS, LINUX_KERNEL_DS, LINUX_USER_CS, LINUX_USER_DS, LINUX_PERCPU,
        LINUX_CANARY, HOST_TSS, 0, ~0ull, flat(0x12),
    };
    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
        CHECK_EQ(gdt_fixup(gdt_fixup(d[i])), gdt_fixup(d[i]));
}

/* The GDT as the hypervisor would hold it after a 3.10 guest's LOAD_GDT:
 * guest entries through gdt_fixup, the host's own in 10, 11, 16, 31, and a
 * few extra shapes in the unused slots 1..5, 9, 17..25. */
static uint64_t gdt[GUEST_GDT_ENTRIES];

static void linux_gdt(void)
{
    memset(gdt, 0, sizeof(gdt));
    gdt[6] = gdt_fixup(0x00CFF3000000FFFFull);          /* TLS, DPL 3 */
    gdt[10] = HOST_CS;
    gdt[11] = HOST_DS;
    gdt[12] = gdt_fixup(LINUX_KERNEL_CS);
    gdt[13] = gdt_fixup(LINUX_KERNEL_DS);
    gdt[14] = gdt_fixup(LINUX_USER_CS);
    gdt[15] = gdt_fixup(LINUX_USER_DS);
    gdt[16] = HOST_TSS;
    gdt[17] = gdt_fixup(0x0000820000000FFFull);         /* Linux's LDT slot: refused -> 0 */
    gdt[27] = gdt_fixup(LINUX_PERCPU);
    gdt[28] = gdt_fixup(LINUX_CANARY);
    gdt[31] = HOST_TSS;
    gdt[1] = gdt_fixup(flat(0xF8));                     /* execute-only code, DPL 3 */
    gdt[2] = gdt_fixup(flat(0xFE));                     /* conforming readable code, DPL 3 */
    gdt[3] = gdt_fixup(flat(0xBE));                     /* conforming readable code, DPL 1 */
    gdt[4] = gdt_fixup(flat(0xF0));                     /* read-only data, DPL 3 */
    gdt[5] = gdt_fixup(flat(0x76));                     /* not present writable data */
    gdt[9] = gdt_fixup(flat(0xF6));                     /* expand-down writable, DPL 3 */
    gdt[18] = flat(0xF2);                               /* accessed clear (not fixed up) */
    gdt[19] = flat(0xD3);                               /* DPL 2 data */
    gdt[20] = flat(0xDB);                               /* DPL 2 code */
    gdt[21] = gdt_fixup(flat(0xB6));                    /* expand-down writable, DPL 1 */
    gdt[22] = gdt_fixup(flat(0xBA));                    /* readable code, DPL 1 */
    gdt[23] = flat(0x9B);                               /* DPL 0 code (not fixed up) */
    gdt[24] = flat(0x93);                               /* DPL 0 data (not fixed up) */
    gdt[25] = gdt_fixup(flat(0x9C));                    /* conforming execute-only, DPL 1 */
}

static bool ds(uint32_t sel, uint32_t cpl) { return selector_ok(gdt, sel, SEG_DATA, cpl); }
static bool cs(uint32_t sel, uint32_t cpl) { return selector_ok(gdt, sel, SEG_CODE, cpl); }
static bool ss(uint32_t sel, uint32_t cpl) { return selector_ok(gdt, sel, SEG_STACK, cpl); }

static void linux_selectors_accepted(void)
{
    linux_gdt();
    CHECK(cs(0x61, 1));
    CHECK(ss(0x69, 1));
    CHECK(cs(0x73, 3));
    CHECK(ss(0x7B, 3));
    for (uint32_t cpl = 1; cpl <= 3; cpl += 2) {
        CHECK(ds(0x69, cpl));
        CHECK(ds(0x7B, cpl));
        CHECK(ds(0xD8, cpl));           /* RPL 0, DPL raised to 1 */
        CHECK(ds(0xE0, cpl));
        CHECK(ds(0x33, cpl));           /* TLS */
        CHECK(ds(0x61, cpl));           /* readable code in a data register */
        CHECK(ds(0x73, cpl));
    }
}

static void data_null(void)
{
    linux_gdt();
    for (uint32_t s = 0; s < 4; s++) {
        CHECK(ds(s, 1));
        CHECK(ds(s, 3));
        CHECK(!cs(s, 1));
        CHECK(!cs(s, 3));
        CHECK(!ss(s, 1));
        CHECK(!ss(s, 3));
    }
    /* index 0 in the LDT is not the null selector */
    for (uint32_t s = 4; s < 8; s++)
        CHECK(!ds(s, 3));
}

static void data_rpl_against_dpl(void)
{
    linux_gdt();
    CHECK(ds(0x68, 1));                 /* RPL 0..1 <= DPL 1 */
    CHECK(!ds(0x6A, 1));                /* RPL 2 > DPL 1 */
    CHECK(!ds(0x6B, 3));
    CHECK(!ds(0x6B, 1));                /* the cpl does not matter, only RPL */
    CHECK(!ds(0xDB, 3));
    CHECK(!ds(0xE3, 3));
    CHECK(!ds(0x63, 3));                /* non-conforming code, DPL 1 */
    CHECK(ds(0x7B, 1));
    CHECK(ds(0x78, 3));
    CHECK(ds(0x9A, 1));                 /* DPL 2 data, RPL 2 */
    CHECK(!ds(0x9B, 1));
    /* conforming readable code: no DPL check at all */
    CHECK(ds(0x1B, 3));
    CHECK(ds(0x13, 3));
    CHECK(ds(0x10, 1));
}

static void data_type(void)
{
    linux_gdt();
    CHECK(!ds(0x0B, 3));                /* execute-only code */
    CHECK(!ds(0xCB, 3));                /* conforming execute-only */
    CHECK(ds(0x23, 3));                 /* read-only data is fine for DS */
    CHECK(ds(0x4B, 3));                 /* expand-down */
    CHECK(ds(0xB1, 3));                 /* readable non-conforming code, DPL 1 >= RPL 1 */
    CHECK(!ds(0xB3, 3));                /* ... but not with RPL 3 */
    CHECK(!ds(0x2B, 3));                /* not present */
    CHECK(!ds(0x88, 1));                /* refused LDT descriptor, now 0 */
    CHECK(!ds(0x93, 3));                /* accessed clear: the CPU would write the GDT */
    CHECK(ds(0xC0, 1));                 /* DPL 0 data, RPL 0 (not fixed up: the CPU takes it) */
    CHECK(!ds(0xC1, 1));
}

static void host_slots_refused(void)
{
    linux_gdt();
    static const uint32_t idx[] = { 10, 11, 16, 31 };
    for (size_t i = 0; i < 4; i++)
        for (uint32_t rpl = 0; rpl < 4; rpl++) {
            uint32_t sel = idx[i] << 3 | rpl;
            CHECK(!ds(sel, 1));
            CHECK(!ds(sel, 3));
            CHECK(!cs(sel, 1));
            CHECK(!cs(sel, 3));
            CHECK(!ss(sel, 1));
            CHECK(!ss(sel, 3));
        }
    /* even with a usable descriptor planted in the slot */
    gdt[11] = gdt_fixup(LINUX_USER_DS);
    gdt[10] = gdt_fixup(LINUX_USER_CS);
    CHECK(!ds(0x5B, 3));
    CHECK(!ss(0x5B, 3));
    CHECK(!cs(0x53, 3));
}

static void index_and_ti_refused(void)
{
    linux_gdt();
    static const uint32_t bad[] = {
        0x100, 0x103, 0x107, 0xFFF8, 0xFFFF,
        0x6C, 0x6D, 0x7F, 0x64, 0x65,           /* TI set on good indexes */
        0x10000, 0x10003, 0x1007B, 0x10069,     /* would alias 0, 0x7B, 0x69 if truncated */
        0x80000069, 0xFFFFFFFF, 0xFFFFFFF8,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(!ds(bad[i], 1));
        CHECK(!ds(bad[i], 3));
        CHECK(!cs(bad[i], 1));
        CHECK(!cs(bad[i], 3));
        CHECK(!ss(bad[i], 1));
        CHECK(!ss(bad[i], 3));
    }
}

static void code_rules(void)
{
    linux_gdt();
    CHECK(!cs(0x61, 3));                /* RPL != cpl */
    CHECK(!cs(0x73, 1));
    CHECK(!cs(0x63, 3));                /* non-conforming: DPL 1 != RPL 3 */
    CHECK(!cs(0x71, 1));                /* non-conforming: DPL 3 != RPL 1 */
    CHECK(!cs(0x60, 1));                /* RPL 0 */
    CHECK(!cs(0x69, 1));                /* data */
    CHECK(!cs(0x7B, 3));
    CHECK(cs(0x0B, 3));                 /* execute-only is fine for CS */
    CHECK(cs(0xB1, 1));                 /* readable code DPL 1 */
    CHECK(cs(0x1B, 3));                 /* conforming DPL 1 <= RPL 3 */
    CHECK(cs(0x19, 1));
    CHECK(!cs(0x11, 1));                /* conforming DPL 3 > RPL 1 */
    CHECK(cs(0x13, 3));
    CHECK(cs(0xCB, 3));                 /* conforming execute-only */
    CHECK(!cs(0xA3, 3));                /* DPL 2 code */
    CHECK(!cs(0xB9, 1));                /* DPL 0 code, never fixed up */
    CHECK(!cs(0xBB, 3));
    CHECK(!cs(0x2B, 3));                /* not present */
    CHECK(!cs(0x9B, 3));                /* DPL 2 data */
}

static void code_accessed_clear_refused(void)
{
    linux_gdt();
    gdt[12] = 0x00CFBA000000FFFFull;    /* Linux kernel CS at DPL 1, accessed clear */
    CHECK(!cs(0x61, 1));
    gdt[12] = gdt_fixup(gdt[12]);
    CHECK(cs(0x61, 1));
}

static void stack_rules(void)
{
    linux_gdt();
    CHECK(!ss(0x69, 3));                /* RPL != cpl */
    CHECK(!ss(0x6B, 3));                /* DPL 1 != cpl 3 */
    CHECK(!ss(0x79, 1));                /* DPL 3 != cpl 1 */
    CHECK(!ss(0x68, 1));                /* RPL 0 */
    CHECK(!ss(0xD8, 1));                /* per-CPU data: RPL 0 */
    CHECK(ss(0xD9, 1));                 /* the same descriptor with RPL 1 */
    CHECK(ss(0xE1, 1));
    CHECK(!ss(0x23, 3));                /* read-only data */
    CHECK(!ss(0x61, 1));                /* code */
    CHECK(!ss(0x73, 3));
    CHECK(!ss(0x1B, 3));                /* conforming code */
    CHECK(ss(0x4B, 3));                 /* expand-down writable */
    CHECK(ss(0xA9, 1));
    CHECK(!ss(0x2B, 3));                /* not present */
    CHECK(!ss(0x93, 3));                /* accessed clear */
    CHECK(!ss(0xC0, 1));                /* ring-0 stack */
    CHECK(!ss(0xC1, 1));
    CHECK(!ss(0x9A, 1));                /* DPL 2 */
}

/* Only CPL 1 and 3 are ever returned to. */
static void bad_cpl_refused(void)
{
    linux_gdt();
    static const uint32_t cpl[] = { 0, 2, 4, 5, 0x80000001, 0xFFFFFFFF };
    for (size_t i = 0; i < sizeof(cpl) / sizeof(cpl[0]); i++) {
        CHECK(!ds(0, cpl[i]));
        CHECK(!ds(0x69, cpl[i]));
        CHECK(!cs(0x61, cpl[i]));
        CHECK(!ss(0x69, cpl[i]));
    }
    CHECK(!cs(0xA2, 2));                /* DPL 2 code, RPL 2 */
    CHECK(!ss(0x9A, 2));                /* DPL 2 data, RPL 2 */
    CHECK(!cs(0xB8, 0));                /* DPL 0 code, RPL 0 */
    CHECK(!ss(0xC0, 0));
}

static void bad_kind_refused(void)
{
    linux_gdt();
    CHECK(!selector_ok(gdt, 0x69, (enum seg_kind)3, 1));
    CHECK(!selector_ok(gdt, 0, (enum seg_kind)-1, 1));
}

/* Every selector against every kind and cpl: whatever is accepted really
 * is a present, accessed code/data descriptor outside the host slots. */
static void accepted_implies_usable(void)
{
    linux_gdt();
    for (uint32_t sel = 0; sel < 0x10000; sel++)
        for (uint32_t kind = SEG_DATA; kind <= SEG_STACK; kind++)
            for (uint32_t cpl = 0; cpl < 4; cpl++) {
                if (!selector_ok(gdt, sel, (enum seg_kind)kind, cpl) || sel < 4)
                    continue;
                uint32_t i = sel >> 3;
                CHECK(i < 32 && !(sel & 4) && !gdt_index_host_owned(i));
                if (i >= 32)
                    continue;
                CHECK(gdt[i] >> 47 & 1);
                CHECK(gdt[i] >> 44 & 1);
                CHECK(gdt[i] >> 40 & 1);
            }
}

int main(void)
{
    RUN(host_owned_exactly_four);
    RUN(fixup_linux_descriptors);
    RUN(fixup_dpl);
    RUN(fixup_not_present);
    RUN(fixup_refuses_system);
    RUN(fixup_keeps_other_bits);
    RUN(fixup_idempotent);
    RUN(linux_selectors_accepted);
    RUN(data_null);
    RUN(data_rpl_against_dpl);
    RUN(data_type);
    RUN(host_slots_refused);
    RUN(index_and_ti_refused);
    RUN(code_rules);
    RUN(code_accessed_clear_refused);
    RUN(stack_rules);
    RUN(bad_cpl_refused);
    RUN(bad_kind_refused);
    RUN(accepted_implies_usable);
    return CHECK_EXIT_STATUS();
}
