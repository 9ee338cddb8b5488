/* Checking guest page-directory and page-table entries (non-PAE, lguest ABI
 * 6.1, 6.4) and making the shadow entries that stand for them. Pure logic:
 * the caller owns the tables. */
#ifndef KERNEL_LGUEST_PTE_H
#define KERNEL_LGUEST_PTE_H
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
uint32_t shadow_pte_make(uint32_t gpte, uint32_t host_base);

#endif
