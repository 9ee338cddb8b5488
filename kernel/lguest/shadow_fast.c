/* The shadow work a guest's exits need most, done without the big lock
 * (kernel/lguest/fast_exit.c): fixing a page fault the guest's own tables
 * allow, and SET_PTE. Only the guest's own CPU ever touches its shadow
 * tables, so they need no lock. What other CPUs share with it is the
 * guest's memory: a device on another CPU may be writing into a buffer
 * the guest posted, and zeroing that page first, clearing its bit in the
 * zeroing map, at this very moment. So nothing here zeroes a page or
 * writes that map, and nothing allocates, logs or stops the guest: when
 * the work would need any of it (a page not zeroed yet, a shadow table
 * not there, an entry to refuse), these do nothing and return false, and
 * the exit takes the usual path under the lock, which does all of it. The
 * result is always the entry the usual path would have made. */
#include "kernel/hot.h"
#include "kernel/lguest/shadow.h"
#include "arch/x86/paging.h"
#include "arch/x86/switcher.h"
#include "kernel/lguest/guest.h"
#include "kernel/lguest/pte.h"
#include "kernel/lguest/shadow_int.h"

/* Page pfn is zeroed already. Another CPU may clear bits meanwhile (never
 * set one): a set bit read here only sends the exit the slow way. The
 * page's zeroes are written before its bit is cleared, and x86 keeps
 * stores in order, so a clear bit means the zeroes are visible. */
HOT static inline bool zeroed(const struct gmem *m, uint32_t pfn)
{
    return !m->unzeroed || !((((const volatile uint32_t *)m->unzeroed)[pfn >> 5] >> (pfn & 31)) & 1);
}

/* The aligned words [gpa, gpa + len) of one zeroed page, or NULL. */
HOT static inline volatile uint32_t *words(const struct gmem *m, uint32_t gpa, uint32_t len)
{
    if ((gpa & 3) || !gmem_ok(m, gpa, len) || (gpa >> 12) != ((gpa + len - 1) >> 12) || !zeroed(m, gpa >> 12))
        return 0;
    return (volatile uint32_t *)(m->base + gpa);
}

/* The guest's entry for va through its current directory, with the
 * directory's permissions folded in, present, acceptable and pointing at
 * a zeroed page: FAST_FIXED. FAST_REFLECT: a level is not present (*gpte
 * = 0), a fault the guest takes itself. FAST_SLOW: anything else (a bad
 * entry, a page not zeroed yet). *at: where the PTE lives; *pde_out its
 * PDE. */
HOT static enum shadow_fast walk_fast(struct guest *g, uint32_t va, uint32_t *gpte, volatile uint32_t **at,
                                      uint32_t *pde_out)
{
    const struct shadow_root *r = &g->shadow.roots[g->shadow.cur];
    *gpte = 0;
    volatile uint32_t *pdep = words(&g->mem, r->gpgd + (va >> 22) * 4, 4);
    if (!pdep)
        return FAST_SLOW;
    uint32_t pde = *pdep;
    if (!(pde & PTE_P))
        return FAST_REFLECT;
    if (guest_pde_check(pde, g->pfn_limit))
        return FAST_SLOW;
    volatile uint32_t *ptep = words(&g->mem, (pde & ~0xFFFu) + ((va >> 12) & 1023) * 4, 4);
    if (!ptep)
        return FAST_SLOW;
    uint32_t pte = *ptep;
    if (!(pte & PTE_P))
        return FAST_REFLECT;
    if (guest_pte_check(pte, g->pfn_limit) || !zeroed(&g->mem, pte >> 12))
        return FAST_SLOW;
    *at = ptep;
    *pde_out = pde;
    *gpte = pte & ~((~pde) & (PTE_W | PTE_U));
    return FAST_FIXED;
}

