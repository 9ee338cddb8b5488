/* NVMe controllers: BAR0, disable/enable with the ready timeout of
 * CAP.TO, the admin queue pair (polled: admin commands only run at boot
 * and in a reset), IDENTIFY of the controller and its namespaces, the one
 * I/O queue pair, and the interrupt. The I/O commands are nvme_io.c.
 * Queues, PRP lists and bounce pages are frames: identity-mapped, below
 * 4 GiB, so their physical addresses are their pointers. */
#include <stdio.h>
#include <string.h>
#include "drivers/u64dec.h"
#include "drivers/nvme.h"
#include "drivers/nvme_ctrl.h"
#include "drivers/nvme_ident.h"
#include "drivers/pci.h"
#include "drivers/pci_irq.h"
#include "arch/x86/paging.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/frames.h"
#include "kernel/log.h"

#define MAX_CTRLS 4
#define PCI_COMMAND 0x04
#define PCI_CMD_MEM (1u << 1)
#define PCI_CMD_MASTER (1u << 2)
#define PCI_CMD_INTX_OFF (1u << 10)
#define ADMIN_TIMEOUT_NS 5000000000ull
#define FRAMES (4 + 2 * NVME_SLOTS + 1)  /* asq, acq, sq, cq; PRP lists, bounce pages; identify */

struct nvme_disk nvme_disks[NVME_MAX_DISKS];
uint32_t nvme_ndisks;
static struct nvme_ctrl ctrls[MAX_CTRLS];
static uint32_t nctrls;

static uint64_t cap64(struct nvme_ctrl *c)
{
    return nvme_rd(c, NVME_CAP) | (uint64_t)nvme_rd(c, NVME_CAP + 4) << 32;
}

static bool wait_ready(struct nvme_ctrl *c, bool ready)
{
    uint64_t end = clock_ns() + c->ready_ns;
    while (((nvme_rd(c, NVME_CSTS) & CSTS_RDY) != 0) != ready) {
        if (clock_ns() > end || nvme_rd(c, NVME_CSTS) == 0xFFFFFFFFu)
            return false;
        pause();
    }
    return true;
}

/* One admin command, polled: 0, the status field, or -1 (no answer:
 * a timeout, which only a reset recovers from). */
static int admin(struct nvme_ctrl *c, struct nvme_sqe *cmd)
{
    cmd->cid = c->asq_tail;
    c->asq[c->asq_tail] = *cmd;
    c->asq_tail = (uint16_t)((c->asq_tail + 1) % NVME_ADMIN_QSIZE);
    __asm__ volatile("" ::: "memory");
    nvme_sq_bell(c, 0, c->asq_tail);
    uint64_t end = clock_ns() + ADMIN_TIMEOUT_NS;
    volatile struct nvme_cqe *e = &c->acq[c->acq_head];
    while (CQE_PHASE(e->status) != c->acq_phase) {
        if (clock_ns() > end)
            return -1;
        pause();
    }
    int status = e->status >> 1;
    if (++c->acq_head == NVME_ADMIN_QSIZE) {
        c->acq_head = 0;
        c->acq_phase ^= 1;
    }
    nvme_cq_bell(c, 0, c->acq_head);
    return status;
}

static int identify(struct nvme_ctrl *c, uint32_t cns, uint32_t nsid)
{
    memset(c->ident, 0, 4096);
    struct nvme_sqe cmd = { .opcode = NVME_ADM_IDENTIFY, .nsid = nsid, .prp1 = (uint32_t)c->ident,
                            .cdw10 = cns };
    return admin(c, &cmd);
}

/* The I/O queues, after the admin ones: one submission queue feeding one
 * completion queue, which interrupts on vector 0 (MSI-X entry 0, or
 * INTx). */
