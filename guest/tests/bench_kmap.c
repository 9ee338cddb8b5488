/* Part of test=bench: what Linux 3.10's highmem costs the host. Every
 * kmap_atomic writes a kernel PTE without a hypercall and then says
 * FLUSH_TLB(1); kunmap_atomic clears it with SET_PTE(va, 0). Between the
 * two the kernel touches its working set. A host that answers the flush by
 * dropping its shadow tables refills that working set at every kmap: the
 * cost grows with the number of mappings in use, which is what these
 * figures show (cycles per kmap round, medians):
 *   kmap_flush_many  the round with a working set of WS_PAGES pages, half
 *                    in the kernel's direct map, half user pages of the
 *                    current address space, three more spaces populated
 *   kmap_flush_few   the same round touching only two pages
 *   kmap_exit_many   kmap_flush_many with FLUSH_ASYNC (an exit that
 *                    flushes nothing) instead of FLUSH_TLB(1): the floor
 * Every round reads the kmapped page, which alternates between two pages
 * of different contents: a stale translation fails the bench. */
#include "guest/hcall.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/x86.h"

#define WS_PAGES    256
#define WS_STRIDE   0x10000     /* one page per 64 KiB: each is its own neighbour group */
#define WS_USER_VA  (USER_SCRATCH_VA + 0x01000000)
#define KMAP_SLOT   6
#define ROUNDS_MAX  401

static u32 ws[WS_PAGES];
static u32 samples[ROUNDS_MAX];

/* One kmap round per sample; 0 if the page read was not the one mapped. */
static int rounds(const char *name, unsigned n, unsigned nws, u32 hcall_nr, const u32 page[2])
{
    u32 va = KMAP_VA + KMAP_SLOT * PAGE_SIZE;
    volatile u32 *pte = pte_lookup(kernel_pgd, va);
    u32 sum = 0;
    for (unsigned i = 0; i < n; i++) {
        u32 pa = page[i & 1];
        u64 t0 = rdtsc();
        *pte = pa | PTE_P | PTE_W | PTE_A | PTE_D;      /* Linux's set_pte: no hypercall */
        hcall(hcall_nr, 1, 0, 0);
        u32 v = *(volatile u32 *)va;
        for (unsigned j = 0; j < nws; j++)
            sum += *(volatile u32 *)ws[j];
        *pte = 0;
        hcall(LHCALL_SET_PTE, cur_pgd_pa, va, 0);
        samples[i] = (u32)(rdtsc() - t0);
        if (v != *(u32 *)__va(pa)) {
            fail("bench/kmap-stale", "%s round %u read 0x%x through the kmap, the page holds 0x%x", name, i,
                 (unsigned)v, (unsigned)*(u32 *)__va(pa));
            return 0;
        }
    }
    (void)sum;
    printf("BENCH %s %u\n", name, (unsigned)median_u32(samples, n));
    return 1;
}

void bench_kmap(unsigned n)
{
    if (n > ROUNDS_MAX)
        n = ROUNDS_MAX;
    u32 page[2] = { page_with(0x6B6D0001), page_with(0x6B6D0002) };
    /* three other address spaces the host has shadowed, as other processes */
    u32 *other[3];
    for (unsigned i = 0; i < 3; i++) {
        other[i] = space_with_page(USER_SCRATCH_VA, i, 0);
        read_in_space(other[i], USER_SCRATCH_VA);
    }
    /* the working set: kernel pages spread over the direct map, user
     * pages in the current space, the first of each in the "few" set */
    u32 *space = pgd_new();
    unsigned half = WS_PAGES / 2;
    for (unsigned i = 0; i < half; i++) {
        ws[2 * i] = KERNEL_BASE + ((i * WS_STRIDE) % (ram_bytes - WS_STRIDE));
        ws[2 * i + 1] = WS_USER_VA + i * WS_STRIDE;
        map_page(space, ws[2 * i + 1], page_alloc(), PTE_U | PTE_W | PTE_A | PTE_D | PTE_OWNED, 1);
    }
    hcall_flush();
    mm_switch(space);
    for (unsigned j = 0; j < WS_PAGES; j++)
        (void)*(volatile u32 *)ws[j];
    if (rounds("kmap_flush_many", n, WS_PAGES, LHCALL_FLUSH_TLB, page) &&
        rounds("kmap_flush_few", n, 2, LHCALL_FLUSH_TLB, page))
        rounds("kmap_exit_many", n, WS_PAGES, LHCALL_FLUSH_ASYNC, page);
    mm_switch(kernel_pgd);
    pgd_free(space);
    for (unsigned i = 0; i < 3; i++)
        pgd_free(other[i]);
    page_free(page[0]);
    page_free(page[1]);
}
