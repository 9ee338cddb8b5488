/* PAE guest entry and argument checks: see pte_pae.h. */
#include <stddef.h>
#include "kernel/lguest/pte_pae.h"

#define PAE_P           0x001ull
#define PAE_PAT         0x080ull        /* PSE in a PMD entry */
#define PAE_LOW_FLAGS   0xFFFull
#define PAE_HIGH_BITS   0xFFF0000000000000ull   /* 52-63: reserved, and NX */
#define PAE_PMD_ALLOWED 0x067ull        /* P RW US A D */

const char *pae_pdpte_check(uint64_t e, uint32_t pfn_limit)
{
    if (!(e & PAE_P))
        return NULL;
    if (e & (PAE_LOW_FLAGS | PAE_HIGH_BITS) & ~PAE_P)
        return "bad PDPT entry: flag other than present";
    if (pae_frame(e) >= pfn_limit)
        return "bad PDPT entry: frame beyond guest memory";
    return NULL;
}

const char *pae_pmd_check(uint64_t e, uint32_t pfn_limit)
{
    if (!(e & PAE_P))
        return NULL;
    if (e & PAE_LOW_FLAGS & ~PAE_PMD_ALLOWED)
        return "bad page middle directory entry: forbidden flag";
    if (e & PAE_HIGH_BITS)
        return "bad page middle directory entry: bits 52-63";
    if (pae_frame(e) >= pfn_limit)
        return "bad page middle directory entry: frame beyond guest memory";
    return NULL;
}

const char *pae_pte_check(uint64_t e, uint32_t pfn_limit, bool nx)
{
    if (!(e & PAE_P))
        return NULL;
    if (e & PAE_PAT)
        return "bad page table entry: PAT bit";
    if ((e & PAE_NX) && !nx)
        return "bad page table entry: NX, which this CPU does not offer";
    if (e & PAE_HIGH_BITS & ~PAE_NX)
        return "bad page table entry: reserved bits 52-62";
    if (pae_frame(e) >= pfn_limit)
        return "bad page table entry: frame beyond guest memory";
    return NULL;
}

const char *pae_set_pgd_check(uint32_t pdpt, uint32_t index)
{
    if (pdpt & 0x1F)
        return "bad PDPT address: not 32-byte aligned";
    if (index >= 4)
        return "bad pgd index: a PDPT has 4 entries";
    return NULL;
}

const char *pae_set_pmd_check(uint32_t pmd_page, uint32_t index)
{
    if (pmd_page & 0xFFF)
        return "bad PMD address: not page aligned";
    if (index >= 512)
        return "bad pmd index: a PMD page has 512 entries";
    return NULL;
}

bool pae_looks_like_pdpt(uint32_t gpgd, const uint32_t words[8])
{
    if (gpgd & 0xFFFu)
        return true;
    uint32_t present = 0;
    for (uint32_t i = 0; i < 4; i++) {
        uint32_t lo = words[2 * i], hi = words[2 * i + 1];
        if (hi)
            return false;               /* a PDPT entry's frame is below 4 GiB here */
        if (!lo)
            continue;
        if ((lo & 0xFFFu) != PAE_P)
            return false;               /* a 2-level PDE: RW, US, A or D set */
        present++;
    }
    return present > 0;
}
