/* Shadow page tables: see shadow.h. The guest's tables are read only here,
 * through its checked memory; a shadow entry is made only from a present,
 * checked guest entry, and points at host_base + GPA with the frame below
 * pfn_limit, so the CPU can never reach outside the guest. */
#include "kernel/hot.h"
#include <string.h>
#include "kernel/lguest/shadow.h"
#include "arch/x86/paging.h"
#include "arch/x86/switcher.h"
#include "kernel/frames.h"
#include "kernel/lguest/guest.h"
#include "kernel/lguest/pte.h"
#include "kernel/lguest/pte_pae.h"
#include "kernel/lguest/shadow_pae.h"

#include "kernel/lguest/shadow_int.h"

#define EAGER_TABLES 32              /* 64 MiB of 2 MiB tables */
#define ROOT_FRAMES 5               /* the PDPT's page, then the four directories */

/* --- frames for shadow tables: a per-guest pool, capped --- */

static void drop_everything(struct guest *g);

HOT static uint64_t *shadow_frame(struct guest *g)
{
    struct shadow *s = &g->shadow;
    uint32_t *f = s->pool;
    if (f) {
        s->pool = (uint32_t *)f[0];
    } else {
        if (s->frames >= SHADOW_MAX_FRAMES)
            return 0;
        f = (uint32_t *)frame_alloc();
        if (!f)
            return 0;
        s->frames++;
    }
    memset(f, 0, PAGE_SIZE);
    return (uint64_t *)f;
}

HOT static void shadow_frame_free(struct guest *g, uint64_t *t)
{
    uint32_t *f = (uint32_t *)t;
    f[0] = (uint32_t)g->shadow.pool;
    g->shadow.pool = f;
}

/* --- roots --- */

/* Which directory entries of a root hold a table (live or parked): the
 * loops over a root's 2046 entries visit only those. */
HOT static inline void table_mark(struct shadow_root *r, uint32_t i) { r->tables[i >> 5] |= 1u << (i & 31); }
HOT static inline void table_unmark(struct shadow_root *r, uint32_t i) { r->tables[i >> 5] &= ~(1u << (i & 31)); }

/* The next entry at or after i, below end, that holds a table; end if none. */
HOT static uint32_t next_table(const struct shadow_root *r, uint32_t i, uint32_t end)
{
    while (i < end) {
        uint32_t w = r->tables[i >> 5] >> (i & 31);
        if (w)
            return i + (uint32_t)__builtin_ctz(w) < end ? i + (uint32_t)__builtin_ctz(w) : end;
        i = (i | 31) + 1;
    }
    return end;
}

HOT static void drop_pdes(struct guest *g, struct shadow_root *r, uint32_t first, uint32_t end)
{
    if (end > FIRST_RESERVED_PDE)
        end = FIRST_RESERVED_PDE;
    for (uint32_t i = next_table(r, first, end); i < end; i = next_table(r, i + 1, end)) {
        shadow_frame_free(g, spde_table(r->pd[i]));
        r->pd[i] = 0;
        table_unmark(r, i);
    }
}

static void drop_root(struct guest *g, struct shadow_root *r)
{
    if (r->pd) {
        drop_pdes(g, r, 0, FIRST_RESERVED_PDE);
        frames_free((uint32_t)r->pdpt, ROOT_FRAMES);
    }
    r->pd = 0;      /* the root keeps its identity: it refills on demand */
    r->pdpt = 0;
}

static void drop_everything(struct guest *g)
{
    for (uint32_t i = 0; i < SHADOW_ROOTS; i++)
        drop_root(g, &g->shadow.roots[i]);
    g->shadow.pin_needed = true;
}

/* Shadow directory entries wholly or partly below kernel_address belong
 * to the user half. */
HOT static uint32_t user_pdes(const struct guest *g)
{
    return (uint32_t)(((uint64_t)g->kernel_address + (LARGE_PAGE - 1)) >> 21);
}

