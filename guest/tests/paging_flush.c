/* Part of test=paging: LHCALL_FLUSH_TLB(1) after page-table writes the
 * host was not told of, the way Linux 3.10's highmem kmap_atomic works (a
 * kernel PTE written in memory, then "anything may have changed"). The
 * host may keep its shadow tables over such a flush and check them against
 * ours later (kernel/lguest/shadow.c); none of that may ever show. Every
 * page holds its own pattern, so a stale translation reads or writes the
 * wrong page and is caught:
 *   flush-kmap-rounds    kernel PTEs mapped, changed, made read-only and
 *                        unmapped silently, each followed by FLUSH_TLB(1),
 *                        checked from three address spaces; a user PTE of
 *                        two of them changed the same way
 *   flush-accessed-dirty A and D are still emulated on kept tables
 *   flush-read-only      a writable shadow entry made read-only silently
 *   flush-set-pte, flush-set-pgd  the announced changes after a full flush
 *                        (no flush of their own) are seen in every space
 *   flush-pde-silent     a kernel PDE pointed at another table silently
 *   flush-user-only      FLUSH_TLB(0) still covers the current space's
 *                        user mappings */
#include "guest/hcall.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/x86.h"

#define NPAGES      12
#define NSLOTS      8
#define SLOT0       16                  /* KMAP slots 16..23 */
#define UVA         (USER_SCRATCH_VA + 0x00300000)
#define ROUNDS      240
#define WORDS       1024
#define LAST_WORD   (WORDS - 1)

static u32 page[NPAGES];
static u32 *space[3];                   /* A, B and the kernel's own */
static u32 state[NSLOTS];               /* the PTE value each slot holds */
static u32 rng = 0x2545F491;
static unsigned bad;                    /* mismatches so far (first one printed) */

static u32 next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static u32 pattern(unsigned p, unsigned w) { return 0x5EED0000u ^ (p << 12) ^ (w * 0x9E3779B1u); }
static u32 slot_va(unsigned s) { return KMAP_VA + (SLOT0 + s) * PAGE_SIZE; }
static volatile u32 *kpte(unsigned s) { return pte_lookup(kernel_pgd, slot_va(s)); }
static unsigned page_of(u32 pte)
{
    for (unsigned i = 0; i < NPAGES; i++)
        if ((pte & ~0xFFFu) == page[i])
            return i;
    return NPAGES;
}

static void flush_all(int async)
{
    if (async) {
        hcall_async(LHCALL_FLUSH_TLB, 1, 0, 0);
        hcall_flush();
    } else {
        hcall(LHCALL_FLUSH_TLB, 1, 0, 0);
    }
}

static void mismatch(const char *what, unsigned round, u32 va, u32 got, u32 want)
{
    if (!bad++)
        printf("paging: flush round %u: %s at 0x%x read 0x%x, want 0x%x\n", round, what, (unsigned)va,
               (unsigned)got, (unsigned)want);
}

/* Reads va as a probe: the value, or *faulted set. */
static u32 probe(u32 va, int *faulted)
{
    struct fault_rec r;
    expect_fault((u32)probe_read_resume);
    u32 v = probe_read(va);
    *faulted = expect_taken(&r);
    return v;
}

/* What the current space must see through mapping pte at va (a kernel
 * slot or the user page): its page's pattern, or a fault if unmapped; a
 * writable mapping must write into that page and no other. */
static void check_mapping(unsigned round, u32 va, u32 pte)
{
    unsigned w = (round * 37 + (va >> 12)) % WORDS;
    int faulted;
    u32 v = probe(va + w * 4, &faulted);
    if (!(pte & PTE_P)) {
        if (!faulted)
            mismatch("an unmapped page", round, va, v, 0);
        return;
    }
    unsigned p = page_of(pte);
    if (faulted || v != pattern(p, w)) {
        mismatch(faulted ? "a fault on a mapped page" : "a stale page", round, va, faulted ? 0xFA17 : v,
                 pattern(p, w));
        return;
    }
    if (pte & PTE_W) {
        u32 *direct = __va(page[p]);
        *(volatile u32 *)(va + LAST_WORD * 4) = 0xC0DE0000u | round;
        u32 seen = *(volatile u32 *)&direct[LAST_WORD];
        if (seen != (0xC0DE0000u | round))
            mismatch("a write through a stale page", round, va, seen, 0xC0DE0000u | round);
        direct[LAST_WORD] = pattern(p, LAST_WORD);
    }
}