/* shadow.c's prefill, for neighbours that need nothing but a copy. */
HOT static void prefill_fast(struct guest *g, uint64_t *spt, uint32_t va, uint32_t pde)
{
    uint32_t first = PT_INDEX(va) & ~(PREFILL_ENTRIES - 1);
    volatile uint32_t *gpt =
        words(&g->mem, (pde & ~0xFFFu) + split_half_offset(PD_INDEX(va)) + first * 4, PREFILL_ENTRIES * 4);
    if (!gpt)
        return;
    uint64_t fold = pde_fold(pde), base = g->mem.phys;
    for (uint32_t i = 0; i < PREFILL_ENTRIES; i++) {
        uint32_t pte = gpt[i];
        if (spt[first + i] || (pte & (PTE_P | PTE_A)) != (PTE_P | PTE_A) || guest_pte_check(pte, g->pfn_limit) ||
            !zeroed(&g->mem, pte >> 12))
            continue;
        spt[first + i] = shadow_pte_make(pte & fold, base);
    }
}

HOT enum shadow_fast shadow_fault_fast(struct guest *g, uint32_t va, uint32_t *err)
{
    struct shadow *s = &g->shadow;
    if (s->linear || s->pae || va >= SWITCHER_VA)
        return FAST_SLOW;
    uint64_t *spt = shadow_pt(s->roots[s->cur].pd, va);
    if (!spt)
        return FAST_SLOW;
    volatile uint32_t *at;
    uint32_t pde, gpte;
    enum shadow_fast r = walk_fast(g, va, &gpte, &at, &pde);
    bool write = *err & 2, user = *err & 4;
    if (r == FAST_SLOW)
        return r;
    if (r == FAST_REFLECT || (write && !(gpte & PTE_W)) || (user && !(gpte & PTE_U))) {
        /* what its tables say: present or not; no I/D bit, which 32-bit
         * paging does not report */
        *err = (*err & ~0x11u) | (gpte ? 1u : 0u);
        return FAST_REFLECT;
    }
    /* A and D as the CPU would set them */
    uint32_t want = PTE_A | (write ? PTE_D : 0);
    if ((gpte & want) != want) {
        *at = *at | want;
        gpte |= want;
    }
    uint64_t *e = &spt[PT_INDEX(va)];
    g->stats.pf_dirty += *e & PTE_P;    /* it was mapped: read-only until dirty */
    *e = shadow_pte_make(gpte, g->mem.phys);
    prefill_fast(g, spt, va, pde);
    g->stats.pf_resolved++;
    g->stats.pf_kernel += g->ld && va >= g->kernel_address;
    return FAST_FIXED;
}

HOT volatile uint32_t *shadow_stack_fast(struct guest *g, uint32_t va, uint32_t len)
{
    struct shadow *s = &g->shadow;
    if (s->linear || s->pae || va >= SWITCHER_VA || (va & 3) || ((va + len - 1) >> 12) != (va >> 12))
        return 0;
    uint64_t *spt = shadow_pt(s->roots[s->cur].pd, va);
    uint64_t se = spt ? spt[PT_INDEX(va)] : 0;
    if ((se & (PTE_P | PTE_W)) != (PTE_P | PTE_W))
        return 0;
    /* a shadow entry points only into this guest's memory (shadow_pte_make
     * of a checked entry); checked again rather than trusted */
    uint64_t off = (se & PTE_ADDR) - g->mem.phys;
    if (off >= g->mem.size)
        return 0;
    uint32_t gpa = (uint32_t)off + (va & 0xFFFu);
    return words(&g->mem, gpa, len);
}

HOT bool shadow_set_pte_fast(struct guest *g, uint32_t gpgd, uint32_t va, uint32_t gpte)
{
    struct shadow *s = &g->shadow;
    if (s->linear || s->pae || va >= SWITCHER_VA)
        return false;
    struct shadow_root *cur = &s->roots[s->cur];
    bool in_cur = drop_pte(g, gpgd, va);
    /* as shadow_set_pte: an entry already marked accessed is about to be
     * used, so fill it now (here only when nothing else is needed for it;
     * otherwise its fault fills it, or refuses it) */
    uint64_t *spt;
    if (in_cur && (gpte & (PTE_P | PTE_A)) == (PTE_P | PTE_A) && (spt = shadow_pt(cur->pd, va))) {
        volatile uint32_t *at;
        uint32_t pde, w;
        if (walk_fast(g, va, &w, &at, &pde) == FAST_FIXED && (w & PTE_A))
            spt[PT_INDEX(va)] = shadow_pte_make(w, g->mem.phys);
    }
    if (stack_page(g, va))
        s->pin_needed = true;
    return true;
}