void shadow_init(struct guest *g)
{
    struct shadow *s = &g->shadow;
    drop_everything(g);
    for (uint32_t i = 0; i < SHADOW_ROOTS; i++)
        s->roots[i].used = false;
    s->linear = true;
    s->pae = false;             /* learnt again at the first NEW_PGTABLE */
    s->cur = 0;
    s->victim = 1;
    s->roots[0].used = true;
    s->roots[0].gpgd = 0;
}

void shadow_release(struct guest *g)
{
    drop_everything(g);
    struct shadow *s = &g->shadow;
    while (s->pool) {
        uint32_t *f = s->pool;
        s->pool = (uint32_t *)f[0];
        frame_free((uint32_t)f);
        s->frames--;
    }
}

/* A root's PDPT and four directories, one allocation: made once, kept
 * while the root is (its directories are what a flush empties). */
HOT static uint64_t *root_pd(struct shadow_root *r)
{
    if (!r->pd) {
        uint32_t block = frames_alloc(ROOT_FRAMES, 1);
        if (!block)
            return 0;
        memset((void *)block, 0, ROOT_FRAMES * PAGE_SIZE);
        r->pdpt = (uint64_t *)block;
        r->pd = (uint64_t *)(block + PAGE_SIZE);
        paging_fill_pdpt(r->pdpt, (uint32_t)r->pd);
        r->pd[FIRST_RESERVED_PDE] = switcher_guest_pde();
    }
    return r->pd;
}

HOT uint32_t shadow_cr3(struct guest *g)
{
    struct shadow_root *r = &g->shadow.roots[g->shadow.cur];
    uint64_t *pd = root_pd(r);
    if (!pd) {
        drop_everything(g);
        pd = root_pd(r);
    }
    if (!pd) {
        guest_kill(g, "out of memory for shadow page tables");
        return 0;
    }
    /* the switcher slot of the CPU it runs on now */
    uint64_t sw = switcher_guest_pde();
    if (pd[FIRST_RESERVED_PDE] != sw)
        pd[FIRST_RESERVED_PDE] = sw;
    return (uint32_t)r->pdpt;
}

/* --- walking the guest's tables --- */

/* Reads the guest's entries for va. SHADOW_GUEST_FAULT when not present. */
HOT static enum shadow_result walk(struct guest *g, uint32_t va, struct shadow_walk *w)
{
    w->present = false;
    if (va >= SWITCHER_VA)
        return SHADOW_GUEST_FAULT;
    if (g->shadow.linear) {
        /* 3.10 guests start on a pretend identity map (ABI 1.5) */
        if (va >= g->mem.size) {
            guest_kill(g, "bad page table entry: linear-mode access to 0x%08lx beyond memory%s",
                       (unsigned long)va, g->ld ? "" : " before LGUEST_INIT: not an lguest guest kernel?");
            return SHADOW_KILLED;
        }
        w->gpte = (va & ~0xFFFu) | PTE_P | PTE_W | PTE_A | PTE_D;
        w->pde = 0;
        w->gpte_gpa = 0;
        w->present = true;
        return SHADOW_FIXED;
    }
    uint32_t gpgd = g->shadow.roots[g->shadow.cur].gpgd;
    if (g->shadow.pae)
        return shadow_pae_walk(g, gpgd, va, w);
    uint32_t pde;
    if (!gmem_read_u32(&g->mem, gpgd + (va >> 22) * 4, &pde)) {
        guest_kill(g, "bad read address 0x%08lx len 4 (page directory)", (unsigned long)gpgd);
        return SHADOW_KILLED;
    }
    if (!(pde & PTE_P))
        return SHADOW_GUEST_FAULT;
    const char *why = guest_pde_check(pde, g->pfn_limit);
    if (why) {
        guest_kill(g, "bad page directory entry 0x%08lx for 0x%08lx: %s", (unsigned long)pde,
                   (unsigned long)va, why);
        return SHADOW_KILLED;
    }
    uint32_t gpa = (pde & ~0xFFFu) + ((va >> 12) & 1023) * 4;
    uint32_t pte;
    if (!gmem_read_u32(&g->mem, gpa, &pte)) {
        guest_kill(g, "bad read address 0x%08lx len 4 (page table)", (unsigned long)gpa);
        return SHADOW_KILLED;
    }
    if (!(pte & PTE_P))
        return SHADOW_GUEST_FAULT;
    if (__builtin_expect(g->gen == GEN_4, 0) && pte >> 12 >= g->pfn_limit && vpci_is_mmio(g, pte & ~0xFFFu)) {
        w->gpte = pte & pde_fold(pde);
        w->pde = pde;
        w->gpte_gpa = gpa;
        w->present = true;
        return SHADOW_MMIO;
    }
    why = guest_pte_check(pte, g->pfn_limit);
    if (why) {
        guest_kill(g, "bad page table entry 0x%08lx for 0x%08lx: %s", (unsigned long)pte,
                   (unsigned long)va, why);
        return SHADOW_KILLED;
    }
    /* Permissions are the intersection of both levels, as on the CPU. */
    w->gpte = pte & pde_fold(pde);
    w->pde = pde;
    w->gpte_gpa = gpa;
    w->present = true;
    return SHADOW_FIXED;
}