static bool make_io_queues(struct nvme_ctrl *c)
{
    struct nvme_sqe nq = { .opcode = NVME_ADM_SET_FEATURES, .cdw10 = NVME_FEAT_NUM_QUEUES, .cdw11 = 0 };
    struct nvme_sqe cq = { .opcode = NVME_ADM_CREATE_CQ, .prp1 = (uint32_t)c->cq,
                           .cdw10 = (c->qsize - 1) << 16 | 1, .cdw11 = 1u << 1 | 1u };
    struct nvme_sqe sq = { .opcode = NVME_ADM_CREATE_SQ, .prp1 = (uint32_t)c->sq,
                           .cdw10 = (c->qsize - 1) << 16 | 1, .cdw11 = 1u << 16 | 1u };
    int r;
    if ((r = admin(c, &nq)) != 0)
        log_warn("%s: SET FEATURES (number of queues): status 0x%x", c->name, r);
    if ((r = admin(c, &cq)) != 0 || (r = admin(c, &sq)) != 0) {
        log_err("%s: creating the I/O queues failed (status 0x%x)", c->name, r);
        return false;
    }
    return true;
}

bool nvme_ctrl_reset(struct nvme_ctrl *c)
{
    nvme_wr(c, NVME_CC, 0);
    if (!wait_ready(c, false)) {
        log_err("%s: does not stop (CSTS 0x%08lx)", c->name, (unsigned long)nvme_rd(c, NVME_CSTS));
        return false;
    }
    memset(c->asq, 0, 4 * 4096);
    c->asq_tail = c->acq_head = c->sq_tail = c->cq_head = 0;
    c->acq_phase = c->cq_phase = 1;
    nvme_wr(c, NVME_AQA, (NVME_ADMIN_QSIZE - 1) << 16 | (NVME_ADMIN_QSIZE - 1));
    nvme_wr(c, NVME_ASQ, (uint32_t)c->asq);
    nvme_wr(c, NVME_ASQ + 4, 0);
    nvme_wr(c, NVME_ACQ, (uint32_t)c->acq);
    nvme_wr(c, NVME_ACQ + 4, 0);
    nvme_wr(c, NVME_CC, CC_IOSQES | CC_IOCQES | CC_EN);    /* NVM command set, 4 KiB pages, round robin */
    if (!wait_ready(c, true) || (nvme_rd(c, NVME_CSTS) & CSTS_CFS)) {
        log_err("%s: does not become ready (CSTS 0x%08lx)", c->name, (unsigned long)nvme_rd(c, NVME_CSTS));
        return false;
    }
    return make_io_queues(c);
}

/* INTx test interrupt: an admin command's completion is an interrupt
 * (the admin completion queue always interrupts, on vector 0). */
static void test_raise(void *ctx)
{
    struct nvme_ctrl *c = ctx;
    struct nvme_sqe cmd = { .opcode = NVME_ADM_IDENTIFY, .prp1 = (uint32_t)c->ident, .cdw10 = NVME_CNS_CTRL };
    cmd.cid = c->asq_tail;
    c->asq[c->asq_tail] = cmd;
    c->asq_tail = (uint16_t)((c->asq_tail + 1) % NVME_ADMIN_QSIZE);
    nvme_sq_bell(c, 0, c->asq_tail);
}

static void test_clear(void *ctx)
{
    struct nvme_ctrl *c = ctx;
    uint64_t end = clock_ns() + 10000000;
    bool any = false;
    while (clock_ns() < end) {
        volatile struct nvme_cqe *e = &c->acq[c->acq_head];
        if (CQE_PHASE(e->status) != c->acq_phase) {
            if (any)
                break;
            pause();
            continue;
        }
        any = true;
        if (++c->acq_head == NVME_ADMIN_QSIZE) {
            c->acq_head = 0;
            c->acq_phase ^= 1;
        }
    }
    /* only after taking something: QEMU counts every head write that
     * leaves a queue empty as one queue less with entries, and a count
     * gone below zero holds INTx asserted for good */
    if (any)
        nvme_cq_bell(c, 0, c->acq_head);
}

static void ctrl_irq(void *ctx)
{
    nvme_ctrl_service(ctx);
}

