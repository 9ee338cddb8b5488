/* test=bench [loops=N]: round-trip costs in TSC cycles, the median of N
 * runs each (default 1001), as "BENCH name cycles" lines, then "DONE";
 * the kmap rounds (bench_kmap.c) take at most 201 runs. */
#include "guest/hcall.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/timer.h"
#include "guest/x86.h"

#define MAX_RUNS 4001
static u32 samples[MAX_RUNS];

static void report(const char *name, unsigned n)
{
    printf("BENCH %s %u\n", name, (unsigned)median_u32(samples, n));
}

void test_bench(void)
{
    unsigned n = opts.loops ? opts.loops : 1001;
    if (n > MAX_RUNS)
        n = MAX_RUNS;

    /* The cheapest hypercall: FLUSH_ASYNC with nothing queued. */
    for (unsigned i = 0; i < n; i++) {
        u64 t0 = rdtsc();
        hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0);
        samples[i] = (u32)(rdtsc() - t0);
    }
    report("hypercall_rt", n);

    /* int3 in the kernel: host exit, reflection into our handler, our
     * iret back. */
    for (unsigned i = 0; i < n; i++) {
        u64 t0 = rdtsc();
        probe_int3();
        samples[i] = (u32)(rdtsc() - t0);
    }
    report("trap_rt", n);

    /* A fault the host resolves from our tables without telling us: the
     * page stays mapped in them, SET_PTE(va, 0) only makes the host forget
     * it. A and D are already set, so one fault maps it. */
    u32 pa = page_alloc();
    u32 va = kmap(5, pa, PTE_W | PTE_A | PTE_D);
    for (unsigned i = 0; i < n; i++) {
        hcall(LHCALL_SET_PTE, pgd_pa(kernel_pgd), va, 0);
        u64 t0 = rdtsc();
        (void)*(volatile u32 *)va;
        samples[i] = (u32)(rdtsc() - t0);
    }
    report("pagefault", n);
    kunmap(5);
    page_free(pa);

    /* NEW_PGTABLE to another known address space and back, per switch. */
    u32 *space = space_with_page(USER_SCRATCH_VA, 1, 0);
    read_in_space(space, USER_SCRATCH_VA);
    for (unsigned i = 0; i < n; i++) {
        u64 t0 = rdtsc();
        mm_switch(space);
        mm_switch(kernel_pgd);
        samples[i] = (u32)((rdtsc() - t0) / 2);
    }
    report("as_switch", n);
    pgd_free(space);

    /* From the deadline (100 us after the call was made) to the first
     * instruction of our handler. Fewer runs: each waits for the timer. */
    unsigned tn = n < 201 ? n : 201, got = 0;
    u64 delay = us_to_cycles(100);
    for (unsigned i = 0; i < tn; i++) {
        u32 c = timer_irqs;
        u64 t0 = rdtsc();
        timer_set(100000);
        if (!timer_spin_wait(c, 200000))
            continue;
        u64 due = t0 + delay;
        samples[got++] = timer_irq_tsc > due ? (u32)(timer_irq_tsc - due) : 0;
    }
    if (got)
        report("timer_latency", got);
    else
        fail("bench/timer_latency", "no timer interrupt arrived");

    bench_kmap(n < 201 ? n : 201);

    printf("DONE\n");
    shutdown(tests_failed() ? "benchmark failed" : "done", LGUEST_SHUTDOWN_POWEROFF);
}