/* Sets A (and D for a write) in the guest's PTE, as the CPU would have. */
HOT static bool mark_accessed(struct guest *g, const struct shadow_walk *w, uint64_t *pte, bool write)
{
    uint32_t want = PTE_A | (write ? PTE_D : 0);
    if (!w->gpte_gpa || (*pte & want) == want)
        return true;
    uint32_t raw;
    if (!gmem_read_u32(&g->mem, w->gpte_gpa, &raw) || !gmem_write_u32(&g->mem, w->gpte_gpa, raw | want)) {
        guest_kill(g, "bad write address 0x%08lx len 4 (page table)", (unsigned long)w->gpte_gpa);
        return false;
    }
    *pte |= want;
    return true;
}


HOT uint64_t shadow_entry(struct guest *g, uint32_t va)
{
    uint64_t *pt = shadow_pt(g->shadow.roots[g->shadow.cur].pd, va);
    return pt ? pt[PT_INDEX(va)] : 0;
}

/* The table of root r at directory index i (parked, or live at a full
 * flush) is checked against r's guest directory and made live, keeping
 * only the entries that are still exactly what a fill would make now: the
 * guest PTE present, accessed (every shadow entry was made from an
 * accessed one, so a guest that cleared A loses it), acceptable, under the
 * guest PDE as it is now (its frame and permissions), with the same frame
 * and flags. Everything else is cleared and faults in as usual, so what the
 * guest changed is never served stale. A guest PDE that is gone or
 * unacceptable drops the whole table: the fault that follows reflects or
 * stops the guest as it would without a shadow. The live PDE is made with
 * A clear, so the next flush can tell whether the CPU used it. */
HOT static void unpark(struct guest *g, struct shadow_root *r, uint32_t i)
{
    uint64_t *spt = spde_table(r->pd[i]);
    if (g->shadow.pae) {
        if (shadow_pae_recheck(g, r->gpgd, i, spt)) {
            r->pd[i] = (uint32_t)spt | PTE_P | PTE_W | PTE_U;
        } else {
            shadow_frame_free(g, spt);
            r->pd[i] = 0;
            table_unmark(r, i);
        }
        return;
    }
    /* shadow table i is half (i & 1) of the guest's table under PDE i / 2 */
    uint32_t pde;
    const volatile uint32_t *gpt = 0;
    if (gmem_read_u32(&g->mem, r->gpgd + split_gpde(i) * 4, &pde) && (pde & PTE_P) &&
        !guest_pde_check(pde, g->pfn_limit))
        gpt = gmem_ptr(&g->mem, (pde & ~0xFFFu) + split_half_offset(i), PAGE_SIZE / 2);
    if (!gpt) {
        shadow_frame_free(g, spt);
        r->pd[i] = 0;
        table_unmark(r, i);
        return;
    }
    /* a live shadow entry always has P, in its low word */
    uint32_t fold = (uint32_t)pde_fold(pde), base_lo = (uint32_t)g->mem.phys, base_hi = (uint32_t)(g->mem.phys >> 32);
    uint32_t limit = g->pfn_limit, *words = (uint32_t *)spt;
    for (uint32_t j = 0; j < PT_ENTRIES; j++) {
        uint32_t lo = words[2 * j];
        if (!lo)
            continue;
        if (!shadow_pte_current32(lo, words[2 * j + 1], gpt[j], fold, base_lo, base_hi, limit)) {
            spt[j] = 0;
            g->stats.shadow_unpark_dropped++;
        }
    }
    r->pd[i] = (uint32_t)spt | PTE_P | PTE_W | PTE_U;
}

