/* test=satabench: the SATA-partition figures of make bench, the same work
 * as the hypervisor's bare baselines (drivers/disk_bench.c), ROUNDS times:
 * one sequential pass of 64 KiB writes over the disk, then of 64 KiB
 * reads, one request in flight (vblk_write/vblk_read); the same two passes
 * with SEQ_QD requests in flight (each waited for in turn, its slot
 * refilled with the next 64 KiB and kicked); then RANDOM_READS 4 KiB
 * reads at places from the same generator, one in flight and 32 in
 * flight (each one waited for in turn and its slot refilled, kicked).
 *   BENCH_IO ahci_read_64k N MB/s (...)      ahci_write_64k
 *   BENCH_IO ahci_read_64k_qd8 N MB/s (...)  ahci_write_64k_qd8
 *   BENCH_IO ahci_randread_4k_qd1 N IOPS (...)   ..._qd32
 * prefix=nvme names them nvme_read_64k, ... (the same work on an NVMe
 * partition; the guest sees only virtio-blk either way). */
#include <stdio.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/timer.h"
#include "guest/vblk.h"
#include "guest/x86.h"

#define RANDOM_READS 2000u
#define QD 32u
#define SEQ_QD 8u
#define ROUNDS 3                /* every figure this many times, as the bare baselines: the best counts */
static u8 big[65536] __attribute__((aligned(4096)));
static u8 seqbuf[SEQ_QD][65536] __attribute__((aligned(4096)));
static struct vseg seqsegs[SEQ_QD][16];
static u8 small[QD][4096] __attribute__((aligned(4096)));
static struct vblk_req reqs[QD];
static u32 rng;

static u64 next_random(u64 sectors)
{
    rng = rng * 1103515245u + 12345u;
    return (u64)((rng >> 8) % (u32)(sectors / 8)) * 8;
}

static u32 us_of(u64 cycles) { return (u32)(cycles * 1000 / tsc_khz); }

static void sequential(const char *name, int write, u64 cap)
{
    char cname[48];
    snprintf(cname, sizeof cname, "satabench/%s", name);
    u64 t = rdtsc(), bytes = 0;
    for (u64 s = 0; s + 128 <= cap; s += 128) {
        int r = write ? vblk_write(s, big, sizeof big) : vblk_read(s, big, sizeof big);
        if (r != VIRTIO_BLK_S_OK) {     /* check() on success prints a PASS line: not per request */
            fail(cname, "request at %u: %d", (unsigned)s, r);
            return;
        }
        bytes += sizeof big;
    }
    u32 us = us_of(rdtsc() - t);
    printf("BENCH_IO %s %u MB/s (%u requests of 65536 bytes, one in flight, %u us)\n", name,
           (unsigned)(us ? bytes / us : 0), (unsigned)(bytes / sizeof big), (unsigned)us);
}

/* slot i's next 64 KiB of the pass at sector *next; false at the end (or
 * if the ring has no room, which the check after the pass reports) */
static int seq_submit(u32 i, int write, u64 *next, u64 cap, u32 *issued)
{
    if (*next + 128 > cap)
        return 0;
    u32 buf = (u32)seqbuf[i], bytes = sizeof seqbuf[i];
    unsigned n = vblk_segs(&buf, &bytes, !write, seqsegs[i]);
    if (bytes || vblk_submit(&reqs[i], write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, *next, seqsegs[i], n))
        return 0;
    *next += 128;
    (*issued)++;
    return 1;
}

