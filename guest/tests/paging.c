/* test=paging: our own page tables as the host shadows them
 * (lguest-abi.md 6): separate address spaces, SET_PTE/SET_PGD/FLUSH_TLB,
 * accessed/dirty bits written back into our PTEs, kernel mappings shared
 * by every space, and page faults our own kernel resolves; full flushes
 * after silent table writes are in paging_flush.c. */
#include <string.h>
#include "guest/hcall.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/x86.h"

#define VA USER_SCRATCH_VA
#define VA2 (USER_SCRATCH_VA + 0x5000)

static u32 rd(u32 va) { return *(volatile u32 *)va; }
/* The host writes A/D into our tables behind the compiler's back: every
 * look at a PTE must be a real load, in program order with the accesses. */
static u32 pte_now(u32 *pte) { return *(volatile u32 *)pte; }
static void wr(u32 va, u32 v) { *(volatile u32 *)va = v; }

static void spaces(void)
{
    u32 *a = space_with_page(VA, 0xAAAA, 0), *b = space_with_page(VA, 0xBBBB, 0);
    u32 va1 = read_in_space(a, VA), vb = read_in_space(b, VA), va2 = read_in_space(a, VA);
    check(va1 == 0xAAAA && vb == 0xBBBB && va2 == 0xAAAA, "paging/two-spaces",
          "same address read 0x%x in A, 0x%x in B, 0x%x in A again", (unsigned)va1, (unsigned)vb, (unsigned)va2);

    /* SET_PTE on the current space changes what we see at once. */
    u32 c = page_with(0xCCCC);
    u32 old_a = *pte_lookup(a, VA);
    mm_switch(a);
    u32 before = rd(VA);
    set_pte(a, VA, c | PTE_P | PTE_W | PTE_U | PTE_OWNED);
    u32 after = rd(VA);
    mm_switch(kernel_pgd);
    page_free(old_a & ~0xFFFu);
    check(before == 0xAAAA && after == 0xCCCC, "paging/set-pte-user",
          "read 0x%x, then 0x%x after SET_PTE (want 0xaaaa, 0xcccc)", (unsigned)before, (unsigned)after);

    /* ... and on a space that is not current, seen when switching to it
     * (B was used above, so the host may hold translations for it). */
    u32 d = page_with(0xDDDD);
    u32 old_b = *pte_lookup(b, VA);
    set_pte(b, VA, d | PTE_P | PTE_W | PTE_U | PTE_OWNED);
    u32 vd = read_in_space(b, VA);
    check(vd == 0xDDDD, "paging/set-pte-other-space", "read 0x%x in B after SET_PTE from elsewhere, want 0xdddd",
          (unsigned)vd);
    page_free(old_b & ~0xFFFu);

    /* Accessed and dirty: a fresh PTE without them; a read sets A only, a
     * write sets D. The host writes them into our table (6.5). */
    u32 e = page_with(0xEEEE);
    map_page(a, VA2, e, PTE_U | PTE_W | PTE_OWNED, 0);
    u32 *pte = pte_lookup(a, VA2);
    u32 fresh = pte_now(pte);
    mm_switch(a);
    u32 v = rd(VA2);
    u32 after_read = pte_now(pte);
    wr(VA2, 0xE1E1);
    u32 after_write = pte_now(pte);
    /* Clear A/D like a page-ageing kernel and say so: they come back. */
    set_pte(a, VA2, pte_now(pte) & ~(PTE_A | PTE_D));
    u32 reread = rd(VA2);
    u32 again_read = pte_now(pte);
    wr(VA2, 0xE2E2);
    u32 again_write = pte_now(pte);
    mm_switch(kernel_pgd);
    check(!(fresh & (PTE_A | PTE_D)) && (after_read & PTE_A) && !(after_read & PTE_D), "paging/accessed-bit",
          "PTE 0x%x fresh, 0x%x after a read", (unsigned)fresh, (unsigned)after_read);
    check((after_write & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "paging/dirty-bit", "PTE 0x%x after a write",
          (unsigned)after_write);
    check(v == 0xEEEE && reread == 0xE1E1 && (again_read & PTE_A) && !(again_read & PTE_D) &&
          (again_write & (PTE_A | PTE_D)) == (PTE_A | PTE_D) && *(u32 *)__va(e) == 0xE2E2,
          "paging/accessed-dirty-again", "after clearing: 0x%x after a read, 0x%x after a write; page 0x%x",
          (unsigned)again_read, (unsigned)again_write, (unsigned)*(u32 *)__va(e));

    /* The same for a kernel page (no U bit, any space). */
    u32 k = page_with(0x4B4B);
    u32 kva = kmap(3, k, PTE_W);
    pte = pte_lookup(kernel_pgd, kva);
    fresh = pte_now(pte);
    v = rd(kva);
    after_read = pte_now(pte);
    wr(kva, 0x4C4C);
    after_write = pte_now(pte);
    check(v == 0x4B4B && !(fresh & PTE_A) && (after_read & PTE_A) && !(after_read & PTE_D) &&
          (after_write & PTE_D), "paging/kernel-accessed-dirty", "PTE 0x%x fresh, 0x%x read, 0x%x written",
          (unsigned)fresh, (unsigned)after_read, (unsigned)after_write);
    kunmap(3);
    page_free(k);

    /* SET_PTE with value 0 is Linux's single-page flush: the table still
     * holds the entry, so the next access works again. */
    mm_switch(a);
    hcall(LHCALL_SET_PTE, pgd_pa(a), VA, 0);
    v = rd(VA);
    mm_switch(kernel_pgd);
    check(v == 0xCCCC, "paging/invalidate-page", "read 0x%x after SET_PTE(va, 0), want 0xcccc", (unsigned)v);

    /* Kernel mappings are the same in every space: one SET_PTE on any
     * directory changes a kernel address everywhere (6.3). */
    u32 k1 = page_with(0x1EE1), k2 = page_with(0x2EE2);
    kva = kmap(4, k1, PTE_W);
    u32 ka = read_in_space(a, kva), kb = read_in_space(b, kva), kk = rd(kva);
    mm_switch(a);
    *pte_lookup(a, kva) = k2 | PTE_P | PTE_W;
    hcall(LHCALL_SET_PTE, pgd_pa(a), kva, k2 | PTE_P | PTE_W);
    mm_switch(kernel_pgd);
    u32 kb2 = read_in_space(b, kva), kk2 = rd(kva);
    check(ka == 0x1EE1 && kb == 0x1EE1 && kk == 0x1EE1, "paging/kernel-mapping-shared",
          "read 0x%x in A, 0x%x in B, 0x%x in the kernel's space", (unsigned)ka, (unsigned)kb, (unsigned)kk);
    check(kb2 == 0x2EE2 && kk2 == 0x2EE2, "paging/kernel-set-pte-everywhere",
          "after SET_PTE through A: 0x%x in B, 0x%x in the kernel's space", (unsigned)kb2, (unsigned)kk2);
    kunmap(4);
    page_free(k1);
    page_free(k2);

    /* A kernel page table added later (SET_PGD in every directory, as a
     * kernel without a shared top level must do), then a page in it. */
    u32 pt = page_alloc(), kp = page_with(0x5AFE);
    u32 *dirs[3] = { kernel_pgd, a, b };
    for (unsigned i = 0; i < 3; i++) {
        *pde_lookup(dirs[i], SPARE_VA) = pt | PDE_KERNEL;
        pde_announce(dirs[i], SPARE_VA);
    }
    set_pte(kernel_pgd, SPARE_VA + 0x3000, kp | PTE_P | PTE_W);
    u32 sa = read_in_space(a, SPARE_VA + 0x3000), sb = read_in_space(b, SPARE_VA + 0x3000);
    u32 sk = rd(SPARE_VA + 0x3000);
    check(sa == 0x5AFE && sb == 0x5AFE && sk == 0x5AFE, "paging/kernel-pgd-added",
          "read 0x%x in A, 0x%x in B, 0x%x in the kernel's space", (unsigned)sa, (unsigned)sb, (unsigned)sk);
    for (unsigned i = 0; i < 3; i++) {
        *pde_lookup(dirs[i], SPARE_VA) = 0;
        pde_announce(dirs[i], SPARE_VA);
    }
    page_free(pt);
    page_free(kp);

    pgd_free(a);
    pgd_free(b);
}

/* The host copies a faulting entry's neighbours that we already used
 * (A set) into its shadow, to save their faults. None of that may show: a
 * neighbour we never used keeps A clear, a used but clean one still gets D
 * on its first write, a bad one we never touch is no reason to stop us,
 * and one we change is seen changed. */
static void neighbours(void)
{
    u32 base = USER_SCRATCH_VA + 0x40000;       /* 64 KiB aligned: one group */
    u32 *a = pgd_new();
    u32 p0 = page_with(0x0A0A), p1 = page_with(0x1A1A), p2 = page_with(0x2A2A);
    u32 p5 = page_with(0x5A5A), p5b = page_with(0x5B5B);
    map_page(a, base, p0, PTE_U | PTE_W | PTE_OWNED, 0);
    map_page(a, base + 0x1000, p1, PTE_U | PTE_W | PTE_A | PTE_OWNED, 0);
    map_page(a, base + 0x2000, p2, PTE_U | PTE_W | PTE_OWNED, 0);
    map_page(a, base + 0x3000, 0xF0000000u, PTE_U | PTE_W | PTE_A, 0);  /* beyond our memory */
    map_page(a, base + 0x5000, p5, PTE_U | PTE_W | PTE_A | PTE_OWNED, 0);
    u32 *pte1 = pte_lookup(a, base + 0x1000), *pte2 = pte_lookup(a, base + 0x2000);
    mm_switch(a);
    u32 v0 = rd(base);
    u32 unused = pte_now(pte2);
    u32 clean = pte_now(pte1);
    wr(base + 0x1000, 0x1B1B);
    u32 written = pte_now(pte1);
    set_pte(a, base + 0x5000, p5b | PTE_P | PTE_U | PTE_W | PTE_A | PTE_OWNED);
    u32 v5 = rd(base + 0x5000);
    u32 v2 = rd(base + 0x2000);
    u32 used = pte_now(pte2);
    mm_switch(kernel_pgd);
    check(v0 == 0x0A0A && !(unused & PTE_A) && (used & PTE_A) && v2 == 0x2A2A, "paging/neighbour-unused",
          "read 0x%x; unused neighbour's PTE 0x%x, 0x%x once read (0x%x)", (unsigned)v0, (unsigned)unused,
          (unsigned)used, (unsigned)v2);
    check(!(clean & PTE_D) && (written & PTE_D) && *(u32 *)__va(p1) == 0x1B1B, "paging/neighbour-clean",
          "used clean neighbour's PTE 0x%x, 0x%x after a write; page 0x%x", (unsigned)clean, (unsigned)written,
          (unsigned)*(u32 *)__va(p1));
    check(v5 == 0x5B5B, "paging/neighbour-changed", "read 0x%x after SET_PTE to a new page, want 0x5b5b",
          (unsigned)v5);
    set_pte(a, base + 0x3000, 0);
    page_free(p5);
    pgd_free(a);
}

static void demand(void)
{
    /* Not present in our tables: the host reflects, our handler maps a
     * zeroed page and the access is retried. */
    u32 before = demand_faults;
    u32 va = DEMAND_VA + 0x7000;
    u32 v = rd(va + 8);
    wr(va + 12, 0xD00D);
    u32 w = rd(va + 12);
    check(v == 0 && w == 0xD00D && demand_faults == before + 1, "paging/guest-demand-fault",
          "read 0x%x (want 0), 0x%x after writing 0xd00d, %u faults handled (want 1)", (unsigned)v,
          (unsigned)w, (unsigned)(demand_faults - before));
    u32 *pte = pte_lookup(kernel_pgd, va);
    u32 pa = *pte & ~0xFFFu;
    set_pte(kernel_pgd, va, 0);
    page_free(pa);
}

static void switch_cost(void)
{
    u32 *a = space_with_page(VA, 1, 0);
    read_in_space(a, VA);
    u64 t0 = rdtsc();
    for (unsigned i = 0; i < 100; i++) {
        mm_switch(a);
        mm_switch(kernel_pgd);
    }
    printf("paging: %u cycles per NEW_PGTABLE between two known spaces\n",
           (unsigned)((rdtsc() - t0) / 200));
    pgd_free(a);
}

#ifdef LG_PAE
/* void probe_exec(u32 va): jumps to va with EDX = probe_exec_resume (the
 * page there holds "jmp *%edx"); a fault at va is resumed there too. */
void probe_exec(u32 va);
extern char probe_exec_resume[];
__asm__(".pushsection .text\n"
        "probe_exec:\n"
        "    movl 4(%esp), %eax\n"
        "    movl $probe_exec_resume, %edx\n"
        "    jmp *%eax\n"
        "probe_exec_resume:\n"
        "    ret\n"
        ".popsection");

#define NX_SLOT 7
#define NX_BIT 0x80000000u      /* bit 63: the high word's top bit */

/* The no-execute bit of our PTEs, on a host CPU that has NX (CPUID
 * 0x80000001 EDX bit 20, which we read ourselves, as 3.10's lguest_cpuid
 * does): a fetch from a page we mark NX faults with the present and I/D
 * bits, a read of it does not, and clearing NX again makes it run. */
static void nx(void)
{
    u32 a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000000u));
    if (a < 0x80000001u)
        d = 0;
    else
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001u));
    if (!(d & (1u << 20))) {
        printf("paging: this CPU has no NX: nx checks skipped\n");
        return;
    }
    u32 page = page_alloc();
    u8 *code = (u8 *)__va(page);
    code[0] = 0xFF;             /* jmp *%edx */
    code[1] = 0xE2;
    u32 va = kmap(NX_SLOT, page, PTE_W | PTE_A | PTE_D);
    u32 *pte = pte_lookup(kernel_pgd, va);
    struct fault_rec r;
    expect_fault((u32)probe_exec_resume);
    probe_exec(va);
    int ran = !expect_taken(&r);
    pte[1] = NX_BIT;
    hcall4(LHCALL_SET_PTE, pgd_pa(kernel_pgd), va, pte[0], pte[1]);
    u32 read = *(volatile u8 *)va;
    memset(&r, 0, sizeof r);
    expect_fault((u32)probe_exec_resume);
    probe_exec(va);
    int got = expect_taken(&r);
    pte[1] = 0;
    hcall4(LHCALL_SET_PTE, pgd_pa(kernel_pgd), va, pte[0], pte[1]);
    expect_fault((u32)probe_exec_resume);
    probe_exec(va);
    int again = !expect_taken(0);
    check(ran && read == 0xFF, "paging/nx-off-runs", "ran %d, read 0x%x", ran, (unsigned)read);
    check(got && r.vector == 14 && r.cr2 == va && r.eip == va && (r.error & 0x11) == 0x11 && !(r.error & 2),
          "paging/nx-fetch-faults", "trap %d vector %u error 0x%x cr2 0x%x eip 0x%x (va 0x%x)", got,
          (unsigned)r.vector, (unsigned)r.error, (unsigned)r.cr2, (unsigned)r.eip, (unsigned)va);
    check(again, "paging/nx-cleared-runs", "still faulted after NX was cleared");
    kunmap(NX_SLOT);
    page_free(page);
}
#endif

void test_paging(void)
{
    unsigned free_before = pages_free_count();
    spaces();
    neighbours();
    demand();
    switch_cost();
#ifdef LG_PAE
    nx();
#endif
    paging_flush();
    check(pages_free_count() == free_before, "paging/no-leak", "%u pages free before, %u after",
          free_before, pages_free_count());
}