HOT static enum shadow_result install(struct guest *g, uint32_t va, uint64_t gpte)
{
    struct shadow_root *r = &g->shadow.roots[g->shadow.cur];
    uint64_t *pd = root_pd(r);
    if (pd && (pd[PD_INDEX(va)] & SPDE_PARKED)) {
        g->stats.shadow_unparked++;
        unpark(g, r, PD_INDEX(va));
    }
    uint64_t *pt = shadow_pt(pd, va);
    if (pd && !pt) {
        pt = shadow_frame(g);
        if (pt) {
            pd[PD_INDEX(va)] = (uint32_t)pt | PTE_P | PTE_W | PTE_U;
            table_mark(r, PD_INDEX(va));
        }
    }
    if (!pt) {
        /* out of shadow frames: start over with an empty cache and retry
         * once; the fault simply happens again */
        drop_everything(g);
        return shadow_cr3(g) ? SHADOW_FIXED : SHADOW_KILLED;
    }
    gmem_settle(&g->mem, (uint32_t)gpte & ~0xFFFu, PAGE_SIZE);  /* first sight of the page */
    pt[PT_INDEX(va)] = shadow_pte_make(gpte, g->mem.phys);
    return SHADOW_FIXED;
}

/* After a fault at va is fixed, the guest's neighbouring entries that it
 * has already used (A set) are copied too: a process that touched one page
 * of a run touches the rest (code after fork and exec, a copied stack), and
 * each entry copied now is an exit saved later. Only entries the guest
 * marked accessed are taken, so A keeps its meaning; clean pages are mapped
 * read-only as always; an entry that fails its check is left for a fault
 * to judge. Every copy is a shadow entry like any other: the guest's next
 * SET_PTE or flush for it drops it. (PREFILL_ENTRIES: shadow_int.h) */

HOT static void prefill(struct guest *g, uint32_t va, uint32_t pde)
{
    uint64_t *spt = shadow_pt(g->shadow.roots[g->shadow.cur].pd, va);
    if (!spt)
        return;
    uint32_t first = PT_INDEX(va) & ~(PREFILL_ENTRIES - 1);
    uint64_t fold = pde_fold(pde);
    if (g->shadow.pae) {
        /* the same run of pages in the guest's 512-entry table */
        for (uint32_t i = 0; i < PREFILL_ENTRIES; i++) {
            uint64_t pte;
            if (spt[first + i] || !shadow_pae_pte(g, pde, first + i, &pte))
                continue;
            gmem_settle(&g->mem, (uint32_t)pte & ~0xFFFu, PAGE_SIZE);
            spt[first + i] = shadow_pte_make(pte & fold, g->mem.phys);
        }
        return;
    }
    /* the guest's 1024-entry table: the half this shadow table covers */
    const volatile uint32_t *gpt =
        gmem_ptr(&g->mem, (pde & ~0xFFFu) + split_half_offset(PD_INDEX(va)) + first * 4, PREFILL_ENTRIES * 4);
    if (!gpt)
        return;
    for (uint32_t i = 0; i < PREFILL_ENTRIES; i++) {
        uint32_t pte = gpt[i];
        if (spt[first + i] || (pte & (PTE_P | PTE_A)) != (PTE_P | PTE_A) ||
            guest_pte_check(pte, g->pfn_limit))
            continue;
        gmem_settle(&g->mem, pte & ~0xFFFu, PAGE_SIZE);
        spt[first + i] = shadow_pte_make(pte & fold, g->mem.phys);
    }
}

