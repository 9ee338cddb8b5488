/* sources: kernel/lguest/pte_pae.c */
/* PAE guest entries (lguest ABI 6.9): Linux 3.10's real PAE entries, each
 * flag bit on its own at every level, the high word, frames at the limit,
 * non-present entries full of junk, and the PAE hypercall arguments. */
#include <stdint.h>
#include "kernel/lguest/pte_pae.h"
#include "tests/unit/check.h"

#define PFNS 0x10000u                   /* a 256 MiB guest */

/* A reason, or a text no needle matches. */
static const char *why(const char *reason) { return reason ? reason : "(accepted)"; }

static void linux_entries(void)
{
    CHECK(pae_pdpte_check(0x0000000001234001ull, PFNS) == NULL);  /* pud_populate: P only */
    CHECK(pae_pmd_check(0x0000000001234067ull, PFNS) == NULL);    /* _PAGE_TABLE */
    CHECK(pae_pmd_check(0x0000000001234063ull, PFNS) == NULL);    /* _KERNPG_TABLE */
    CHECK(pae_pte_check(0x0000000001234163ull, PFNS, false) == NULL);    /* kernel page, global */
    CHECK(pae_pte_check(0x0000000001234067ull, PFNS, false) == NULL);    /* user page, dirty */
    CHECK(pae_pte_check(0x0000000001234E25ull, PFNS, false) == NULL);    /* software bits 9-11 */
}

/* Each bit of the low word alone, at each level. */
static void each_low_flag(void)
{
    for (uint32_t b = 1; b < 12; b++) {
        uint64_t e = 0x0000000001234001ull | 1ull << b;
        CHECK(pae_pdpte_check(e, PFNS) != NULL);
        CHECK((pae_pmd_check(e, PFNS) == NULL) == ((0x067u >> b) & 1));
        CHECK((pae_pte_check(e, PFNS, false) == NULL) == (b != 7));
    }
    CHECK_CONTAINS(why(pae_pmd_check(0x00000000012340E7ull, PFNS)), "middle directory");  /* a 2 MiB page */
    CHECK_CONTAINS(why(pae_pte_check(0x00000000012340E3ull, PFNS, false)), "PAT");
}

/* Bits 52-63 of a present entry: reserved, and NX. */
static void high_bits(void)
{
    for (uint32_t b = 52; b < 64; b++) {
        uint64_t e = 0x0000000001234001ull | 1ull << b;
        CHECK(pae_pdpte_check(e, PFNS) != NULL);
        CHECK(pae_pmd_check(e | 0x066, PFNS) != NULL);
        CHECK(pae_pte_check(e | 0x062, PFNS, false) != NULL);
    }
    CHECK_CONTAINS(why(pae_pte_check(0x8000000001234063ull, PFNS, false)), "NX");
    CHECK_CONTAINS(why(pae_pte_check(0x0010000001234063ull, PFNS, false)), "reserved");
    /* on a host with NX, NX is the one high bit a PTE may carry: the
     * reserved bits 52-62 still stop the guest, alone or beside NX */
    CHECK(pae_pte_check(0x8000000001234063ull, PFNS, true) == NULL);
    for (uint32_t b = 52; b < 63; b++) {
        CHECK_CONTAINS(why(pae_pte_check(0x0000000001234063ull | 1ull << b, PFNS, true)), "reserved");
        CHECK_CONTAINS(why(pae_pte_check(0x8000000001234063ull | 1ull << b, PFNS, true)), "reserved");
    }
    CHECK_CONTAINS(why(pae_pte_check(0x8000000000000063ull | (uint64_t)PFNS << 12, PFNS, true)), "beyond");
    CHECK_CONTAINS(why(pae_pte_check(0x80000000012340E3ull, PFNS, true)), "PAT");
    /* never in the directory levels */
    CHECK(pae_pmd_check(0x8000000001234067ull, PFNS) != NULL);
    CHECK(pae_pdpte_check(0x8000000001234001ull, PFNS) != NULL);
}

/* The frame is bits 12-51: anything up there beyond guest memory kills,
 * whichever word it is in. */
static void frames(void)
{
    uint64_t last = (uint64_t)(PFNS - 1) << 12, limit = (uint64_t)PFNS << 12;
    CHECK(pae_pte_check(last | 0x063, PFNS, false) == NULL);
    CHECK(pae_pmd_check(last | 0x067, PFNS) == NULL);
    CHECK(pae_pdpte_check(last | 0x001, PFNS) == NULL);
    CHECK_CONTAINS(why(pae_pte_check(limit | 0x063, PFNS, false)), "beyond");
    CHECK_CONTAINS(why(pae_pmd_check(limit | 0x067, PFNS)), "beyond");
    CHECK_CONTAINS(why(pae_pdpte_check(limit | 0x001, PFNS)), "beyond");
    for (uint32_t b = 32; b < 52; b++) {       /* above 4 GiB: the low word alone looks fine */
        uint64_t e = (1ull << b) | 0x0000000000001063ull;
        CHECK_CONTAINS(why(pae_pte_check(e, PFNS, false)), "beyond");
        CHECK_CONTAINS(why(pae_pmd_check(e & ~0x100ull, PFNS)), "beyond");
    }
    CHECK(pae_frame(0xFFFFFFFFFFFFFFFFull) == 0xFFFFFFFFFFull);
    CHECK(pae_pte_check(0x0000000000000001ull, 1, false) == NULL);      /* frame 0 is guest memory too */
    CHECK(pae_pte_check(0x0000000000000001ull, 0, false) != NULL);
}

