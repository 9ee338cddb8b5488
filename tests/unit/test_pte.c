/* sources: kernel/lguest/pte.c */
/* Guest PDE/PTE checks and shadow PTEs: Linux's real entries, every flag
 * bit on its own, frame numbers at the limit, and non-present entries full
 * of junk (which must never be judged). */
#include <stdint.h>
#include "kernel/lguest/pte.h"
#include "arch/x86/paging.h"
#include "tests/unit/check.h"

#define PFNS 0x10000u                   /* a 256 MiB guest */

static void pde_linux(void)
{
    CHECK(guest_pde_check(0x01234067, PFNS) == NULL);  /* kernel page table: P RW US A D */
    CHECK(guest_pde_check(0x01234063, PFNS) == NULL);  /* P RW A D */
    CHECK(guest_pde_check(0x00001001, PFNS) == NULL);
    CHECK(guest_pde_check(0x00000067, PFNS) == NULL);  /* frame 0 is guest memory too */
}

static void pde_each_flag(void)
{
    for (uint32_t b = 1; b < 12; b++) {
        uint32_t pde = 0x01234001 | 1u << b;
        if (GPDE_ALLOWED & 1u << b) {
            CHECK(guest_pde_check(pde, PFNS) == NULL);
        } else {
            const char *why = guest_pde_check(pde, PFNS);
            CHECK(why != NULL);
            if (why)
                CHECK_CONTAINS(why, "page directory");
        }
    }
    CHECK(guest_pde_check(0x012340E7, PFNS) != NULL);  /* PSE: a 4 MiB page */
    CHECK(guest_pde_check(0x01234167, PFNS) != NULL);  /* global */
    CHECK(guest_pde_check(0x0123406F, PFNS) != NULL);  /* PWT */
    CHECK(guest_pde_check(0x01234077, PFNS) != NULL);  /* PCD */
    CHECK(guest_pde_check(0x01234E67, PFNS) != NULL);  /* software bits */
    CHECK(guest_pde_check(0x01234FFF, PFNS) != NULL);
}

static void pde_frames(void)
{
    CHECK(guest_pde_check((PFNS - 1) << 12 | 0x067, PFNS) == NULL);
    CHECK(guest_pde_check(PFNS << 12 | 0x067, PFNS) != NULL);
    CHECK(guest_pde_check((PFNS + 1) << 12 | 0x067, PFNS) != NULL);
    CHECK(guest_pde_check(0xFFFFF067, PFNS) != NULL);
    CHECK(guest_pde_check(0xFFFFF001, 0xFFFFF) != NULL);
    CHECK(guest_pde_check(0xFFFFE001, 0xFFFFF) == NULL);
    CHECK(guest_pde_check(0xFFFFF067, 0x100000) == NULL);     /* a full 4 GiB guest */
    CHECK(guest_pde_check(0xFFFFF067, 0xFFFFFFFF) == NULL);
    CHECK(guest_pde_check(0x00000001, 0) != NULL);            /* no memory at all */
    CHECK(guest_pde_check(0x00000001, 1) == NULL);
    CHECK(guest_pde_check(0x00001001, 1) != NULL);
    const char *why = guest_pde_check(0xFFFFF067, PFNS);
    if (why)
        CHECK_CONTAINS(why, "page directory");
}

static void pde_not_present_any_junk(void)
{
    static const uint32_t junk[] = {
        0, 0xFFFFFFFE, 0xFFFFF0FE, 0x000000E6, 0x00000F9E, 0x80000000, 0x12345678 & ~1u,
    };
    for (unsigned i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        CHECK(guest_pde_check(junk[i], PFNS) == NULL);
        CHECK(guest_pde_check(junk[i], 0) == NULL);
    }
}

