/* What shadow.c, shadow_pae.c and shadow_fast.c share: the layout of a
 * shadow root and the small lookups they use. Not for anyone else. */
#ifndef KERNEL_LGUEST_SHADOW_INT_H
#define KERNEL_LGUEST_SHADOW_INT_H
#include <stdint.h>
#include "kernel/lguest/guest.h"
#include "arch/x86/paging.h"

/* A shadow directory entry (PD_INDEX(va), 2 MiB) is 0 (no table), live
 * (table | P | W | U) or parked (table | SPDE_PARKED, P clear): a table
 * kept over a full flush, which the CPU cannot use until unpark() has
 * checked it against the guest's tables. Shadow tables are always in
 * memory below 4 GiB, so a pointer. */
#define SPDE_PARKED 0x200u          /* a software bit: the CPU ignores it */
#define FIRST_RESERVED_PDE SWITCHER_PDE     /* this one and the next are the switcher's */
static inline uint64_t *spde_table(uint64_t pde) { return (uint64_t *)(uint32_t)(pde & PTE_ADDR); }
/* neighbours copied after a fault is fixed (shadow.c, prefill) */
#define PREFILL_ENTRIES 16u

/* The live shadow page table that covers va in directories pd, or NULL. */
static inline uint64_t *shadow_pt(const uint64_t *pd, uint32_t va)
{
    return pd && (pd[PD_INDEX(va)] & PTE_P) ? spde_table(pd[PD_INDEX(va)]) : 0;
}

/* Drops va's entry from root r's table, live or parked. */
static inline void clear_pte(struct shadow_root *r, uint32_t va)
{
    uint64_t *pt = r->used && r->pd ? spde_table(r->pd[PD_INDEX(va)]) : 0;
    if (pt)
        pt[PT_INDEX(va)] = 0;
}

static inline struct shadow_root *find_root(struct guest *g, uint32_t gpgd)
{
    for (uint32_t i = 0; i < SHADOW_ROOTS; i++)
        if (g->shadow.roots[i].used && g->shadow.roots[i].gpgd == gpgd)
            return &g->shadow.roots[i];
    return 0;
}

/* The key a table address has among the roots: a 2-level directory is a
 * page, a PDPT 32 bytes. */
static inline uint32_t root_key(const struct guest *g, uint32_t gpgd)
{
    return gpgd & (g->shadow.pae ? ~0x1Fu : ~0xFFFu);
}

/* SET_PTE's first half: va's entry dropped from every root that can hold
 * it (a kernel address: all of them, its mapping is shared; else the root
 * of the guest table gpgd names). True if the current root was one. */
static inline bool drop_pte(struct guest *g, uint32_t gpgd, uint32_t va)
{
    if (va >= g->kernel_address) {
        for (uint32_t i = 0; i < SHADOW_ROOTS; i++)
            clear_pte(&g->shadow.roots[i], va);
        return true;
    }
    struct shadow_root *r = find_root(g, root_key(g, gpgd));
    if (r)
        clear_pte(r, va);
    return r == &g->shadow.roots[g->shadow.cur];
}

/* va is in the kernel stack or the page below it (SET_STACK): a change
 * there means the direct syscall gate's stack must be faulted in again. */
static inline bool stack_page(const struct guest *g, uint32_t va)
{
    return g->stack_pages && va < g->esp1 && va >= g->esp1 - g->stack_pages * PAGE_SIZE - PAGE_SIZE;
}

#endif
