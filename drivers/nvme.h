/* NVMe disks: every controller of PCI class 01/08/02 is reset and given
 * one I/O queue pair; each active namespace with 512-byte blocks is a
 * disk, named nvme0, nvme1, ... in discovery order: controllers in PCI
 * scan order, then namespaces by number. The disks are block devices
 * (drivers/blkdev.h) like AHCI's: the partition layer and the guests'
 * virtio block backend use them the same way.
 *
 * I/O is asynchronous, up to the queue depth at once; a request is cut
 * into commands of at most the controller's transfer size, with PRPs
 * pointing at the caller's buffer (nvme_prp.h). FLUSH waits until
 * everything before it is done and holds back what comes after. A command
 * that completes with an error, or has not completed after
 * NVME_TIMEOUT_NS, gets the controller reset (CC.EN off and on, queues
 * made again) and its requests reissued; after NVME_TRIES attempts a
 * request ends with an error. A controller that does not come back fails
 * everything: a caller always gets its callback. */
#ifndef DRIVERS_NVME_H
#define DRIVERS_NVME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "drivers/blkdev.h"

#define NVME_MAX_DISKS 8
#define NVME_TIMEOUT_NS 10000000000ull
#define NVME_TRIES 3

struct nvme_ctrl;

struct nvme_disk {
    struct blk_dev blk;         /* name nvme0 ..., kind "NVMe" */
    char model[41];
    uint32_t nsid;
    struct nvme_ctrl *ctrl;
    uint64_t reads, writes, flushes, read_bytes, written_bytes, errors, resets;
};

static inline struct nvme_disk *nvme_of(struct blk_dev *b)
{
    return (struct nvme_disk *)((char *)b - offsetof(struct nvme_disk, blk));
}

extern struct nvme_disk nvme_disks[NVME_MAX_DISKS];
extern uint32_t nvme_ndisks;
extern const struct blk_ops nvme_blk_ops;

/* Finds, resets and brings up every controller and namespace (after
 * pci_scan, with timers running); logs each. Returns the disks found. */
uint32_t nvme_init(void);
void nvme_submit(struct nvme_disk *d, struct blk_io *io);
/* Runs completions and error handling now (the interrupt's work). */
void nvme_service(struct nvme_disk *d);
int nvme_sync(struct nvme_disk *d, uint8_t op, uint64_t lba, uint32_t sectors, void *buf);
void nvme_cancel(struct nvme_disk *d, bool (*mine)(const struct blk_io *io, void *arg), void *arg);
uint32_t nvme_busy(const struct nvme_disk *d);
/* The idle loop's watch, as ahci_idle_poll: true if something ended or
 * a wake-up came. */
bool nvme_idle_poll(void);
/* For the monitor: queue depth, and whether the controller was lost. */
uint32_t nvme_depth(const struct nvme_disk *d);

#endif