HOT enum shadow_result shadow_fault(struct guest *g, uint32_t va, uint32_t *err)
{
    bool write = *err & 2, user = *err & 4;
    struct shadow_walk w;
    enum shadow_result r = walk(g, va, &w);
    if (r == SHADOW_KILLED)
        return r;
    if (__builtin_expect(r == SHADOW_MMIO, 0))
        return (write && !(w.gpte & PTE_W)) || (user && !(w.gpte & PTE_U)) ? SHADOW_GUEST_FAULT : r;
    /* an instruction fetch (I/D, bit 4: the CPU reports it as the host
     * pages with PAE and NX) from a page the guest's tables mark NX */
    bool fetch_nx = (*err & 0x10u) && (w.gpte & PTE_XD);
    if (r == SHADOW_GUEST_FAULT || (write && !(w.gpte & PTE_W)) || (user && !(w.gpte & PTE_U)) || fetch_nx) {
        /* what the guest's own tables say: present or not; the switcher
         * pages are really mapped, so there the CPU's code is the truth */
        if (va < SWITCHER_VA)
            *err = (*err & ~1u) | (w.present ? 1u : 0u);
        /* a 2-level guest's CPU would not report I/D (32-bit paging has
         * no NX) */
        if (!g->shadow.pae)
            *err &= ~0x10u;
        return SHADOW_GUEST_FAULT;
    }
    if (!mark_accessed(g, &w, &w.gpte, write))
        return SHADOW_KILLED;
    /* a read maps the page read-only until it is dirty (ABI 6.5) */
    r = install(g, va, w.gpte);
    if (r == SHADOW_FIXED && w.pde)
        prefill(g, va, w.pde);
    return r;
}

HOT enum shadow_result shadow_translate(struct guest *g, uint32_t va, bool write, uint32_t *gpa)
{
    struct shadow_walk w;
    enum shadow_result r = walk(g, va, &w);
    if (r == SHADOW_MMIO)
        *gpa = (w.gpte & ~0xFFFu) | (va & 0xFFF);
    if (r != SHADOW_FIXED)
        return r;
    if (write && !(w.gpte & PTE_W))
        return SHADOW_GUEST_FAULT;
    if (!mark_accessed(g, &w, &w.gpte, write))
        return SHADOW_KILLED;
    *gpa = (w.gpte & ~0xFFFu) | (va & 0xFFF);
    return SHADOW_FIXED;
}

uint32_t shadow_fetch(struct guest *g, uint32_t va, uint8_t *buf, uint32_t *gpa, uint32_t n)
{
    uint32_t got = 0;
    for (; got < n; got++) {
        uint32_t pa;
        if (shadow_translate(g, va + got, false, &pa) != SHADOW_FIXED || !gmem_read(&g->mem, pa, &buf[got], 1))
            break;
        if (gpa)
            gpa[got] = pa;
    }
    return got;
}

HOT bool shadow_pin_stack(struct guest *g)
{
    g->shadow.pin_needed = false;
    for (uint32_t i = 0; i < g->stack_pages; i++) {
        uint32_t va = g->esp1 - 1 - i * PAGE_SIZE;
        if ((shadow_entry(g, va) & (PTE_P | PTE_W)) == (PTE_P | PTE_W))
            continue;           /* still mapped writable: nothing to do */
        uint32_t err = 2;       /* a supervisor write, as the CPU's push */
        enum shadow_result r = shadow_fault(g, va, &err);
        if (r == SHADOW_KILLED)
            return false;
        if (r != SHADOW_FIXED) {
            guest_kill(g, "bad stack page 0x%08lx", (unsigned long)va);
            return false;
        }
    }
    return true;
}