static void kmap_rounds(void)
{
    u32 upte[2] = { 0, 0 };             /* A's and B's user PTE at UVA */
    for (unsigned i = 0; i < 2; i++)
        map_page(space[i], UVA, page[i], PTE_U | PTE_W | PTE_A | PTE_D, 0);
    upte[0] = *pte_lookup(space[0], UVA);
    upte[1] = *pte_lookup(space[1], UVA);
    for (unsigned round = 0; round < ROUNDS; round++) {
        unsigned s = next() % NSLOTS, p = next() % NPAGES, act = next() % 8;
        if (act <= 2) {                 /* map or change, fully used or fresh */
            state[s] = page[p] | PTE_P | PTE_W | (act == 2 ? 0 : PTE_A | PTE_D);
            *kpte(s) = state[s];
        } else if (act == 3) {          /* unmap */
            state[s] = 0;
            *kpte(s) = 0;
        } else if (act == 4) {          /* read-only, same page */
            state[s] &= ~(u32)PTE_W;
            *kpte(s) = state[s];
        } else if (act == 5) {          /* a user PTE of A or B */
            unsigned sp = next() & 1;
            upte[sp] = page[p] | PTE_P | PTE_U | PTE_W | PTE_A | PTE_D;
            *pte_lookup(space[sp], UVA) = upte[sp];
        }                               /* 6, 7: nothing changed, just flush */
        flush_all(round & 1);
        unsigned cur = round % 3;
        mm_switch(space[cur]);
        for (unsigned i = 0; i < NSLOTS; i++)
            check_mapping(round, slot_va(i), state[i]);
        if (cur < 2)
            check_mapping(round, UVA, upte[cur]);
        mm_switch(kernel_pgd);
        /* what the rounds above left behind is checked from another space
         * too, before the next change */
        if (round % 5 == 0) {
            mm_switch(space[(cur + 1) % 3]);
            for (unsigned i = 0; i < NSLOTS; i++)
                check_mapping(round, slot_va(i), state[i]);
            mm_switch(kernel_pgd);
        }
    }
    check(!bad, "paging/flush-kmap-rounds", "%u stale or wrong reads in %u rounds (first printed above)", bad,
          ROUNDS);
    for (unsigned i = 0; i < NSLOTS; i++) {
        state[i] = 0;
        set_pte(kernel_pgd, slot_va(i), 0);
    }
    for (unsigned i = 0; i < 2; i++)
        set_pte(space[i], UVA, 0);
}

static void accessed_dirty(void)
{
    u32 va = slot_va(0);
    volatile u32 *pte = kpte(0);
    *pte = page[3] | PTE_P | PTE_W;     /* fresh: no A, no D */
    flush_all(0);
    u32 v = *(volatile u32 *)va;
    u32 after_read = *pte;
    *(volatile u32 *)(va + 4) = pattern(3, 1);
    u32 after_write = *pte;
    /* the shadow now maps it writable; clear A and D silently */
    *pte = page[3] | PTE_P | PTE_W;
    flush_all(0);
    u32 v2 = *(volatile u32 *)va;
    u32 again_read = *pte;
    *(volatile u32 *)(va + 4) = pattern(3, 1);
    u32 again_write = *pte;
    set_pte(kernel_pgd, va, 0);
    check(v == pattern(3, 0) && v2 == v && (after_read & PTE_A) && !(after_read & PTE_D) && (after_write & PTE_D) &&
          (again_read & PTE_A) && !(again_read & PTE_D) && (again_write & PTE_D), "paging/flush-accessed-dirty",
          "PTE 0x%x after a read, 0x%x after a write; after clearing them: 0x%x, 0x%x", (unsigned)after_read,
          (unsigned)after_write, (unsigned)again_read, (unsigned)again_write);
}

static void read_only(void)
{
    u32 va = slot_va(1);
    volatile u32 *pte = kpte(1);
    *pte = page[4] | PTE_P | PTE_W | PTE_A | PTE_D;
    flush_all(0);
    *(volatile u32 *)(va + 8) = pattern(4, 2);      /* the shadow entry is writable now */
    *pte = page[4] | PTE_P | PTE_A | PTE_D;
    flush_all(0);
    struct fault_rec r;
    expect_fault((u32)probe_write_resume);
    probe_write(va + 8, 0xBAD);
    int got = expect_taken(&r);
    u32 kept = ((u32 *)__va(page[4]))[2];
    set_pte(kernel_pgd, va, 0);
    check(got && r.vector == 14 && r.cr2 == va + 8 && (r.error & 3) == 3 && kept == pattern(4, 2),
          "paging/flush-read-only", "write after making the page read-only: %s (error 0x%x, cr2 0x%x), word 0x%x",
          got ? "faulted" : "no fault", (unsigned)r.error, (unsigned)r.cr2, (unsigned)kept);
}

/* Reads va in every space: how many saw want at word 0. */
static unsigned seen_everywhere(u32 va, u32 want)
{
    unsigned n = 0;
    for (unsigned i = 0; i < 3; i++) {
        mm_switch(space[i]);
        n += *(volatile u32 *)va == want;
        mm_switch(kernel_pgd);
    }
    return n;
}

