/* PAE guests (lguest ABI 6.9): which page-table format a guest uses, and
 * its three-level tables read for the shadow. The shadow is PAE too, as
 * the hypervisor pages, so each guest table is shadowed by one table of
 * the same layout: shadow directory entry k * 512 + i stands for PMD entry
 * i under PDPT entry k. */
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

/* The guest PTE at index i (0-511) of the table a PMD entry names; false
 * when it is not one that may be copied now (absent, not accessed, or
 * failing its check). */
bool shadow_pae_pte(struct guest *g, uint32_t pmd_lo, uint32_t i, uint64_t *pte);

/* A shadow table kept over a full flush (shadow.c's unpark), for PAE: the
 * entries of the 2 MiB at shadow directory index i that are still exactly
 * what a fill from the guest's table would make are kept, the rest
 * cleared. False when the guest table is not there any more: the caller
 * drops the whole table. */
bool shadow_pae_recheck(struct guest *g, uint32_t gpdpt, uint32_t i, uint64_t *spt);

#endif