static void pte_linux(void)
{
    CHECK(guest_pte_check(0x01234163, PFNS) == NULL);  /* kernel: P RW A D G */
    CHECK(guest_pte_check(0x01234161, PFNS) == NULL);  /* kernel read-only */
    CHECK(guest_pte_check(0x01234067, PFNS) == NULL);  /* user, dirty */
    CHECK(guest_pte_check(0x01234025, PFNS) == NULL);  /* user read-only, accessed */
    CHECK(guest_pte_check(0x01234005, PFNS) == NULL);
    CHECK(guest_pte_check(0x01234E7F & ~0x80u, PFNS) == NULL);    /* PWT PCD, software bits */
}

static void pte_each_flag(void)
{
    for (uint32_t b = 1; b < 12; b++) {
        const char *why = guest_pte_check(0x01234001 | 1u << b, PFNS);
        if (b == 7) {
            CHECK(why != NULL);
            if (why)
                CHECK_CONTAINS(why, "page table");
        } else {
            CHECK(why == NULL);
        }
    }
    CHECK(guest_pte_check(0x01234FFF, PFNS) != NULL);
    CHECK(guest_pte_check(0x01234F7F, PFNS) == NULL);
}

static void pte_frames(void)
{
    CHECK(guest_pte_check((PFNS - 1) << 12 | 0x163, PFNS) == NULL);
    CHECK(guest_pte_check(PFNS << 12 | 0x163, PFNS) != NULL);
    CHECK(guest_pte_check((PFNS + 1) << 12 | 0x001, PFNS) != NULL);
    CHECK(guest_pte_check(0xFFFFF163, PFNS) != NULL);
    CHECK(guest_pte_check(0xFFFFF001, 0xFFFFF) != NULL);
    CHECK(guest_pte_check(0xFFFFE001, 0xFFFFF) == NULL);
    CHECK(guest_pte_check(0xFFFFF163, 0x100000) == NULL);
    CHECK(guest_pte_check(0xFFFFF163, 0xFFFFFFFF) == NULL);
    CHECK(guest_pte_check(0x00000001, 0) != NULL);
    const char *why = guest_pte_check(0xFFFFF163, PFNS);
    if (why)
        CHECK_CONTAINS(why, "page table");
}

/* Linux 3.10's non-present PTEs: swap entries, nonlinear file PTEs (bit 6,
 * offset bits in 7 and 12..31), PROT_NONE (global bit as PROTNONE, with A). */
static void pte_not_present_any_junk(void)
{
    static const uint32_t junk[] = {
        0, 0xFFFFFFFE, 0xFFFFF0FE, 0x123450C0, 0xFFFFF0C0, 0x01234120, 0xFFFFF160,
        0x000000FE, 0x80000080,
    };
    for (unsigned i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        CHECK(guest_pte_check(junk[i], PFNS) == NULL);
        CHECK(guest_pte_check(junk[i], 0) == NULL);
    }
}

#define HOST 0x08000000u

static void shadow_linux_kernel(void)
{
    /* global stripped; dirty so writable */
    CHECK_EQ(shadow_pte_make(0x00123163, HOST), 0x08123063);
    CHECK_EQ(shadow_pte_make(0x00123161, HOST), 0x08123061);
    /* writable but clean: read-only until the first write */
    CHECK_EQ(shadow_pte_make(0x00123123, HOST), 0x08123021);
    CHECK_EQ(shadow_pte_make(0x00123003, HOST), 0x08123001);
}

static void shadow_user(void)
{
    CHECK_EQ(shadow_pte_make(0x00456067, HOST), 0x08456067);
    CHECK_EQ(shadow_pte_make(0x00456027, HOST), 0x08456025);
    CHECK_EQ(shadow_pte_make(0x00456045, HOST), 0x08456045);   /* dirty, not writable */
    CHECK_EQ(shadow_pte_make(0x00456005, HOST), 0x08456005);
}

