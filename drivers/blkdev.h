/* A disk the hypervisor drives itself (an AHCI port's disk, an NVMe
 * namespace), as the partition layer (disk_part.c) and the guests' virtio
 * block backend (virtio/block_sata.c) see it: a name, a size, and four
 * operations. Each driver embeds a struct blk_dev in its own disk and
 * registers it; everything above the drivers goes through this.
 *
 * I/O is asynchronous: submit queues a request, and its done callback
 * runs later, from the controller's interrupt (or a poll), with the big
 * lock held like all hypervisor code. A write is done only when the
 * device said so; a FLUSH waits for everything before it and holds back
 * what comes after. A caller always gets its callback, exactly once. */
#ifndef DRIVERS_BLKDEV_H
#define DRIVERS_BLKDEV_H
#include <stdbool.h>
#include <stdint.h>

#define BLK_MAX_DEVS 16
#define BLK_MAX_SEGS 256u

enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH, BLK_IDENTIFY };

/* A piece of the buffer: physical (= virtual) address and length;
 * nothing crosses 4 GiB on this machine. */
struct blk_seg { uint32_t addr, len; };

struct blk_io {
    uint8_t op;
    uint64_t lba;
    uint32_t sectors;           /* 1..dev->max_sectors for READ/WRITE */
    uint32_t nseg;              /* <= BLK_MAX_SEGS, total = sectors * 512 */
    const struct blk_seg *seg;
    /* status 0, or -1: the request failed (the log says why) */
    void (*done)(struct blk_io *io, int status);
    void *ctx;
    /* the driver's */
    struct blk_dev *dev;        /* NVMe: the disk it was submitted to */
    struct blk_io *next;
    uint32_t tries;
    uint32_t off;               /* NVMe: bytes handed to the device so far */
    uint32_t pending;           /* NVMe: its commands on the device */
};

struct blk_dev;
struct blk_ops {
    void (*submit)(struct blk_dev *d, struct blk_io *io);
    /* Requests for which mine(io, arg) is true end now: the queued at
     * once, the ones on the device when they finish (bounded; then the
     * device is reset, which stops its DMA). Afterwards the device
     * touches none of their memory. */
    void (*cancel)(struct blk_dev *d, bool (*mine)(const struct blk_io *io, void *arg), void *arg);
    /* Requests queued or on the device. */
    uint32_t (*busy)(const struct blk_dev *d);
    /* Synchronous, polled (boot time, the benchmark): 0 or -1. */
    int (*sync)(struct blk_dev *d, uint8_t op, uint64_t lba, uint32_t sectors, void *buf);
    /* Runs completions now (the interrupt's work; for polled callers). */
    void (*service)(struct blk_dev *d);
};

struct blk_dev {
    char name[8];               /* sata0, nvme0, ... */
    const char *kind;           /* "SATA", "NVMe": for log lines */
    uint64_t sectors;           /* 512-byte */
    uint32_t max_sectors;       /* per request */
    uint32_t align;             /* every segment's address and length a multiple of this */
    const struct blk_ops *ops;
};

extern struct blk_dev *blk_devs[BLK_MAX_DEVS];
extern uint32_t blk_ndevs;

/* Adds d to the list the partition layer reads; false when full. */
bool blk_register(struct blk_dev *d);
/* By name, or NULL. */
struct blk_dev *blk_find(const char *name);
/* How many registered disks have this kind ("SATA"). */
uint32_t blk_count(const char *kind);

#endif
