/* The baselines the guest benchmarks are compared with (make bench),
 * measured on the bare machine in the same boot: a ring-0 int/iret round
 * trip, a CR3 reload, and how late the hypervisor's own timer interrupt
 * arrives. Each figure is the median of many runs, in TSC cycles. */
#include <stdlib.h>
#include "kernel/bench.h"
#include "arch/x86/paging.h"
#include "arch/x86/selectors.h"
#include "arch/x86/switcher.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/log.h"
#include "kernel/timer.h"

#define RUNS 1001
#define BENCH_VECTOR 0x81

void bench_iret(void);
__asm__(".text\n.global bench_iret\nbench_iret:\n iret\n");

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, uint32_t n)
{
    qsort(v, n, sizeof(*v), by_value);
    return v[n / 2];
}

static uint64_t samples[RUNS];

static uint64_t int_iret(void)
{
    uint64_t *idt = switcher_idt();
    uint64_t saved = idt[BENCH_VECTOR];
    uint32_t h = (uint32_t)bench_iret;
    idt[BENCH_VECTOR] = (h & 0xFFFF) | ((uint64_t)SEL_HOST_CS << 16) | ((uint64_t)0x8E00 << 32) |
                        ((uint64_t)(h >> 16) << 48);
    for (uint32_t i = 0; i < RUNS; i++) {
        uint64_t t = rdtsc();
        __asm__ volatile("int $0x81" ::: "memory");
        samples[i] = rdtsc() - t;
    }
    idt[BENCH_VECTOR] = saved;
    return median(samples, RUNS);
}

static uint64_t cr3_reload(void)
{
    uint32_t cr3 = read_cr3();
    for (uint32_t i = 0; i < RUNS; i++) {
        uint64_t t = rdtsc();
        write_cr3(cr3);
        samples[i] = rdtsc() - t;
    }
    return median(samples, RUNS);
}

static volatile uint64_t fired_tsc;
static void fired(struct timer *t) { fired_tsc = rdtsc(); }

static uint64_t timer_latency(void)
{
    static struct timer t = { .fn = fired };
    enum { N = 51 };
    for (uint32_t i = 0; i < N; i++) {
        fired_tsc = 0;
        uint64_t deadline = clock_ns() + 200000;
        timer_arm(&t, deadline);
        uint64_t deadline_tsc = rdtsc() + ns_to_tsc(deadline - clock_ns());
        while (!fired_tsc) {
            sti_hlt();
            cli();
        }
        samples[i] = fired_tsc > deadline_tsc ? fired_tsc - deadline_tsc : 0;
    }
    return median(samples, N);
}

void bench_baselines(void)
{
    log_info("bench-baseline int_iret_rt %lu cycles", (unsigned long)int_iret());
    log_info("bench-baseline cr3_reload %lu cycles", (unsigned long)cr3_reload());
    log_info("bench-baseline host_timer_latency %lu cycles", (unsigned long)timer_latency());
}