/* Each flag bit alone on a present PTE. */
static void shadow_each_flag(void)
{
    for (uint32_t b = 1; b < 12; b++) {
        uint32_t kept = (1u << b) & 0x07D;      /* US PWT PCD A D */
        CHECK_EQ(shadow_pte_make(0x00001001 | 1u << b, HOST), 0x08001001 | kept);
    }
    CHECK_EQ(shadow_pte_make(0x00001FFF, HOST), 0x0800107F);
    CHECK_EQ(shadow_pte_make(0x00001F9D, HOST), 0x0800101D);   /* RW without D, PAT, G, soft */
    CHECK_EQ(shadow_pte_make(0x00001FBF, HOST), 0x0800103D);
}

static void shadow_frames(void)
{
    CHECK_EQ(shadow_pte_make(0x00000001, 0), 0x00000001);
    CHECK_EQ(shadow_pte_make(0xFFFFF001, 0), 0xFFFFF001);
    CHECK_EQ(shadow_pte_make(0x00000063, 0xFFFFF000), 0xFFFFF063);
    CHECK_EQ(shadow_pte_make(0x0FFFF001, 0xF0000000), 0xFFFFF001);
    CHECK_EQ(shadow_pte_make(0x00001001, 0x00100000), 0x00101001);
    /* a PAE entry: a frame past 4 GiB is a 64-bit address, not a wrap */
    CHECK_EQ(shadow_pte_make(0x00001063, 0xFFFFF000), 0x100000063ull);
    /* guest RAM above 4 GiB: the base carries the high bits */
    CHECK_EQ(shadow_pte_make(0x00123063, 0x180000000ull), 0x180123063ull);
    CHECK_EQ(shadow_pte_make(0x00123063, 0xFFFFF00000000ull), 0xFFFFF00123063ull);
    /* never past bit 51, never into the flags, whatever the sum */
    CHECK_EQ(shadow_pte_make(0x00001001, 0xFFFFFFFFFF000ull) & ~0x000FFFFFFFFFF000ull, 0x001);
    /* a misaligned base (a caller bug) cannot set flag bits */
    CHECK_EQ(shadow_pte_make(0x00001021, 0x00000FFF) & 0xFFF, 0x021);
    CHECK_EQ(shadow_pte_make(0x00001001, 0x00000FFF) & 0xFFF, 0x001);
}

/* Never writable unless the guest PTE is both writable and dirty; never
 * global; never PAT; the frame is always host_base + the guest frame. */
static void shadow_invariants(void)
{
    for (uint32_t flags = 0; flags < 0x1000; flags++) {
        uint32_t gpte = 0x00ABC000 | flags | 1;
        uint64_t s = shadow_pte_make(gpte, HOST);
        CHECK_EQ(s & 0xFFFFF000u, HOST + 0x00ABC000);
        CHECK_EQ(s & 0x002, (flags & 0x042) == 0x042 ? 0x002 : 0);
        CHECK_EQ(s & 0xF80, 0);
        CHECK_EQ(s & 0x07D, gpte & 0x07D);
    }
}

/* The check after a full flush keeps a shadow entry only if a fill would
 * make the very same one now. */
