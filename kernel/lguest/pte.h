/* Checking guest page-directory and page-table entries (non-PAE, lguest ABI
 * 6.1, 6.4) and making the shadow entries that stand for them. Pure logic:
 * the caller owns the tables. */
#ifndef KERNEL_LGUEST_PTE_H
#define KERNEL_LGUEST_PTE_H
#include <stdbool.h>
#include <stdint.h>

#define GPDE_ALLOWED 0x067u     /* P RW US A D: anything else in a present PDE kills */

/* NULL when the entry may be used (every non-present entry may: its other
 * bits are the guest's business), else a reason for stopping the guest:
 * present PDE with a flag outside 0x067, or a frame >= pfn_limit;
 * present PTE with bit 7 set, or a frame >= pfn_limit. */
const char *guest_pde_check(uint32_t pde, uint32_t pfn_limit);
const char *guest_pte_check(uint32_t pte, uint32_t pfn_limit);

/* The shadow PTE for a present, checked guest PTE whose page lives at host
 * physical address host_base + (gpte & ~0xFFF) (host_base page-aligned):
 * it keeps P, US, PWT, PCD, A, D and nothing else (not PAT, not the
 * software bits 9-11); it is writable only when the guest PTE is writable
 * AND dirty (so the first write faults and the dirty bit can be set); never
 * global. */
static inline uint32_t shadow_pte_make(uint32_t gpte, uint32_t host_base)
{
    /* Writable only once dirty, so the first write to a clean page faults
     * and the hypervisor can set D in the guest PTE (ABI 6.5). Global is
     * dropped so a guest's mappings never outlive a CR3 switch. The
     * address is masked again so a misaligned host_base cannot leak into
     * the flag bits. Inline: a table check after a full flush runs it for
     * every entry. */
    uint32_t flags = gpte & 0x07Du;                 /* P US PWT PCD A D */
    if ((gpte & 0x002u) && (gpte & 0x040u))         /* RW and D */
        flags |= 0x002u;
    return ((host_base + (gpte & 0xFFFFF000u)) & 0xFFFFF000u) | flags;
}

/* Is se, a shadow PTE made earlier, exactly what a fill would make now from
 * the guest PTE gpte under a guest PDE whose permissions fold into it as
 * the mask fold (~(~pde & (RW | US)))? The guest PTE must be present,
 * accessed (every shadow PTE is made from an accessed one: a guest that
 * cleared A must see it set again), acceptable (no PAT bit, frame below
 * pfn_limit) and give the same frame and flags. */
static inline bool shadow_pte_current(uint32_t se, uint32_t gpte, uint32_t fold, uint32_t host_base,
                                      uint32_t pfn_limit)
{
    return (gpte & 0x0A1u) == 0x021u && gpte >> 12 < pfn_limit && shadow_pte_make(gpte & fold, host_base) == se;
}

#endif
