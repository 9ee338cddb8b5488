/* test=checksum [loops=N] [seed=N]: deterministic memory work whose result
 * is checked against the same numbers computed without memory. Each loop
 * refills CS_PAGES pages in the DEMAND window and hashes them back in a
 * different order; along the way pages are invalidated (host-resolved
 * faults), remapped to other frames, and dropped so that our own #PF
 * handler brings them back, while the 1 ms tick runs. The value depends
 * only on seed and loops, so guests running side by side must agree. */
#include "guest/hcall.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/timer.h"
#include "guest/x86.h"

#define CS_PAGES 128
#define WORDS (PAGE_SIZE / 4)
#define DEFAULT_LOOPS 8

static u32 mix(u32 x)
{
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x;
}

static u32 word(u32 seed, u32 loop, u32 page, u32 i)
{
    return mix(mix(seed * 0x9E3779B1u + loop) ^ (page << 10 | i));
}

static u32 fnv(u32 h, u32 w) { return (h ^ w) * 16777619u; }
static u32 fold(u32 total, u32 h, u32 loop) { return (total << 5 | total >> 27) ^ h ^ loop; }
static u32 page_va(u32 p) { return DEMAND_VA + p * PAGE_SIZE; }

/* What the memory must give, from the generator alone. */
static u32 expected(u32 seed, u32 loops)
{
    u32 total = 0;
    for (u32 loop = 0; loop < loops; loop++) {
        u32 h = 2166136261u;
        for (u32 p = CS_PAGES; p-- > 0;)
            for (u32 i = 0; i < WORDS; i++)
                h = fnv(h, word(seed, loop, p, i));
        total = fold(total, h, loop);
    }
    return total;
}

/* Moves every page's frame to the next page's address: the contents
 * follow their frames, so the next fill must go through the new
 * mappings. */
static void rotate_frames(void)
{
    u32 first = *pte_lookup(kernel_pgd, page_va(0));
    for (u32 p = 0; p < CS_PAGES; p++) {
        u32 next = p + 1 < CS_PAGES ? *pte_lookup(kernel_pgd, page_va(p + 1)) : first;
        *pte_lookup(kernel_pgd, page_va(p)) = next;
        hcall_async(LHCALL_SET_PTE, pgd_pa(kernel_pgd), page_va(p), next);
    }
    hcall_flush();
}

/* Lets the host forget every translation (SET_PTE va, 0 as Linux's
 * single-page flush): each first touch is then a fault it resolves. */
static void invalidate_all(void)
{
    for (u32 p = 0; p < CS_PAGES; p++)
        hcall_async(LHCALL_SET_PTE, pgd_pa(kernel_pgd), page_va(p), 0);
    hcall_flush();
}

/* Unmaps and frees pages from first on; they fault back in zeroed. */
static void drop_pages(u32 first)
{
    for (u32 p = first; p < CS_PAGES; p++) {
        u32 *pte = pte_lookup(kernel_pgd, page_va(p));
        if (*pte & PTE_P) {
            u32 pa = *pte & ~0xFFFu;
            set_pte(kernel_pgd, page_va(p), 0);
            page_free(pa);
        }
    }
}

void test_checksum(void)
{
    u32 loops = opts.loops ? opts.loops : DEFAULT_LOOPS, seed = opts.seed;
    u32 faults0 = demand_faults, ticks0 = timer_ticks;
    u64 t0 = rdtsc();
    timer_tick_start(1000000);

    u32 total = 0;
    for (u32 loop = 0; loop < loops; loop++) {
        if (loop % 4 == 1)
            drop_pages(CS_PAGES / 2);
        else if (loop % 4 == 3)
            rotate_frames();
        else
            invalidate_all();
        for (u32 p = 0; p < CS_PAGES; p++) {
            volatile u32 *m = (volatile u32 *)page_va(p);
            for (u32 i = 0; i < WORDS; i++)
                m[i] = word(seed, loop, p, i);
        }
        u32 h = 2166136261u;
        for (u32 p = CS_PAGES; p-- > 0;) {
            const volatile u32 *m = (const volatile u32 *)page_va(p);
            for (u32 i = 0; i < WORDS; i++)
                h = fnv(h, m[i]);
        }
        total = fold(total, h, loop);
    }
    timer_tick_stop();
    u32 ms = cycles_to_us(rdtsc() - t0) / 1000;
    u32 faults = demand_faults - faults0, ticks = timer_ticks - ticks0;
    drop_pages(0);

    u32 want = expected(seed, loops);
    printf("checksum: %u loops of %u pages, seed %u, %u ms, %u ticks, %u guest page faults\n",
           (unsigned)loops, CS_PAGES, (unsigned)seed, (unsigned)ms, (unsigned)ticks, (unsigned)faults);
    if (total == want) {
        char name[40];
        snprintf(name, sizeof name, "checksum/value 0x%08x", (unsigned)total);
        pass(name);
    } else {
        fail("checksum/value", "got 0x%08x, expected 0x%08x", (unsigned)total, (unsigned)want);
    }
    /* First loop: every page; each loop 1 mod 4: the dropped half. */
    u32 want_faults = CS_PAGES + (loops + 2) / 4 * (CS_PAGES / 2);
    check(faults == want_faults, "checksum/guest-page-faults", "%u faults, expected %u", (unsigned)faults,
          (unsigned)want_faults);
    check(ms < 5 || ticks > 0, "checksum/timer-ran", "no tick in %u ms", (unsigned)ms);
}