#define FOLD_ALL pde_fold(0x067)        /* PDE with RW and US */
#define FOLD_RO pde_fold(0x065)         /* PDE without RW */
static void current_linux(void)
{
    uint32_t k = 0x00123163;            /* kernel page: P RW A D G */
    uint64_t se = shadow_pte_make(k, HOST);
    CHECK(shadow_pte_current(se, k, FOLD_ALL, HOST, PFNS));
    CHECK(shadow_pte_current(se, k & ~0x100u, FOLD_ALL, HOST, PFNS));      /* G is not in the shadow */
    CHECK(shadow_pte_current(se, k | 0xE00u, FOLD_ALL, HOST, PFNS));       /* nor the software bits */
    CHECK(!shadow_pte_current(se, 0x00124163, FOLD_ALL, HOST, PFNS));      /* another page (kmap) */
    CHECK(!shadow_pte_current(se, 0, FOLD_ALL, HOST, PFNS));               /* unmapped */
    CHECK(!shadow_pte_current(se, k & ~1u, FOLD_ALL, HOST, PFNS));         /* not present, same bits */
    CHECK(!shadow_pte_current(se, k & ~0x002u, FOLD_ALL, HOST, PFNS));     /* made read-only */
    CHECK(!shadow_pte_current(se, k & ~0x040u, FOLD_ALL, HOST, PFNS));     /* D cleared: must fault again */
    CHECK(!shadow_pte_current(se, k & ~0x060u, FOLD_ALL, HOST, PFNS));     /* A and D cleared */
    CHECK(!shadow_pte_current(se, k, FOLD_RO, HOST, PFNS));                /* the PDE lost RW */
    CHECK(!shadow_pte_current(se, k | 0x004u, FOLD_ALL, HOST, PFNS));      /* now a user page */
    CHECK(!shadow_pte_current(se, k | 0x010u, FOLD_ALL, HOST, PFNS));      /* now uncached */
    CHECK(!shadow_pte_current(se, k, FOLD_ALL, HOST + 0x1000, PFNS));      /* another guest's base */
    /* a clean writable page is read-only in the shadow; it may stay so
     * while the guest keeps it clean, not once the guest calls it dirty */
    uint32_t clean = 0x00456027;
    uint64_t ro = shadow_pte_make(clean, HOST);
    CHECK(shadow_pte_current(ro, clean, FOLD_ALL, HOST, PFNS));
    CHECK(!shadow_pte_current(ro, clean | 0x040u, FOLD_ALL, HOST, PFNS));
}

/* Entries the fill path would refuse are never kept, whatever the old
 * shadow entry was. */
static void current_refused(void)
{
    uint32_t at_limit = (PFNS << 12) | 0x063;
    uint64_t se = shadow_pte_make(at_limit, HOST);
    CHECK(!shadow_pte_current(se, at_limit, FOLD_ALL, HOST, PFNS));        /* frame beyond memory */
    uint32_t last = ((PFNS - 1) << 12) | 0x063;
    CHECK(shadow_pte_current(shadow_pte_make(last, HOST), last, FOLD_ALL, HOST, PFNS));
    uint32_t pat = 0x001230E3;
    CHECK(!shadow_pte_current(shadow_pte_make(pat, HOST), pat, FOLD_ALL, HOST, PFNS));
    uint32_t unused = 0x00123003;       /* never accessed: no fill makes it */
    CHECK(!shadow_pte_current(shadow_pte_make(unused, HOST), unused, FOLD_ALL, HOST, PFNS));
    CHECK(!shadow_pte_current(0, 0, FOLD_ALL, HOST, PFNS));
}

/* A PAE guest's no-execute bit goes into the shadow as it is; nothing
 * else above bit 51 ever does. */
static void shadow_xd(void)
{
    uint64_t nx = 1ull << 63;
    CHECK_EQ(shadow_pte_make(nx | 0x00123063, HOST), nx | 0x08123063);
    CHECK_EQ(shadow_pte_make(nx | 0x00123063, HOST) & 0x7FF0000000000000ull, 0);
    CHECK_EQ(shadow_pte_make(0x7FF0000000123063ull, HOST), 0x08123063);
    /* the directory's fold keeps XD and takes RW or US */
    CHECK_EQ(shadow_pte_make((nx | 0x00123067) & pde_fold(0x063), HOST), nx | 0x08123063);
    CHECK_EQ(pde_fold(0x067), ~0ull);
    CHECK_EQ(pde_fold(0x061), ~0x006ull);
    uint64_t k = nx | 0x00123063, se = shadow_pte_make(k, HOST);
    CHECK(shadow_pte_current(se, k, FOLD_ALL, HOST, PFNS));
    CHECK(!shadow_pte_current(se, k & ~nx, FOLD_ALL, HOST, PFNS));  /* XD cleared: must fault again */
    CHECK(!shadow_pte_current(shadow_pte_make(k & ~nx, HOST), k, FOLD_ALL, HOST, PFNS));
    /* bits 52-62 make the frame number huge: never current */
    CHECK(!shadow_pte_current(se, k | (1ull << 52), FOLD_ALL, HOST, PFNS));
}

