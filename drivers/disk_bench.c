/* Bare-disk baselines for make bench (AHCI or NVMe, through
 * drivers/blkdev.h): see disk_bench.h. The same work as
 * the guest's test=satabench (guest/tests/satabench.c), ROUNDS times: one
 * sequential pass of 64 KiB requests over the partition, one in flight,
 * writing (so that no read finds a hole of a sparse image file) then
 * reading; the same two passes with SEQ_QD requests in flight; then
 * RANDOM_READS 4 KiB reads at places from the same generator, one in
 * flight and 32 in flight. Completions are polled (interrupts are off in
 * hypervisor code): the bare driver's best case. */
#include <string.h>
#include <stdio.h>
#include "drivers/disk_bench.h"
#include "drivers/blkdev.h"
#include "drivers/disk_part.h"
#include "kernel/clock.h"
#include "kernel/frames.h"
#include "kernel/log.h"

#define RANDOM_READS 2000u
#define QD 32u
#define SEQ_QD 8u
#define ROUNDS 3u               /* every figure this many times: make bench takes the best */
#define SEQ_SECTORS 128u        /* 64 KiB */

static uint32_t rng;
/* the 4 KiB-aligned sector of the next random read (as the guest's) */
static uint64_t next_random(uint64_t sectors)
{
    rng = rng * 1103515245u + 12345u;
    return (uint64_t)((rng >> 8) % (uint32_t)(sectors / 8)) * 8;
}

struct qd_state {
    struct blk_dev *disk;
    struct disk_part part;
    uint32_t issued, done, total;
    uint64_t next_seq;          /* the sequential passes' next sector */
    int failed;
    struct blk_io io[QD];
    struct blk_seg seg[QD];
};
static struct qd_state qs;

static void qd_done(struct blk_io *io, int status)
{
    qs.done++;
    qs.failed |= status;
    if (qs.issued < RANDOM_READS) {
        io->lba = qs.part.first + next_random(qs.part.sectors);
        qs.issued++;
        qs.disk->ops->submit(qs.disk, io);
    }
}

/* the next 64 KiB of the sequential pass, until the partition ends */
static void seq_done(struct blk_io *io, int status)
{
    qs.done++;
    qs.failed |= status;
    if (qs.issued < qs.total) {
        io->lba = qs.part.first + qs.next_seq;
        qs.next_seq += SEQ_SECTORS;
        qs.issued++;
        qs.disk->ops->submit(qs.disk, io);
    }
}

static uint32_t sequential_qd(uint8_t op, uint8_t *buf)
{
    qs.total = (uint32_t)(qs.part.sectors / SEQ_SECTORS);
    qs.issued = qs.done = 0;
    qs.next_seq = 0;
    qs.failed = 0;
    uint64_t t = clock_ns();
    for (uint32_t i = 0; i < SEQ_QD && qs.issued < qs.total; i++) {
        qs.seg[i] = (struct blk_seg){ (uint32_t)buf + i * 65536, 65536 };
        qs.io[i] = (struct blk_io){ .op = op, .lba = qs.part.first + qs.next_seq, .sectors = SEQ_SECTORS,
                                     .nseg = 1, .seg = &qs.seg[i], .done = seq_done };
        qs.next_seq += SEQ_SECTORS;
        qs.issued++;
        qs.disk->ops->submit(qs.disk, &qs.io[i]);
    }
    while (qs.done < qs.issued)
        qs.disk->ops->service(qs.disk);
    uint64_t ns = clock_ns() - t;
    return qs.failed || !ns ? 0 : (uint32_t)((uint64_t)qs.done * 65536 * 1000 / ns);
}

static uint64_t random_reads(uint32_t depth, uint8_t *buf)
{
    rng = 1;
    qs.issued = qs.done = 0;
    qs.failed = 0;
    uint64_t t = clock_ns();
    for (uint32_t i = 0; i < depth; i++) {
        qs.seg[i] = (struct blk_seg){ (uint32_t)buf + i * 4096, 4096 };
        qs.io[i] = (struct blk_io){ .op = BLK_READ, .lba = qs.part.first + next_random(qs.part.sectors),
                                     .sectors = 8, .nseg = 1, .seg = &qs.seg[i], .done = qd_done };
        qs.issued++;
        qs.disk->ops->submit(qs.disk, &qs.io[i]);
    }
    while (qs.done < qs.issued)
        qs.disk->ops->service(qs.disk);
    uint64_t ns = clock_ns() - t;
    return qs.failed || !ns ? 0 : (uint64_t)RANDOM_READS * 1000000000u / ns;
}

static uint32_t sequential(uint8_t op, uint8_t *buf)
{
    uint64_t t = clock_ns(), bytes = 0;
    for (uint64_t s = 0; s + 128 <= qs.part.sectors; s += 128) {
        if (qs.disk->ops->sync(qs.disk, op, qs.part.first + s, 128, buf))
            return 0;
        bytes += 65536;
    }
    uint64_t ns = clock_ns() - t;
    return ns ? (uint32_t)(bytes * 1000 / ns) : 0;
}

static void result(const char *prefix, const char *what, uint32_t v, const char *unit)
{
    log_info("bench-baseline %s_bare_%s %lu %s", prefix, what, (unsigned long)v, unit);
}

void disk_bench_baselines(const char *spec, const char *prefix)
{
    char why[128];
    if (disk_part_find(spec, &qs.part, why, sizeof(why))) {
        log_info("bench-baseline %s: none (%s)", prefix, why);
        return;
    }
    qs.disk = qs.part.disk;
    uint32_t pages = SEQ_QD * 16;       /* 8 x 64 KiB; the random reads use the first 32 pages */
    uint32_t mem = frames_alloc(pages, 16);
    if (!mem || qs.part.sectors < 1024)
        return;
    uint8_t *buf = (uint8_t *)mem;
    memset(buf, 0xA5, SEQ_QD * 65536);
    for (uint32_t round = 0; round < ROUNDS; round++) {
        result(prefix, "write_64k", sequential(BLK_WRITE, buf), "MB/s");
        result(prefix, "read_64k", sequential(BLK_READ, buf), "MB/s");
        result(prefix, "write_64k_qd8", sequential_qd(BLK_WRITE, buf), "MB/s");
        result(prefix, "read_64k_qd8", sequential_qd(BLK_READ, buf), "MB/s");
        qs.disk->ops->sync(qs.disk, BLK_FLUSH, 0, 0, buf);
        result(prefix, "randread_4k_qd1", (uint32_t)random_reads(1, buf), "IOPS");
        result(prefix, "randread_4k_qd32", (uint32_t)random_reads(QD, buf), "IOPS");
    }
    frames_free(mem, pages);
}