static void sequential_qd(const char *name, int write, u64 cap)
{
    char cname[48];
    snprintf(cname, sizeof cname, "satabench/%s", name);
    u64 next = 0, t = rdtsc();
    u32 issued = 0, done = 0, live = 0;
    int bad = VIRTIO_BLK_S_OK;
    for (u32 i = 0; i < SEQ_QD; i++)
        live += seq_submit(i, write, &next, cap, &issued);
    vblk_kick();
    for (u32 i = 0; done < issued; i = (i + 1) % live) {
        int r = vblk_wait(&reqs[i]);
        done++;
        if (r != VIRTIO_BLK_S_OK)
            bad = r;
        if (seq_submit(i, write, &next, cap, &issued))
            vblk_kick();
    }
    u32 us = us_of(rdtsc() - t);
    if (!check(bad == VIRTIO_BLK_S_OK && live && next + 128 > cap, cname, "status %d, %u requests, stopped at %u",
               bad, (unsigned)issued, (unsigned)next))
        return;
    printf("BENCH_IO %s %u MB/s (%u requests of 65536 bytes, %u in flight, %u us)\n", name,
           (unsigned)(us ? (u64)done * 65536 / us : 0), (unsigned)done, (unsigned)live, (unsigned)us);
}

static void random_reads(const char *name, u32 depth, u64 cap)
{
    char cname[48];
    snprintf(cname, sizeof cname, "satabench/%s", name);
    rng = 1;
    u32 issued = 0, done = 0;
    int bad = VIRTIO_BLK_S_OK;
    u64 t = rdtsc();
    for (u32 i = 0; i < depth; i++) {
        struct vseg seg = { __pa(small[i]), 4096, 1 };
        if (vblk_submit(&reqs[i], VIRTIO_BLK_T_IN, next_random(cap), &seg, 1) == 0)
            issued++;
    }
    vblk_kick();
    for (u32 i = 0; done < issued; i = (i + 1) % depth) {
        int r = vblk_wait(&reqs[i]);
        done++;
        if (r != VIRTIO_BLK_S_OK)
            bad = r;
        if (issued < RANDOM_READS) {
            struct vseg seg = { __pa(small[i]), 4096, 1 };
            if (vblk_submit(&reqs[i], VIRTIO_BLK_T_IN, next_random(cap), &seg, 1) == 0)
                issued++;
            vblk_kick();
        }
    }
    u32 us = us_of(rdtsc() - t);
    if (!check(bad == VIRTIO_BLK_S_OK && issued == RANDOM_READS, cname, "status %d, %u of %u issued", bad,
               (unsigned)issued, RANDOM_READS))
        return;
    printf("BENCH_IO %s %u IOPS (%u reads of 4096 bytes, %u in flight, %u us)\n", name,
           (unsigned)(us ? (u64)RANDOM_READS * 1000000 / us : 0), RANDOM_READS, (unsigned)depth, (unsigned)us);
}

void test_satabench(void)
{
    if (!check(vblk_attach() == 0, "satabench/attach", "no usable block device"))
        return;
    u64 cap = vblk_capacity();
    if (!check(cap >= 1024, "satabench/size", "disk of %u sectors is too small", (unsigned)cap))
        return;
    memset(big, 0x5A, sizeof big);
    /* half a second asleep first: the host zeroes our fresh memory in its
     * idle time, which would otherwise share the CPU with the first pass */
    u32 old = timer_irqs;
    timer_set(500000000);
    timer_halt_wait(old);
    char prefix[8], name[6][40];
    if (!boot_option("prefix", prefix, sizeof prefix))
        strcpy(prefix, "ahci");
    static const char *const what[6] = { "read_64k", "write_64k", "read_64k_qd8", "write_64k_qd8",
                                         "randread_4k_qd1", "randread_4k_qd32" };
    for (int i = 0; i < 6; i++)
        snprintf(name[i], sizeof name[i], "%s_%s", prefix, what[i]);
    memset(seqbuf, 0x5A, sizeof seqbuf);
    for (int round = 0; round < ROUNDS; round++) {
        sequential(name[1], 1, cap);
        sequential(name[0], 0, cap);
        sequential_qd(name[3], 1, cap);
        sequential_qd(name[2], 0, cap);
        check(vblk_flush() == VIRTIO_BLK_S_OK, "satabench/flush", "FLUSH failed");
        random_reads(name[4], 1, cap);
        random_reads(name[5], QD, cap);
    }
}
