/* Guest PDE/PTE checks and shadow PTEs (ABI 6.1, 6.4). A non-present entry
 * is never judged by its other bits: Linux keeps swap, file and PROT_NONE
 * data there (lguest's bug was to kill guests for them). */
#include "kernel/hot.h"
#include <stddef.h>
#include <stdint.h>
#include "kernel/lguest/pte.h"

#define PTE_P       0x001u
#define PTE_RW      0x002u
#define PTE_US      0x004u
#define PTE_PWT     0x008u
#define PTE_PCD     0x010u
#define PTE_A       0x020u
#define PTE_D       0x040u
#define PTE_PAT     0x080u      /* PSE in a PDE */
#define PTE_FLAGS   0xFFFu
#define PTE_FRAME   0xFFFFF000u

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

/* Writable only once dirty, so the first write to a clean page faults and
 * the hypervisor can set D in the guest PTE (ABI 6.5). Global is dropped so
 * a guest's mappings never outlive a CR3 switch. The address is masked
 * again so a misaligned host_base cannot leak into the flag bits. */
HOT uint32_t shadow_pte_make(uint32_t gpte, uint32_t host_base)
{
    uint32_t flags = gpte & (PTE_P | PTE_US | PTE_PWT | PTE_PCD | PTE_A | PTE_D);
    if ((gpte & PTE_RW) && (gpte & PTE_D))
        flags |= PTE_RW;
    uint32_t frame = (host_base + (gpte & PTE_FRAME)) & PTE_FRAME;
    return frame | flags;
}
