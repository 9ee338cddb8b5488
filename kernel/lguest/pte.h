/* Checking guest page-directory and page-table entries (non-PAE, lguest ABI
 * 6.1, 6.4) and making the shadow entries that stand for them. Pure logic:
 * the caller owns the tables. */
#ifndef KERNEL_LGUEST_PTE_H
#define KERNEL_LGUEST_PTE_H
#include <stdbool.h>
#include <stdint.h>
#include "arch/x86/paging.h"

#define GPDE_ALLOWED 0x067u     /* P RW US A D: anything else in a present PDE kills */

/* NULL when the entry may be used (every non-present entry may: its other
 * bits are the guest's business), else a reason for stopping the guest:
 * present PDE with a flag outside 0x067, or a frame >= pfn_limit;
 * present PTE with bit 7 set, or a frame >= pfn_limit. */
const char *guest_pde_check(uint32_t pde, uint32_t pfn_limit);
const char *guest_pte_check(uint32_t pte, uint32_t pfn_limit);

/* The shadow PTE (PAE format, as the hypervisor pages) for a present,
 * checked guest PTE, 2-level (zero-extended) or PAE, whose page lives at
 * host physical address host_base + its frame (host_base page-aligned):
 * it keeps P, US, PWT, PCD, A, D and the no-execute bit (which a PAE
 * guest's check lets through only where the CPU has NX) and nothing else
 * (not PAT, not the software bits 9-11); it is writable only when the
 * guest PTE is writable AND dirty (so the first write faults and the dirty
 * bit can be set); never global. */
static inline uint64_t shadow_pte_make(uint64_t gpte, uint64_t host_base)
{
    /* Writable only once dirty, so the first write to a clean page faults
     * and the hypervisor can set D in the guest PTE (ABI 6.5). Global is
     * dropped so a guest's mappings never outlive a CR3 switch. The
     * address is masked again so a misaligned host_base cannot leak into
     * the flag bits. Inline: a table check after a full flush runs it for
     * every entry. */
    uint64_t flags = gpte & (0x07Du | PTE_XD);   /* P US PWT PCD A D, XD */
    if ((gpte & 0x002u) && (gpte & 0x040u))             /* RW and D */
        flags |= 0x002u;
    return ((host_base + (gpte & PTE_ADDR)) & PTE_ADDR) | flags;
}

/* The split of a 2-level guest's tables into PAE shadow ones: shadow
 * directory entry spde (2 MiB, va >> 21) stands for guest directory entry
 * spde / 2 (4 MiB, va >> 22) and for the half spde & 1 of its 1024-entry
 * table, whose entry j is shadow entry j & 511 (va >> 12 & 511). So a guest
 * directory entry is two shadow ones, and a guest table byte offset is the
 * half's offset plus 4 per shadow entry. */
static inline uint32_t split_gpde(uint32_t spde) { return spde >> 1; }
static inline uint32_t split_half_offset(uint32_t spde) { return (spde & 1u) * 2048u; }
static inline uint32_t split_first_spde(uint32_t gpde) { return gpde * 2u; }

/* The mask that folds a guest directory entry's permissions (RW, US) into
 * the entries below it, as the CPU intersects them; it keeps XD. */
static inline uint64_t pde_fold(uint32_t pde)
{
    return ~(uint64_t)((~pde) & 0x006u);
}

/* Is se, a shadow PTE made earlier, exactly what a fill would make now from
 * the guest PTE gpte under a guest directory entry whose permissions fold
 * into it as fold (pde_fold)? The guest PTE must be present, accessed
 * (every shadow PTE is made from an accessed one: a guest that cleared A
 * must see it set again), acceptable (no PAT bit, nothing reserved, frame
 * below pfn_limit) and give the same frame and flags. */
static inline bool shadow_pte_current(uint64_t se, uint64_t gpte, uint64_t fold, uint64_t host_base,
                                      uint32_t pfn_limit)
{
    return (gpte & 0x0A1u) == 0x021u && ((gpte & ~PTE_XD) >> 12) < pfn_limit &&
           shadow_pte_make(gpte & fold, host_base) == se;
}

/* shadow_pte_current for a 2-level guest, in 32-bit words: the check after
 * a full flush runs for every entry of a table, and on a 32-bit CPU the
 * 64-bit form costs twice the instructions. Exact when the guest's memory
 * does not cross a 4 GiB line (the frame allocator never hands out such a
 * range), so every shadow entry's high word is host_base's and has no XD.
 * fold is pde_fold's low word. */
static inline bool shadow_pte_current32(uint32_t se_lo, uint32_t se_hi, uint32_t gpte, uint32_t fold,
                                        uint32_t base_lo, uint32_t base_hi, uint32_t pfn_limit)
{
    uint32_t e = gpte & fold;
    uint32_t flags = (e & 0x07Du) | ((e & 0x002u) && (e & 0x040u) ? 0x002u : 0);
    return (gpte & 0x0A1u) == 0x021u && gpte >> 12 < pfn_limit && se_hi == base_hi &&
           se_lo == ((base_lo + (gpte & 0xFFFFF000u)) | flags);
}

#endif