/* --- the page-table hypercalls --- */


HOT void shadow_new_pgtable(struct guest *g, uint32_t gpgd)
{
    struct shadow *s = &g->shadow;
    if (s->linear && !shadow_pae_decide(g, gpgd))
        return;
    if (s->pae) {
        gpgd &= ~0x1Fu;     /* what CR3 ignores in PAE paging, as ~0xFFF below */
        if (!gmem_ok(&g->mem, gpgd, 32)) {
            guest_kill(g, "bad page table address 0x%08lx", (unsigned long)gpgd);
            return;
        }
    } else {
        gpgd &= ~0xFFFu;
        if (!gmem_ok(&g->mem, gpgd, PAGE_SIZE)) {
            guest_kill(g, "bad page table address 0x%08lx", (unsigned long)gpgd);
            return;
        }
    }
    if (s->linear) {
        /* the end of the pretend identity map: forget all of it */
        drop_everything(g);
        for (uint32_t i = 0; i < SHADOW_ROOTS; i++)
            s->roots[i].used = false;
        s->linear = false;
    }
    struct shadow_root *r = find_root(g, gpgd);
    if (!r) {
        uint32_t i = s->victim;
        if (i == s->cur)
            i = (i + 1) % SHADOW_ROOTS;
        s->victim = (i + 1) % SHADOW_ROOTS;
        r = &s->roots[i];
        /* Kernel mappings are the same in every address space (ABI 6.3):
         * a recycled root keeps its kernel half and loses its user half. */
        if (r->pd)
            drop_pdes(g, r, 0, user_pdes(g));
        r->used = true;
        r->gpgd = gpgd;
    }
    s->cur = (uint32_t)(r - s->roots);
    s->pin_needed = true;
}

void shadow_forget(struct guest *g, uint32_t gpgd)
{
    struct shadow_root *r = find_root(g, gpgd & ~0xFFFu);
    if (!r || r == &g->shadow.roots[g->shadow.cur])
        return;
    if (r->pd)
        drop_pdes(g, r, 0, user_pdes(g));
    r->used = false;
}



HOT void shadow_set_pte(struct guest *g, uint32_t gpgd, uint32_t va, uint32_t gpte)
{
    if (va >= SWITCHER_VA) {
        guest_kill(g, "attempt to set pte in the switcher (0x%08lx)", (unsigned long)va);
        return;
    }
    struct shadow_root *cur = &g->shadow.roots[g->shadow.cur];
    bool in_cur = drop_pte(g, gpgd, va);
    /* A new entry the guest has already marked accessed is one it is
     * about to use (a page fault it just handled): fill the shadow now and
     * save the fault that would otherwise follow, as lguest does. The
     * guest's tables are read afresh, so the value passed in only says
     * whether it is worth it. */
    struct shadow_walk w;
    if (in_cur && !g->shadow.linear && (gpte & (PTE_P | PTE_A)) == (PTE_P | PTE_A) &&
        shadow_pt(cur->pd, va) && walk(g, va, &w) == SHADOW_FIXED && (w.gpte & PTE_A))
        install(g, va, w.gpte);
    /* dropping the stack's mapping must not leave the direct syscall
     * gate without a stack */
    if (stack_page(g, va))
        g->shadow.pin_needed = true;
}