/* Namespace nsid as disk nvmeN: logged, or refused with the reason. */
static void add_namespace(struct nvme_ctrl *c, uint32_t nsid, const struct nvme_ctrl_info *ci)
{
    char why[96];
    uint64_t sectors;
    int r = identify(c, NVME_CNS_NS, nsid);
    if (r) {
        log_warn("%s: IDENTIFY of namespace %lu failed (status 0x%x); not used", c->name, (unsigned long)nsid, r);
        return;
    }
    r = nvme_parse_ns(c->ident, &sectors, why, sizeof(why));
    if (r > 0)
        return;                                     /* inactive: not worth a line */
    if (r < 0) {
        log_err("%s: namespace %lu %s; not used", c->name, (unsigned long)nsid, why);
        return;
    }
    if (nvme_ndisks == NVME_MAX_DISKS) {
        log_warn("%s: namespace %lu: more than %d NVMe disks; not used", c->name, (unsigned long)nsid,
                 NVME_MAX_DISKS);
        return;
    }
    struct nvme_disk *d = &nvme_disks[nvme_ndisks];
    memset(d, 0, sizeof(*d));
    snprintf(d->blk.name, sizeof(d->blk.name), "nvme%lu", (unsigned long)nvme_ndisks);
    memcpy(d->model, ci->model, sizeof(d->model));
    d->blk.kind = "NVMe";
    d->blk.sectors = sectors;
    d->blk.max_sectors = 65536;                     /* cut into commands of max_bytes */
    d->blk.align = 1;                               /* the rest goes through a bounce page */
    d->blk.ops = &nvme_blk_ops;
    d->nsid = nsid;
    d->ctrl = c;
    if (!blk_register(&d->blk)) {
        log_warn("%s: more than %d disks in all; namespace %lu not used", d->blk.name, BLK_MAX_DEVS,
                 (unsigned long)nsid);
        return;
    }
    nvme_ndisks++;
    c->disk[c->ndisks++] = d;
    log_info("%s: %s namespace %lu: '%s', %s sectors (%s MiB), queue depth %lu, write cache %s", d->blk.name,
             c->name, (unsigned long)nsid, d->model, U64(sectors), U64((sectors >> 11)), (unsigned long)c->depth,
             ci->write_cache ? "on" : "off");
}

static bool ctrl_memory(struct nvme_ctrl *c)
{
    uint32_t mem = frames_alloc(FRAMES, 1);
    if (!mem)
        return false;
    memset((void *)mem, 0, FRAMES * 4096);
    c->asq = (struct nvme_sqe *)mem;
    c->acq = (struct nvme_cqe *)(mem + 4096);
    c->sq = (struct nvme_sqe *)(mem + 2 * 4096);
    c->cq = (struct nvme_cqe *)(mem + 3 * 4096);
    c->prp = (uint64_t *)(mem + 4 * 4096);
    c->bounce = (uint8_t *)(mem + (4 + NVME_SLOTS) * 4096);
    c->ident = (uint8_t *)(mem + (4 + 2 * NVME_SLOTS) * 4096);
    return true;
}