static void announced_after_flush(void)
{
    u32 va = slot_va(2);
    set_pte(kernel_pgd, va, page[5] | PTE_P | PTE_W | PTE_A | PTE_D);
    unsigned before = seen_everywhere(va, pattern(5, 0));
    flush_all(0);
    set_pte(kernel_pgd, va, page[6] | PTE_P | PTE_W | PTE_A | PTE_D);  /* no flush */
    unsigned after = seen_everywhere(va, pattern(6, 0));
    flush_all(0);
    set_pte(kernel_pgd, va, 0);
    int faulted;
    probe(va, &faulted);
    check(before == 3 && after == 3 && faulted, "paging/flush-set-pte",
          "%u of 3 spaces saw the first page, %u the one SET_PTE put there after a full flush; %s after SET_PTE 0",
          before, after, faulted ? "fault" : "no fault");

    /* SET_PGD: the spare window's table in every directory, used, flushed,
     * then replaced by another table, announced */
    u32 pt1 = page_alloc(), pt2 = page_alloc();
    u32 spa = SPARE_VA + 0x5000;
    *pt_slot(pt1, 5) = page[7] | PTE_P | PTE_W | PTE_A | PTE_D;
    *pt_slot(pt2, 5) = page[8] | PTE_P | PTE_W | PTE_A | PTE_D;
    for (unsigned i = 0; i < 3; i++) {
        *pde_lookup(space[i], SPARE_VA) = pt1 | PDE_KERNEL;
        pde_announce(space[i], SPARE_VA);
    }
    before = seen_everywhere(spa, pattern(7, 0));
    flush_all(0);
    for (unsigned i = 0; i < 3; i++) {
        *pde_lookup(space[i], SPARE_VA) = pt2 | PDE_KERNEL;
        pde_announce(space[i], SPARE_VA);
    }
    after = seen_everywhere(spa, pattern(8, 0));
    check(before == 3 && after == 3, "paging/flush-set-pgd",
          "%u of 3 spaces saw the first table's page, %u the second's after SET_PGD", before, after);

    /* the same PDE change, silently, then a full flush */
    for (unsigned i = 0; i < 3; i++)
        *pde_lookup(space[i], SPARE_VA) = pt1 | PDE_KERNEL;
    flush_all(1);
    unsigned silent = seen_everywhere(spa, pattern(7, 0));
    for (unsigned i = 0; i < 3; i++)
        *pde_lookup(space[i], SPARE_VA) = 0;
    flush_all(0);
    probe(spa, &faulted);
    check(silent == 3 && faulted, "paging/flush-pde-silent",
          "%u of 3 spaces saw the table the PDE points to again; %s once it was cleared", silent,
          faulted ? "fault" : "no fault");
    page_free(pt1);
    page_free(pt2);
}

static void user_only(void)
{
    map_page(space[0], UVA, page[9], PTE_U | PTE_W | PTE_A | PTE_D, 0);
    mm_switch(space[0]);
    u32 v1 = *(volatile u32 *)UVA;
    *pte_lookup(space[0], UVA) = page[10] | PTE_P | PTE_U | PTE_W | PTE_A | PTE_D;
    hcall(LHCALL_FLUSH_TLB, 0, 0, 0);
    u32 v2 = *(volatile u32 *)UVA;
    *pte_lookup(space[0], UVA) = 0;
    hcall(LHCALL_FLUSH_TLB, 0, 0, 0);
    int faulted;
    probe(UVA, &faulted);
    mm_switch(kernel_pgd);
    check(v1 == pattern(9, 0) && v2 == pattern(10, 0) && faulted, "paging/flush-user-only",
          "read 0x%x, 0x%x after a silent change and FLUSH_TLB(0) (want 0x%x, 0x%x); %s once unmapped",
          (unsigned)v1, (unsigned)v2, (unsigned)pattern(9, 0), (unsigned)pattern(10, 0),
          faulted ? "fault" : "no fault");
}

void paging_flush(void)
{
    for (unsigned i = 0; i < NPAGES; i++) {
        page[i] = page_alloc();
        u32 *p = __va(page[i]);
        for (unsigned w = 0; w < WORDS; w++)
            p[w] = pattern(i, w);
    }
    space[0] = pgd_new();
    space[1] = pgd_new();
    space[2] = kernel_pgd;
    kmap_rounds();
    accessed_dirty();
    read_only();
    announced_after_flush();
    user_only();
    pgd_free(space[0]);
    pgd_free(space[1]);
    for (unsigned i = 0; i < NPAGES; i++)
        page_free(page[i]);
}
