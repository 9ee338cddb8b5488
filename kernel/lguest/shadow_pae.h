/* PAE guests on this host (lguest ABI 6.9): which page-table format a guest
 * uses, and its three-level tables read for the shadow. The shadow itself
 * stays two-level, as the CPU runs it: a guest PTE (64 bits) becomes the
 * 32-bit shadow entry of the same page, which is exact because every frame
 * a guest may name is below 4 GiB and the guest's CPUID hides NX (a PTE
 * with NX, or with a frame above the guest's memory, stops it). One 4 MiB
 * shadow table covers two of the guest's 2 MiB tables. */
#ifndef KERNEL_LGUEST_SHADOW_PAE_H
#define KERNEL_LGUEST_SHADOW_PAE_H
#include <stdbool.h>
#include <stdint.h>
#include "kernel/lguest/shadow.h"

struct guest;

/* Decides g's format at its first NEW_PGTABLE (gpgd as passed), from
 * paging= or from the table, and logs it. False if the guest was stopped
 * (a PAE guest of a generation that cannot be one). */
bool shadow_pae_decide(struct guest *g, uint32_t gpgd);

/* The walk for a PAE guest: as shadow.c's for 2-level guests. */
enum shadow_result shadow_pae_walk(struct guest *g, uint32_t gpdpt, uint32_t va, struct shadow_walk *w);

/* The guest PTE at index i (0-511) of the table a PMD entry names, as the
 * 32-bit entry the shadow is made from; false when it is not one that may
 * be copied now (absent, not accessed, or failing its check). */
bool shadow_pae_pte_lo(struct guest *g, uint32_t pmd_lo, uint32_t i, uint32_t *lo);

/* A shadow table kept over a full flush (shadow.c's unpark), for PAE: the
 * entries of the 4 MiB at directory index i that are still exactly what a
 * fill from the guest's two 2 MiB tables would make are kept, the rest
 * cleared. False when neither guest table is there any more: the caller
 * drops the whole table. */
bool shadow_pae_recheck(struct guest *g, uint32_t gpdpt, uint32_t i, uint32_t *spt);

#endif