HOT void shadow_set_pgd(struct guest *g, uint32_t gpgd, uint32_t index)
{
    if (g->shadow.pae) {
        /* one PDPT entry: 1 GiB, 256 shadow tables */
        gpgd &= ~0x1Fu;     /* as a 2-level directory's low bits: names no other table */
        const char *why = pae_set_pgd_check(gpgd, index);
        if (why) {
            guest_kill(g, "SET_PGD 0x%08lx %lu: %s", (unsigned long)gpgd, (unsigned long)index, why);
            return;
        }
        struct shadow_root *r = find_root(g, gpgd);
        if (r && r->pd)
            drop_pdes(g, r, index * PT_ENTRIES, index * PT_ENTRIES + PT_ENTRIES);
        g->shadow.pin_needed = true;
        return;
    }
    if (index >= 1024) {
        guest_kill(g, "bad pgd index %lu", (unsigned long)index);
        return;
    }
    /* a guest directory entry is two shadow ones (drop_pdes spares the
     * switcher's) */
    struct shadow_root *r = find_root(g, gpgd & ~0xFFFu);
    if (r && r->pd)
        drop_pdes(g, r, split_first_spde(index), split_first_spde(index) + 2);
    g->shadow.pin_needed = true;
}

HOT void shadow_set_pmd(struct guest *g, uint32_t pmd, uint32_t index)
{
    if (!g->shadow.pae) {
        guest_kill(g, "bad hypercall 13 (SET_PMD is for PAE guests; this one %s)",
                   g->shadow.linear ? "has not named its page tables yet" : "uses 2-level page tables");
        return;
    }
    const char *why = pae_set_pmd_check(pmd, index);
    if (why) {
        guest_kill(g, "SET_PMD 0x%08lx %lu: %s", (unsigned long)pmd, (unsigned long)index, why);
        return;
    }
    /* The PMD page does not say which addresses it maps: every cached
     * address space whose PDPT names it loses the shadow table over the
     * entry (lguest dropped everything). */
    for (uint32_t i = 0; i < SHADOW_ROOTS; i++) {
        struct shadow_root *r = &g->shadow.roots[i];
        if (!r->used || !r->pd)
            continue;
        uint64_t pdpt[4];
        if (!gmem_read(&g->mem, r->gpgd, pdpt, sizeof(pdpt))) {
            drop_root(g, r);
            continue;
        }
        for (uint32_t k = 0; k < 4; k++) {
            if ((pdpt[k] & PTE_P) && (pdpt[k] & PAE_FRAME_MASK) == pmd) {
                uint32_t pde = k * PT_ENTRIES + index;
                drop_pdes(g, r, pde, pde + 1);
            }
        }
    }
    g->shadow.pin_needed = true;
}

HOT void shadow_flush(struct guest *g, bool all)
{
    if (all && !g->shadow.linear) {
        /* Anything may have changed (a Linux highmem guest says so after
         * every kmap_atomic), but dropping every table made such a guest
         * refill its working set at each kmap. Tables are kept: those the
         * CPU used since they were made live (A set in the shadow PDE),
         * up to EAGER_TABLES, are checked now, which costs no exit; the
         * rest are parked and checked if the guest uses them again. */
        uint32_t eager = 0;
        for (uint32_t i = 0; i < SHADOW_ROOTS; i++) {
            struct shadow_root *r = &g->shadow.roots[i];
            uint64_t *pd = r->pd;
            if (!pd)
                continue;
            for (uint32_t j = next_table(r, 0, FIRST_RESERVED_PDE); j < FIRST_RESERVED_PDE;
                 j = next_table(r, j + 1, FIRST_RESERVED_PDE)) {
                if (!(pd[j] & PTE_P))
                    continue;
                if ((pd[j] & PTE_A) && g->shadow.roots[i].used && eager < EAGER_TABLES) {
                    eager++;
                    g->stats.shadow_checked_at_flush++;
                    unpark(g, &g->shadow.roots[i], j);
                } else {
                    pd[j] = (pd[j] & PTE_ADDR) | SPDE_PARKED;
                }
            }
        }
    } else if (all) {
        for (uint32_t i = 0; i < SHADOW_ROOTS; i++) {
            struct shadow_root *r = &g->shadow.roots[i];
            if (r->pd)
                drop_pdes(g, r, 0, FIRST_RESERVED_PDE);
        }
    } else {
        struct shadow_root *r = &g->shadow.roots[g->shadow.cur];
        if (r->pd)
            drop_pdes(g, r, 0, user_pdes(g));
    }
    g->shadow.pin_needed = true;
}