static void not_present_junk(void)
{
    const uint64_t junk[] = { 0, 0xFFFFFFFFFFFFFFFEull, 0x80000000000000E0ull, 0x7FF0FFFFFFFFF0C2ull,
                              0x00000000FFFFFFFEull, 0xFFFFFFFF00000000ull };
    for (unsigned i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        CHECK(pae_pdpte_check(junk[i], PFNS) == NULL);
        CHECK(pae_pmd_check(junk[i], PFNS) == NULL);
        CHECK(pae_pte_check(junk[i], 0, true) == NULL);
    }
}

static void indexes(void)
{
    CHECK_EQ(pae_pdpt_index(0xC0000000u), 3);
    CHECK_EQ(pae_pdpt_index(0xBFFFFFFFu), 2);
    CHECK_EQ(pae_pmd_index(0xC0200000u), 1);
    CHECK_EQ(pae_pmd_index(0xFFFFFFFFu), 511);
    CHECK_EQ(pae_pte_index(0xC01FF000u), 511);
    CHECK_EQ(pae_pte_index(0xC0200000u), 0);
    /* one 4 MiB 2-level slot is two 2 MiB PMD entries of one PDPT entry */
    for (uint32_t va = 0; va < 0xFFC00000u; va += 0x400000u) {
        CHECK_EQ(pae_pmd_index(va) % 2, 0);
        CHECK_EQ(pae_pdpt_index(va + 0x3FFFFFu), pae_pdpt_index(va));
        CHECK_EQ(pae_pmd_index(va + 0x200000u), pae_pmd_index(va) + 1);
    }
}

static void hcall_arguments(void)
{
    CHECK(pae_set_pgd_check(0x01234FE0u, 0) == NULL);
    CHECK(pae_set_pgd_check(0x01234FE0u, 3) == NULL);
    CHECK_CONTAINS(why(pae_set_pgd_check(0x01234FE0u, 4)), "pgd index");      /* lguest's off-by-one */
    CHECK_CONTAINS(why(pae_set_pgd_check(0x01234FE8u, 0)), "aligned");
    CHECK(pae_set_pmd_check(0x01234000u, 511) == NULL);
    CHECK_CONTAINS(why(pae_set_pmd_check(0x01234000u, 512)), "pmd index");
    CHECK_CONTAINS(why(pae_set_pmd_check(0x01234008u, 0)), "aligned");
}

/* The first table a guest names: a PDPT (3.10 PAE's initial_page_table:
 * P only, high words 0) or a 2-level directory. */
static void pdpt_or_directory(void)
{
    const uint32_t pae310[8] = { 0x01a3b001, 0, 0, 0, 0, 0, 0x01a3b001, 0 };   /* identity and 3G: one PMD */
    const uint32_t linux2[8] = { 0x01a3b067, 0x01a3c067, 0, 0, 0, 0, 0, 0 };   /* PDE_IDENT_ATTR */
    const uint32_t ours2[8] = { 0x00136067, 0x00137067, 0x00138067, 0, 0, 0, 0, 0 };
    const uint32_t empty[8] = { 0 };
    const uint32_t high[8] = { 0x01a3b001, 1, 0, 0, 0, 0, 0, 0 };
    CHECK(pae_looks_like_pdpt(0x00134000, pae310));
    CHECK(!pae_looks_like_pdpt(0x00134000, linux2));
    CHECK(!pae_looks_like_pdpt(0x00134000, ours2));
    CHECK(!pae_looks_like_pdpt(0x00134000, empty));             /* nothing present: a directory */
    CHECK(!pae_looks_like_pdpt(0x00134000, high));              /* a frame above 4 GiB: not ours */
    CHECK(pae_looks_like_pdpt(0x00134020, empty));              /* not page-aligned: only a PDPT can be */
}

int main(void)
{
    RUN(linux_entries);
    RUN(each_low_flag);
    RUN(high_bits);
    RUN(frames);
    RUN(not_present_junk);
    RUN(indexes);
    RUN(hcall_arguments);
    RUN(pdpt_or_directory);
    return CHECK_EXIT_STATUS();
}
