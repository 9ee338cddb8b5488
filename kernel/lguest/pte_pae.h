/* A PAE guest's page-table entries and page-table hypercall arguments
 * (lguest ABI 6.9): pure checks, as pte.h's for 2-level guests
 * (kernel/lguest/shadow_pae.c uses them).
 *
 * Entries are 64 bits. Every check returns NULL when the entry may be used
 * (every non-present entry may: its other bits are the guest's business,
 * as for 2-level entries) and otherwise the reason to stop the guest. */
#ifndef KERNEL_LGUEST_PTE_PAE_H
#define KERNEL_LGUEST_PTE_PAE_H
#include <stdbool.h>
#include <stdint.h>

#define PAE_NX          (1ull << 63)
#define PAE_FRAME_MASK  0x000FFFFFFFFFF000ull   /* bits 12-51 */

/* The guest frame number an entry names (bits 12-51). */
static inline uint64_t pae_frame(uint64_t e) { return (e & PAE_FRAME_MASK) >> 12; }

/* PDPT entry, present: no flag but P (Linux 3.10's lguest host: any other
 * bit kills, NX and bits 52-62 included), frame < pfn_limit. */
const char *pae_pdpte_check(uint64_t e, uint32_t pfn_limit);
/* PMD entry, present: flags within P RW US A D (0x067; so no 2 MiB page,
 * no global, no uncached table), nothing in bits 52-63, frame < pfn_limit. */
const char *pae_pmd_check(uint64_t e, uint32_t pfn_limit);
/* PTE, present: no PAT (bit 7, as for 2-level), nothing in bits 52-62
 * (reserved in PAE paging), NX only where the host pages with NX (nx: then
 * the shadow entry carries XD; elsewhere a guest that sets it counts on a
 * protection it would not get), frame < pfn_limit. */
const char *pae_pte_check(uint64_t e, uint32_t pfn_limit, bool nx);

/* Where va's entries are in a PAE guest's tables. */
static inline uint32_t pae_pdpt_index(uint32_t va) { return va >> 30; }
static inline uint32_t pae_pmd_index(uint32_t va) { return (va >> 21) & 511; }
static inline uint32_t pae_pte_index(uint32_t va) { return (va >> 12) & 511; }

/* The hypercall arguments of the PAE forms (Linux 3.10's lguest_set_pud and
 * lguest_set_pmd): SET_PGD names the 32-byte aligned PDPT and an index
 * 0-3 (the reference host's check lets 4 through), SET_PMD the PMD page and
 * an index 0-511. */
const char *pae_set_pgd_check(uint32_t pdpt, uint32_t index);
const char *pae_set_pmd_check(uint32_t pmd_page, uint32_t index);
/* What the first NEW_PGTABLE's table looks like: true for a PAE PDPT. The
 * 3.10 PAE kernel's first table (head_32.S's initial_page_table) is four
 * 8-byte entries with only P set and their high words zero; a 2-level
 * Linux directory's present entries carry RW, US, A or D besides P. A
 * table at an address that is not page-aligned can only be a PDPT. */
bool pae_looks_like_pdpt(uint32_t gpgd, const uint32_t words[8]);

#endif
