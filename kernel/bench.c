/* The baselines the guest benchmarks are compared with (make bench),
 * measured on the bare machine in the same boot: a ring-0 int/iret round
 * trip, a CR3 reload, and how late the hypervisor's own timer interrupt
 * arrives. Each figure is the median of many runs, in TSC cycles. */
#include <stdlib.h>
#include <string.h>
#include "kernel/bench.h"
#include "arch/x86/paging.h"
#include "arch/x86/selectors.h"
#include "arch/x86/switcher.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/frames.h"
#include "drivers/disk_bench.h"
#include "drivers/e1000.h"
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

/* memcpy bandwidth in MB/s for blocks of size bytes, streaming through
 * 16 MiB so the caches do not flatter it (a ramdisk request is this copy). */
static uint32_t memcpy_mbps(uint32_t size)
{
    /* One run of frames, source and destination SKEW pages apart rather
     * than a power of two: addresses a power of two apart collide in
     * direct-mapped structures (caches, and QEMU's software TLB, where they
     * made this ten times slower than a guest's ramdisk copies). */
    enum { AREA = 16u << 20, SKEW = 17, PAGES = 2 * (AREA / 4096) + SKEW };
    uint32_t src = frames_alloc(PAGES, 1);
    if (!src)
        return 0;
    uint32_t dst = src + AREA + SKEW * 4096;
    uint64_t t = rdtsc();
    for (uint32_t pass = 0; pass < 4; pass++)
        for (uint32_t off = 0; off < AREA; off += size)
            memcpy((void *)(dst + off), (const void *)(src + off), size);
    uint64_t cycles = rdtsc() - t;
    frames_free(src, PAGES);
    uint64_t ns = cycles * 1000000 / (clock_tsc_khz() ? clock_tsc_khz() : 1);
    return (uint32_t)((uint64_t)4 * AREA * 1000 / (ns ? ns : 1));
}

/* The e1000 receiving on its own, before any guest runs: frames come
 * straight off the NIC's ring with e1000_poll and are only counted. Logs
 * "bench-baseline e1000_rx waiting ..." (make bench's wire peer then blasts
 * RX_BENCH_FRAMES frames), counts until they are all in or the wire has
 * been quiet for RX_BENCH_IDLE_NS, and gives up after RX_BENCH_START_NS
 * if nothing comes at all (no peer: the boot goes on). The rate is over
 * first-to-last frame seen, so the wait for the peer is not in it. */
#define RX_BENCH_FRAMES 50000
#define RX_BENCH_START_NS 10000000000ull
#define RX_BENCH_IDLE_NS 500000000ull

struct rx_count {
    uint32_t frames;
    uint64_t bytes, first_len, first_tsc, last_tsc;
};

static bool rx_counted(const uint8_t *frame, uint32_t len, void *ctx)
{
    struct rx_count *c = ctx;
    uint64_t t = rdtsc();
    if (!c->frames) {
        c->first_tsc = t;
        c->first_len = len;
    }
    c->last_tsc = t;
    c->frames++;
    c->bytes += len;
    return true;
}

static bool rx_ignored(const uint8_t *frame, uint32_t len, void *ctx) { return true; }
static void rx_woken(struct timer *t) { }
static struct timer rx_wake = { .fn = rx_woken };

static void e1000_rx_baseline(uint32_t size)
{
    struct rx_count c = { 0 };
    struct e1000_stats s0, s1;
    for (uint32_t i = 0; i < 16 && e1000_poll(rx_ignored, 0, 256); i++)
        ;                       /* whatever came before we asked */
    e1000_get_stats(&s0);
    log_info("bench-baseline e1000_rx_%lu waiting for %u frames (up to %u s)", (unsigned long)size,
             RX_BENCH_FRAMES, (unsigned)(RX_BENCH_START_NS / 1000000000ull));
    uint64_t start = clock_ns(), heard = start;
    while (c.frames < RX_BENCH_FRAMES) {
        if (e1000_poll(rx_counted, &c, 64)) {
            heard = clock_ns();
            continue;
        }
        uint64_t now = clock_ns();
        if (c.frames ? now - heard > RX_BENCH_IDLE_NS : now - start > RX_BENCH_START_NS)
            break;
        /* The ring is empty: sleep until the NIC's interrupt (or 10 ms),
         * as the scheduler does with guests, rather than spin (a spinning
         * CPU competes with the emulator that is filling the ring). An
         * interrupt that came since the poll is held until sti. */
        timer_arm(&rx_wake, now + 10000000);
        sti_hlt();
        cli();
    }
    timer_cancel(&rx_wake);
    e1000_get_stats(&s1);
    uint64_t cycles = c.last_tsc - c.first_tsc;
    if (c.frames < 2 || !cycles) {
        log_info("bench-baseline e1000_rx_%lu none (%lu frames arrived)", (unsigned long)size,
                 (unsigned long)c.frames);
        return;
    }
    /* intervals between the first and the last frame: the first one's
     * arrival starts the clock, so it is not counted */
    uint64_t khz = clock_tsc_khz(), n = c.frames - 1, bytes = c.bytes - c.first_len;
    log_info("bench-baseline e1000_rx_%lu %lu pps %lu Mbit/s (%lu frames, %lu us, e1000 missed %lu "
             "no-descriptor %lu)", (unsigned long)size,
             (unsigned long)(n * khz * 1000 / cycles), (unsigned long)(bytes * 8 * khz / 1000 / cycles),
             (unsigned long)c.frames, (unsigned long)(cycles * 1000 / khz),
             (unsigned long)(s1.rx_missed - s0.rx_missed), (unsigned long)(s1.rx_no_desc - s0.rx_no_desc));
}

/* The hypervisor transmitting on its own: broadcast frames of size bytes
 * as fast as the TX ring takes them. */
static void e1000_tx_baseline(uint32_t size)
{
    enum { FRAMES = 20000 };
    uint64_t c = e1000_bench_tx(FRAMES, size);
    if (c)
        log_info("bench-baseline e1000_tx_%lu %lu pps %lu Mbit/s (%u frames)", (unsigned long)size,
                 (unsigned long)((uint64_t)FRAMES * clock_tsc_khz() * 1000 / c),
                 (unsigned long)((uint64_t)FRAMES * size * 8 * clock_tsc_khz() / 1000 / c), FRAMES);
}

void bench_baselines(void)
{
    log_info("bench-baseline memcpy_4k %lu MB/s", (unsigned long)memcpy_mbps(4096));
    log_info("bench-baseline memcpy_64k %lu MB/s", (unsigned long)memcpy_mbps(65536));
    if (e1000_ready()) {
        static const uint32_t sizes[] = { 1514, 64 };
        for (uint32_t i = 0; i < 2; i++) {
            e1000_tx_baseline(sizes[i]);
            e1000_rx_baseline(sizes[i]);
        }
    }
    disk_bench_baselines("sata0:bench", "ahci");
    disk_bench_baselines("nvme0:bench", "nvme");
    log_info("bench-baseline int_iret_rt %lu cycles", (unsigned long)int_iret());
    log_info("bench-baseline cr3_reload %lu cycles", (unsigned long)cr3_reload());
    log_info("bench-baseline host_timer_latency %lu cycles", (unsigned long)timer_latency());
}