static void ctrl_init(const struct pci_dev *pd)
{
    if (nctrls == MAX_CTRLS) {
        log_warn("nvme: more than %d controllers; %02x:%02x.%x not used", MAX_CTRLS, pd->bus, pd->dev, pd->fn);
        return;
    }
    struct nvme_ctrl *c = &ctrls[nctrls];
    memset(c, 0, sizeof(*c));
    c->pci = pd;
    snprintf(c->name, sizeof(c->name), "nvmectl%lu", (unsigned long)nctrls);
    const struct pci_bar *bar = &pd->bar[0];
    if (bar->io || !bar->base || bar->base + bar->size > 0xFFC00000ull || bar->size < 0x2000) {
        log_err("%s: %04x:%04x at %02x:%02x.%x: BAR0 is not usable memory below 4 GiB", c->name, pd->vendor,
                pd->device, pd->bus, pd->dev, pd->fn);
        return;
    }
    uint32_t cmd = pci_read32(pd->bus, pd->dev, pd->fn, PCI_COMMAND) & 0xFFFF;
    pci_write32(pd->bus, pd->dev, pd->fn, PCI_COMMAND, (cmd | PCI_CMD_MEM | PCI_CMD_MASTER) & ~PCI_CMD_INTX_OFF);
    paging_map_mmio((uint32_t)bar->base, (uint32_t)bar->size);
    c->regs = (volatile uint8_t *)(uint32_t)bar->base;
    c->cap = cap64(c);
    uint32_t vs = nvme_rd(c, NVME_VS);
    if (!CAP_CSS_NVM(c->cap) || CAP_MPSMIN(c->cap) != 0) {
        log_err("%s: no NVM command set or no 4 KiB pages (CAP 0x%08lx%08lx); not used", c->name,
                (unsigned long)(c->cap >> 32), (unsigned long)c->cap);
        return;
    }
    c->stride = 4u << CAP_DSTRD(c->cap);
    if (NVME_DOORBELLS + 4 * c->stride > bar->size) {
        log_err("%s: its doorbells are outside BAR0; not used", c->name);
        return;
    }
    c->ready_ns = (uint64_t)(CAP_TO(c->cap) ? CAP_TO(c->cap) : 1) * 500000000ull;
    c->qsize = CAP_MQES(c->cap) + 1 < NVME_QSIZE ? CAP_MQES(c->cap) + 1 : NVME_QSIZE;
    c->depth = c->qsize - 1 < NVME_SLOTS ? c->qsize - 1 : NVME_SLOTS;
    if (c->qsize < 2 || !ctrl_memory(c)) {
        log_err("%s: queues of %lu entries, or no memory for them; not used", c->name, (unsigned long)c->qsize);
        return;
    }
    nctrls++;
    c->polled = true;                               /* until the interrupt is connected */
    if (!nvme_ctrl_reset(c))
        return;
    int r = identify(c, NVME_CNS_CTRL, 0);
    if (r) {
        log_err("%s: IDENTIFY controller failed (status 0x%x); not used", c->name, r);
        return;
    }
    struct nvme_ctrl_info ci;
    nvme_parse_ctrl(c->ident, 4096, &ci);
    c->max_bytes = ci.max_bytes && ci.max_bytes < NVME_MAX_XFER ? ci.max_bytes : NVME_MAX_XFER;
    log_info("%s: %04x:%04x at %02x:%02x.%x, NVMe %lu.%lu, '%s' serial '%s', at most %lu namespace(s), "
             "queues of %lu, %lu KiB per command, ready timeout %lu ms", c->name, pd->vendor, pd->device,
             pd->bus, pd->dev, pd->fn, (unsigned long)(vs >> 16), (unsigned long)((vs >> 8) & 0xFF), ci.model,
             ci.serial, (unsigned long)ci.namespaces, (unsigned long)c->qsize, (unsigned long)(c->max_bytes >> 10),
             (unsigned long)(c->ready_ns / 1000000));
    /* the active namespaces' list (NVMe 1.1); before it, every number up
     * to NN is tried, inactive ones answer with size 0 */
    uint32_t active[64], na = 0;
    if (identify(c, NVME_CNS_ACTIVE, 0) == 0) {
        const uint32_t *l = (const uint32_t *)c->ident;
        while (na < 64 && l[na] && l[na] <= ci.namespaces) {
            active[na] = l[na];
            na++;
        }
    } else {
        for (; na < 64 && na < ci.namespaces; na++)
            active[na] = na + 1;
    }
    for (uint32_t i = 0; i < na; i++)
        add_namespace(c, active[i], &ci);
    if (!c->ndisks) {
        log_info("%s: no usable namespaces", c->name);
        return;
    }
    struct pci_irq_test test = { test_raise, test_clear, c };
    bool irq_ok = pci_irq_set_handler(pd, &test, ctrl_irq, c, c->name, &c->irq) == 0;
    test_clear(c);
    /* queues made before MSI-X was on may not signal it (QEMU binds a
     * queue's vector when the queue is created, and only with MSI-X on;
     * drivers make their queues after the interrupt): made again now */
    if (irq_ok && c->irq.kind == PCI_IRQ_MSI && !nvme_ctrl_reset(c)) {
        log_err("%s: does not come back after connecting its interrupt; every request to it fails", c->name);
        c->dead = true;
    }
    c->polled = !irq_ok;
    if (irq_ok)
        log_info("%s: interrupt: %s", c->name, c->irq.how);
    else
        log_warn("%s: no usable interrupt; polled every millisecond while busy", c->name);
}

uint32_t nvme_init(void)
{
    for (uint32_t i = 0; i < pci_ndevs; i++) {
        const struct pci_dev *d = &pci_devs[i];
        if (d->class == 0x01 && d->subclass == 0x08 && d->progif == 0x02)
            ctrl_init(d);
    }
    return nvme_ndisks;
}

uint32_t nvme_depth(const struct nvme_disk *d)
{
    return d->ctrl->depth;
}
