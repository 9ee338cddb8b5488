/* AHCI (SATA) disks: every controller of PCI class 01/06/01 is reset and
 * every implemented port with an ATA disk brought up; the disks are named
 * sata0, sata1, ... in discovery order: controllers in PCI scan order
 * (bus, device, function), then ports by number.
 *
 * I/O is asynchronous: ahci_submit queues a request, and its done
 * callback runs later, from the controller's interrupt (or a poll), with
 * the big lock held like all hypervisor code. With NCQ up to the disk's
 * queue depth are on the device at once (READ/WRITE FPDMA QUEUED);
 * without it one at a time (READ/WRITE DMA EXT). FLUSH CACHE EXT, not
 * queueable, waits until everything before it is done and holds back
 * what comes after until it is. A port that reports an error, or a
 * command that has not finished after AHCI_TIMEOUT_NS, gets the port
 * reset (COMRESET) and its requests reissued; after AHCI_TRIES attempts
 * a request ends with an error. A port that does not come back fails
 * everything at once: a caller always gets its callback. */
#ifndef DRIVERS_AHCI_H
#define DRIVERS_AHCI_H
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "drivers/blkdev.h"

#define AHCI_MAX_DISKS 8
#define AHCI_TIMEOUT_NS 10000000000ull
#define AHCI_TRIES 3
#define AHCI_MAX_SECTORS 65536u     /* per request: what one READ/WRITE EXT moves */

enum ahci_op { AHCI_READ = BLK_READ, AHCI_WRITE = BLK_WRITE, AHCI_FLUSH = BLK_FLUSH, AHCI_IDENTIFY = BLK_IDENTIFY };

/* Requests are struct blk_io (drivers/blkdev.h); for AHCI every segment's
 * address and length are even (AHCI moves words). */

struct ahci_port;

struct ahci_disk {
    struct blk_dev blk;         /* what the partition layer and virtio block see */
    char name[8];               /* sata0 ... */
    char model[41];
    uint64_t sectors;           /* 512-byte */
    bool ncq;
    uint8_t flush_cmd;          /* FLUSH CACHE EXT, or FLUSH CACHE where the disk has only that */
    uint32_t depth;             /* commands on the device at once */
    struct ahci_port *port;
    uint64_t reads, writes, flushes, read_bytes, written_bytes, errors, resets;
};

static inline struct ahci_disk *ahci_of(struct blk_dev *b)
{
    return (struct ahci_disk *)((char *)b - offsetof(struct ahci_disk, blk));
}

extern struct ahci_disk ahci_disks[AHCI_MAX_DISKS];
extern uint32_t ahci_ndisks;

/* The disks' operations for blk_dev (ahci_io.c). */
extern const struct blk_ops ahci_blk_ops;

/* Finds, resets and brings up every controller and disk (after pci_scan,
 * with timers running); logs each. Returns the disks found. */
uint32_t ahci_init(void);
/* sataN, or NULL. */
struct ahci_disk *ahci_find(const char *name);

/* Queues io; see above. io and its segments stay the caller's and must
 * live until done is called. */
void ahci_submit(struct ahci_disk *d, struct blk_io *io);
/* Runs completions and error handling now (the interrupt handler's work). */
void ahci_service(struct ahci_disk *d);
/* Synchronous, polled (boot time, the benchmark): 0 or -1. */
int ahci_sync(struct ahci_disk *d, uint8_t op, uint64_t lba, uint32_t sectors, void *buf);
/* Requests for which mine(io, arg) is true end now: the queued at once
 * (status -1, never started), the ones on the device when they finish
 * (polled, at most 2 s; then the port is reset, which stops its DMA, and
 * they fail while the others are reissued). Every callback still runs
 * exactly once. Afterwards the device touches none of their memory. */
void ahci_cancel(struct ahci_disk *d, bool (*mine)(const struct blk_io *io, void *arg), void *arg);
/* The idle loop, before it halts: watches busy disks for up to
 * AHCI_IDLE_POLL_NS and handles what ended; true if anything did, or
 * if a wake-up IPI came meanwhile (the caller then looks for work again). */
#define AHCI_IDLE_POLL_NS 100000u
bool ahci_idle_poll(void);
/* Requests of d queued or on the device. */
uint32_t ahci_busy(const struct ahci_disk *d);

#endif
