/* Guest PDE/PTE checks and shadow PTEs (ABI 6.1, 6.4). A non-present entry
 * is never judged by its other bits: Linux keeps swap, file and PROT_NONE
 * data there (lguest's bug was to kill guests for them). The shadow PTEs
 * themselves are made inline (pte.h). */
#include "kernel/hot.h"
#include <stddef.h>
#include <stdint.h>
#include "kernel/lguest/pte.h"

#define PTE_P       0x001u
#define PTE_PAT     0x080u      /* PSE in a PDE */
#define PTE_FLAGS   0xFFFu

HOT const char *guest_pde_check(uint32_t pde, uint32_t pfn_limit)
{
    if (!(pde & PTE_P))
        return NULL;
    /* PWT/PCD, PSE, global and software bits all kill: large pages and
     * uncached page tables are not part of the ABI. */
    if (pde & PTE_FLAGS & ~GPDE_ALLOWED)
        return "bad page directory entry: forbidden flag";
    if (pde >> 12 >= pfn_limit)
        return "bad page directory entry: frame beyond guest memory";
    return NULL;
}

HOT const char *guest_pte_check(uint32_t pte, uint32_t pfn_limit)
{
    if (!(pte & PTE_P))
        return NULL;
    if (pte & PTE_PAT)
        return "bad page table entry: PAT bit";
    if (pte >> 12 >= pfn_limit)
        return "bad page table entry: frame beyond guest memory";
    return NULL;
}