/* Every page of a 2-level guest's address space lands on the shadow entry
 * whose split names its guest entry: the same guest directory entry, and
 * the same byte of the guest's table. */
static void split_2level(void)
{
    for (uint64_t v = 0; v < 0x100000000ull; v += 0x1000 * 7 + 0x123000) {
        uint32_t va = (uint32_t)v, spde = PD_INDEX(va);
        CHECK_EQ(split_gpde(spde), va >> 22);
        CHECK_EQ(split_half_offset(spde) + PT_INDEX(va) * 4, ((va >> 12) & 1023) * 4);
    }
    CHECK_EQ(split_first_spde(0), 0);
    CHECK_EQ(split_first_spde(1022), 2044);     /* the last the guest may set */
    CHECK_EQ(split_first_spde(1023), SWITCHER_PDE);
    CHECK_EQ(PD_INDEX(0xFFC00000u), SWITCHER_PDE);
    for (uint32_t g = 0; g < 1024; g++) {
        CHECK_EQ(split_gpde(split_first_spde(g)), g);
        CHECK_EQ(split_gpde(split_first_spde(g) + 1), g);
        CHECK_EQ(split_half_offset(split_first_spde(g)), 0);
        CHECK_EQ(split_half_offset(split_first_spde(g) + 1), 2048);
    }
}

/* The 32-bit check agrees with the 64-bit one for 2-level entries and any
 * base whose guest does not cross a 4 GiB line. */
static void current32_agrees(void)
{
    static const uint64_t bases[] = { HOST, 0x100000000ull, 0x1C0000000ull, 0xF0000000ull };
    uint32_t x = 12345;
    for (uint32_t b = 0; b < 4; b++) {
        uint64_t base = bases[b];
        for (uint32_t n = 0; n < 20000; n++) {
            x = x * 1103515245u + 12345u;
            uint32_t gpte = ((x >> 4) & 0x0FFFF000u) | (x & 0xFFFu);
            uint32_t pde = (x >> 20) & 0x67u;
            uint64_t made = shadow_pte_make(gpte & pde_fold(pde), base);
            uint32_t other = gpte ^ (1u << ((x >> 27) & 15));     /* one bit off */
            for (int k = 0; k < 2; k++) {
                uint32_t g = k ? other : gpte;
                CHECK_EQ(shadow_pte_current32((uint32_t)made, (uint32_t)(made >> 32), g, (uint32_t)pde_fold(pde),
                                              (uint32_t)base, (uint32_t)(base >> 32), PFNS),
                         shadow_pte_current(made, g, pde_fold(pde), base, PFNS));
            }
        }
    }
    /* another high word is another guest's memory */
    uint64_t se = shadow_pte_make(0x00123063, 0x100000000ull);
    CHECK(!shadow_pte_current32((uint32_t)se, 2, 0x00123063, ~0u, 0, 1, PFNS));
    CHECK(shadow_pte_current32((uint32_t)se, 1, 0x00123063, ~0u, 0, 1, PFNS));
}

int main(void)
{
    RUN(pde_linux);
    RUN(pde_each_flag);
    RUN(pde_frames);
    RUN(pde_not_present_any_junk);
    RUN(pte_linux);
    RUN(pte_each_flag);
    RUN(pte_frames);
    RUN(pte_not_present_any_junk);
    RUN(shadow_linux_kernel);
    RUN(shadow_user);
    RUN(shadow_each_flag);
    RUN(shadow_frames);
    RUN(shadow_invariants);
    RUN(current_linux);
    RUN(current_refused);
    RUN(shadow_xd);
    RUN(split_2level);
    RUN(current32_agrees);
    return CHECK_EXIT_STATUS();
}
