/* What nvme.c (bring-up, reset, admin commands) and nvme_io.c (the I/O
 * queue) share about a controller. Private to the driver. */
#ifndef DRIVERS_NVME_CTRL_H
#define DRIVERS_NVME_CTRL_H
#include <stdbool.h>
#include <stdint.h>
#include "drivers/nvme.h"
#include "drivers/nvme_regs.h"
#include "drivers/pci_irq.h"
#include "kernel/timer.h"

#define NVME_QSIZE 64u              /* I/O queue entries (at most) */
#define NVME_ADMIN_QSIZE 16u
#define NVME_SLOTS 32u              /* commands on the device at once: cid 0..31 */
#define NVME_MAX_XFER (256u * 1024) /* per command, whatever MDTS allows */
#define NVME_PRP_ENTRIES (NVME_MAX_XFER / 4096 + 1)

/* A command on the device: a piece [off, off + len) of io, through the
 * slot's bounce page when its buffer could not be expressed as PRPs. */
struct nvme_slot {
    struct blk_io *io;
    uint32_t off, len;
    bool bounced;
    uint64_t issued_ns;
};

struct nvme_ctrl {
    struct timer watchdog;      /* timeouts (and polling without an interrupt) */
    const struct pci_dev *pci;
    volatile uint8_t *regs;
    char name[16];              /* "nvmectl0" */
    struct pci_irq irq;
    uint64_t cap;
    uint32_t stride;            /* doorbell stride, bytes */
    uint64_t ready_ns;          /* CAP.TO */
    struct nvme_sqe *asq, *sq;
    struct nvme_cqe *acq, *cq;
    uint16_t asq_tail, acq_head, sq_tail, cq_head;
    uint8_t acq_phase, cq_phase;
    uint32_t qsize, depth, max_bytes;
    uint64_t *prp;              /* NVME_SLOTS pages: each slot's PRP list */
    uint8_t *bounce;            /* NVME_SLOTS pages */
    uint8_t *ident;             /* a page for IDENTIFY */
    struct nvme_slot slot[NVME_SLOTS];
    uint32_t issued, nissued;   /* bit n: slot n on the device */
    bool exclusive;             /* a FLUSH is on the device */
    bool dead;                  /* did not come back from a reset: everything fails */
    bool polled;                /* no interrupt: the watchdog polls */
    struct blk_io *head, *tail; /* waiting, in order (the head may be partly issued) */
    uint32_t queued;
    uint32_t careful;           /* after a reset: this many more one at a time */
    uint16_t last_status;       /* the error that led to a recovery, for its log line */
    struct nvme_disk *disk[NVME_MAX_DISKS];
    uint32_t ndisks;
};

static inline uint32_t nvme_rd(struct nvme_ctrl *c, uint32_t r) { return *(volatile uint32_t *)(c->regs + r); }
static inline void nvme_wr(struct nvme_ctrl *c, uint32_t r, uint32_t v) { *(volatile uint32_t *)(c->regs + r) = v; }
/* Doorbells: submission tail of queue q, completion head of queue q. */
static inline void nvme_sq_bell(struct nvme_ctrl *c, uint32_t q, uint32_t v)
{
    nvme_wr(c, NVME_DOORBELLS + 2 * q * c->stride, v);
}
static inline void nvme_cq_bell(struct nvme_ctrl *c, uint32_t q, uint32_t v)
{
    nvme_wr(c, NVME_DOORBELLS + (2 * q + 1) * c->stride, v);
}

/* nvme.c: disable, admin queues, enable, I/O queues; false when the
 * controller does not come back. */
bool nvme_ctrl_reset(struct nvme_ctrl *c);
/* nvme_io.c: the completion queue's work (the interrupt). */
void nvme_ctrl_service(struct nvme_ctrl *c);
void nvme_arm_watchdog(struct nvme_ctrl *c);

#endif
