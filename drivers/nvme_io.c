/* NVMe I/O: the queue of waiting requests, cutting them into commands on
 * the one I/O submission queue, completion, and error recovery (see
 * nvme.h). Everything runs under the big lock with interrupts off, from a
 * guest's kick, the interrupt handler or the watchdog timer, so nothing
 * here races itself. */
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include "drivers/u64dec.h"
#include "drivers/nvme.h"
#include "drivers/nvme_ctrl.h"
#include "drivers/nvme_prp.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/lock.h"
#include "kernel/percpu.h"
#include "kernel/log.h"

#define WATCHDOG_NS 1000000000ull   /* how often a busy controller's commands are checked */
#define POLL_NS 1000000ull          /* without an interrupt */
#define CANCELLED 0xFFFFFFFFu       /* io->tries of a request nvme_cancel gave up on */
#define IDLE_POLL_NS 100000u

static const char *op_name(uint8_t op)
{
    static const char *const n[] = { "read", "write", "flush", "identify" };
    return op < 4 ? n[op] : "?";
}

static uint32_t io_bytes(const struct blk_io *io)
{
    return io->op == BLK_FLUSH ? 0 : io->sectors * 512;
}

static void finish(struct blk_io *io, int status)
{
    struct nvme_disk *d = nvme_of(io->dev);
    if (status) {
        if (io->tries != CANCELLED)
            d->errors++;
    } else if (io->op == BLK_READ) {
        d->reads++;
        d->read_bytes += (uint64_t)io->sectors * 512;
    } else if (io->op == BLK_WRITE) {
        d->writes++;
        d->written_bytes += (uint64_t)io->sectors * 512;
    } else if (io->op == BLK_FLUSH) {
        d->flushes++;
    }
    io->done(io, status);
}

/* The next piece of io (from io->off) into slot s, onto the queue. */
static void issue(struct nvme_ctrl *c, uint32_t s, struct blk_io *io)
{
    struct nvme_slot *sl = &c->slot[s];
    struct nvme_sqe *e = &c->sq[c->sq_tail];
    memset(e, 0, sizeof(*e));
    e->cid = (uint16_t)s;
    e->nsid = nvme_of(io->dev)->nsid;
    sl->io = io;
    sl->off = io->off;
    sl->len = 0;
    sl->bounced = false;
    if (io->op == BLK_FLUSH) {
        e->opcode = NVME_CMD_FLUSH;
        c->exclusive = true;
    } else {
        uint32_t left = io_bytes(io) - io->off, max = left < c->max_bytes ? left : c->max_bytes;
        uint64_t *list = c->prp + s * (NVME_PAGE / 8);
        uint64_t prp1 = 0, prp2 = 0;
        uint32_t n = nvme_prp_build(io->seg, io->nseg, io->off, max, list, NVME_PRP_ENTRIES - 1, (uint32_t)list,
                                    &prp1, &prp2);
        e->prp1 = prp1;
        e->prp2 = prp2;
        if (!n) {
            /* a sector split where PRPs cannot follow: through the bounce page */
            uint8_t *b = c->bounce + s * NVME_PAGE;
            n = left < NVME_PAGE ? left : NVME_PAGE;
            if (io->op == BLK_WRITE)
                nvme_seg_copy(io->seg, io->nseg, io->off, b, n, false);
            e->prp1 = (uint32_t)b;
            e->prp2 = 0;
            sl->bounced = true;
        }
        sl->len = n;
        uint64_t lba = io->lba + io->off / 512;
        e->opcode = io->op == BLK_WRITE ? NVME_CMD_WRITE : NVME_CMD_READ;
        e->cdw10 = (uint32_t)lba;
        e->cdw11 = (uint32_t)(lba >> 32);
        e->cdw12 = n / 512 - 1;
    }
    io->off += sl->len;
    io->pending++;
    sl->issued_ns = clock_ns();
    c->issued |= 1u << s;
    c->nissued++;
    c->sq_tail = (uint16_t)((c->sq_tail + 1) % c->qsize);
    __asm__ volatile("" ::: "memory");              /* the entry before the doorbell (x86: stores in order) */
    nvme_sq_bell(c, 1, c->sq_tail);
    nvme_arm_watchdog(c);
}

/* Waiting requests onto the device, in order, piece by piece; a FLUSH
 * goes alone, after everything before it has completed. */
static void dispatch(struct nvme_ctrl *c)
{
    while (c->head && !c->dead) {
        struct blk_io *io = c->head;
        uint32_t depth = c->careful ? 1 : c->depth;
        if (c->exclusive || (io->op == BLK_FLUSH && c->nissued) || c->nissued >= depth)
            return;
        uint32_t s = 0;
        while (s < NVME_SLOTS && (c->issued & (1u << s)))
            s++;
        if (s == NVME_SLOTS)
            return;
        issue(c, s, io);
        if (io->off == io_bytes(io)) {              /* its last piece: off the queue */
            c->head = io->next;
            if (!c->head)
                c->tail = 0;
            c->queued--;
        }
    }
}

static void fail_all(struct nvme_ctrl *c)
{
    struct blk_io *done[NVME_SLOTS];
    uint32_t n = 0;
    for (uint32_t s = 0; s < NVME_SLOTS; s++) {
        struct blk_io *io = c->slot[s].io;
        c->slot[s].io = 0;
        /* the last command of a request off the queue (whole, or cancelled) */
        if (io && !--io->pending && (io->off == io_bytes(io) || io->tries == CANCELLED))
            done[n++] = io;
    }
    c->issued = c->nissued = 0;
    c->exclusive = false;
    while (c->head) {
        struct blk_io *io = c->head;
        c->head = io->next;
        io->pending = 0;
        finish(io, -1);
    }
    c->tail = 0;
    c->queued = 0;
    while (n)
        finish(done[--n], -1);
}

/* Resets the controller; the requests that had commands on the device
 * (and a partly issued head) start again from their beginning, at the
 * front of the queue, oldest first, so the order holds. */
static void recover(struct nvme_ctrl *c, const char *why)
{
    log_warn("%s: %s (status 0x%x, CSTS 0x%08lx, %lu on the device); resetting the controller", c->name, why,
             c->last_status, (unsigned long)nvme_rd(c, NVME_CSTS), (unsigned long)c->nissued);
    c->last_status = 0;
    for (uint32_t i = 0; i < c->ndisks; i++)
        c->disk[i]->resets++;
    /* take the requests back, oldest first (each once) */
    struct blk_io *back[NVME_SLOTS + 1];
    uint32_t n = 0;
    while (c->issued) {
        uint32_t best = 0;
        for (uint32_t s = 0; s < NVME_SLOTS; s++)
            if ((c->issued & (1u << s)) &&
                (!(c->issued & (1u << best)) || c->slot[s].issued_ns < c->slot[best].issued_ns))
                best = s;
        struct blk_io *io = c->slot[best].io;
        c->slot[best].io = 0;
        c->issued &= ~(1u << best);
        bool seen = false;
        for (uint32_t i = 0; i < n; i++)
            seen |= back[i] == io;
        if (!seen)
            back[n++] = io;
    }
    c->nissued = 0;
    c->exclusive = false;
    if (c->head && c->head->off) {                  /* partly issued: it is among them, or the newest */
        struct blk_io *io = c->head;
        c->head = io->next;
        if (!c->head)
            c->tail = 0;
        c->queued--;
        bool seen = false;
        for (uint32_t i = 0; i < n; i++)
            seen |= back[i] == io;
        if (!seen)
            back[n++] = io;
    }
    bool ok = nvme_ctrl_reset(c);
    struct blk_io *failed[NVME_SLOTS + 1];
    uint32_t nfailed = 0;
    for (uint32_t i = n; i-- > 0;) {
        struct blk_io *io = back[i];
        io->off = io->pending = 0;
        if (io->tries == CANCELLED) {
            failed[nfailed++] = io;                 /* nvme_cancel's: no error of the disk's */
            continue;
        }
        if (++io->tries >= NVME_TRIES) {
            log_err("%s: %s of %lu sectors at LBA %s failed %d times; I/O error", io->dev->name,
                    op_name(io->op), (unsigned long)io->sectors, U64(io->lba), NVME_TRIES);
            failed[nfailed++] = io;
            continue;
        }
        io->next = c->head;
        c->head = io;
        if (!c->tail)
            c->tail = io;
        c->queued++;
        c->careful++;
    }
    if (!ok) {
        log_err("%s: does not come back after a reset; every request to it fails from now on", c->name);
        c->dead = true;
        fail_all(c);
    }
    while (nfailed)
        finish(failed[--nfailed], -1);
    dispatch(c);
}

void nvme_ctrl_service(struct nvme_ctrl *c)
{
    if (c->dead)
        return;
    bool error = false, any = false;
    for (;;) {
        volatile struct nvme_cqe *e = &c->cq[c->cq_head];
        uint16_t st = e->status;
        if (CQE_PHASE(st) != c->cq_phase)
            break;
        uint16_t cid = e->cid;
        any = true;
        if (++c->cq_head == c->qsize) {
            c->cq_head = 0;
            c->cq_phase ^= 1;
        }
        if (cid >= NVME_SLOTS || !(c->issued & (1u << cid))) {
            log_warn("%s: a completion for command %u, which is not on the device; ignored", c->name, cid);
            continue;
        }
        if (st >> 1) {
            /* the others on the device go on; recovery, after this pass,
             * reissues everything from the start */
            c->last_status = st >> 1;
            error = true;
            continue;
        }
        struct nvme_slot *sl = &c->slot[cid];
        struct blk_io *io = sl->io;
        if (sl->bounced && io->op == BLK_READ)
            nvme_seg_copy(io->seg, io->nseg, sl->off, c->bounce + cid * NVME_PAGE, sl->len, true);
        sl->io = 0;
        c->issued &= ~(1u << cid);
        c->nissued--;
        if (io->op == BLK_FLUSH)
            c->exclusive = false;
        if (c->careful)
            c->careful--;
        if (!--io->pending && (io->off == io_bytes(io) || io->tries == CANCELLED))
            finish(io, io->tries == CANCELLED ? -1 : 0);
    }
    if (any)
        nvme_cq_bell(c, 1, c->cq_head);
    if (error) {
        char why[64];
        snprintf(why, sizeof(why), "a command failed (status type %u, code 0x%02x)", CQE_SCT(c->last_status << 1),
                 CQE_SC(c->last_status << 1));
        recover(c, why);
        return;
    }
    dispatch(c);
}

static void watchdog(struct timer *t)
{
    struct nvme_ctrl *c = (struct nvme_ctrl *)((char *)t - offsetof(struct nvme_ctrl, watchdog));
    if (c->polled)
        nvme_ctrl_service(c);
    uint64_t now = clock_ns();
    for (uint32_t s = 0; s < NVME_SLOTS; s++)
        if ((c->issued & (1u << s)) && now - c->slot[s].issued_ns > NVME_TIMEOUT_NS) {
            char why[80];
            snprintf(why, sizeof(why), "%s (command %lu) timed out after %s s", op_name(c->slot[s].io->op),
                     (unsigned long)s, U64((NVME_TIMEOUT_NS / 1000000000u)));
            recover(c, why);
            break;
        }
    nvme_arm_watchdog(c);
}

void nvme_arm_watchdog(struct nvme_ctrl *c)
{
    c->watchdog.fn = watchdog;
    if (!c->issued || c->watchdog.armed)
        return;
    timer_arm(&c->watchdog, clock_ns() + (c->polled ? POLL_NS : WATCHDOG_NS));
}

void nvme_submit(struct nvme_disk *d, struct blk_io *io)
{
    struct nvme_ctrl *c = d->ctrl;
    io->dev = &d->blk;
    io->next = 0;
    io->tries = 0;
    io->off = io->pending = 0;
    if (c->dead || (io->op != BLK_FLUSH && !io->sectors)) {
        finish(io, -1);
        return;
    }
    if (c->tail)
        c->tail->next = io;
    else
        c->head = io;
    c->tail = io;
    c->queued++;
    dispatch(c);
}

void nvme_service(struct nvme_disk *d)
{
    nvme_ctrl_service(d->ctrl);
}

uint32_t nvme_busy(const struct nvme_disk *d)
{
    return d->ctrl->nissued + d->ctrl->queued;
}

static void sync_done(struct blk_io *io, int status)
{
    *(volatile int *)io->ctx = status;
}

/* Polls the controller itself: interrupts are off in hypervisor code. The
 * timeout is checked here too, since the watchdog timer cannot fire. */
static void poll_until(struct nvme_ctrl *c, volatile int *flag)
{
    while (*flag == 1) {
        nvme_ctrl_service(c);
        uint64_t now = clock_ns();
        for (uint32_t s = 0; s < NVME_SLOTS && *flag == 1; s++)
            if ((c->issued & (1u << s)) && now - c->slot[s].issued_ns > NVME_TIMEOUT_NS) {
                recover(c, "a command timed out (polled)");
                break;
            }
        pause();
    }
}

int nvme_sync(struct nvme_disk *d, uint8_t op, uint64_t lba, uint32_t sectors, void *buf)
{
    volatile int status = 1;
    struct blk_seg seg = { (uint32_t)buf, sectors * 512 };
    struct blk_io io = { .op = op, .lba = lba, .sectors = sectors, .nseg = op == BLK_FLUSH ? 0 : 1,
                         .seg = &seg, .done = sync_done, .ctx = (void *)&status };
    nvme_submit(d, &io);
    poll_until(d->ctrl, &status);
    return status;
}

void nvme_cancel(struct nvme_disk *d, bool (*mine)(const struct blk_io *io, void *arg), void *arg)
{
    struct nvme_ctrl *c = d->ctrl;
    /* the waiting ones: unlinked, ended at once if nothing of theirs is
     * on the device, else when that ends */
    struct blk_io **link = &c->head, *last = 0, *dropped = 0;
    while (*link) {
        struct blk_io *io = *link;
        if (mine(io, arg)) {
            *link = io->next;
            c->queued--;
            io->tries = CANCELLED;
            if (!io->pending) {
                io->next = dropped;
                dropped = io;
            }
        } else {
            last = io;
            link = &io->next;
        }
    }
    c->tail = last;
    while (dropped) {
        struct blk_io *io = dropped;
        dropped = io->next;
        finish(io, -1);
    }
    /* the ones on the device: let them finish, a bounded time */
    uint64_t end = clock_ns() + 2000000000ull;
    for (;;) {
        bool any = false;
        for (uint32_t s = 0; s < NVME_SLOTS; s++)
            any |= c->slot[s].io && mine(c->slot[s].io, arg);
        if (!any || c->dead)
            return;
        if (clock_ns() > end)
            break;
        nvme_ctrl_service(c);
        pause();
    }
    /* still on the device: a reset stops its DMA; they fail, the others
     * are reissued */
    uint32_t n = 0;
    for (uint32_t s = 0; s < NVME_SLOTS; s++)
        if (c->slot[s].io && mine(c->slot[s].io, arg)) {
            c->slot[s].io->tries = CANCELLED;
            n++;
        }
    char why[64];
    snprintf(why, sizeof(why), "%lu cancelled command(s) did not finish in 2 s", (unsigned long)n);
    recover(c, why);
}

/* As ahci_idle_poll: an idle CPU with commands on a controller watches
 * the next completion entry's phase tag (memory, not a register) for a
 * while before it sleeps; what ended is then handled with the lock. */
bool nvme_idle_poll(void)
{
    struct nvme_ctrl *busy[NVME_MAX_DISKS];
    uint32_t n = 0;
    for (uint32_t i = 0; i < nvme_ndisks; i++) {
        struct nvme_ctrl *c = nvme_disks[i].ctrl;
        bool seen = false;
        for (uint32_t k = 0; k < n; k++)
            seen |= busy[k] == c;
        if (c->issued && !c->dead && !seen)
            busy[n++] = c;
    }
    if (!n)
        return false;
    volatile struct nvme_cqe *next[NVME_MAX_DISKS];
    uint8_t phase[NVME_MAX_DISKS];
    for (uint32_t i = 0; i < n; i++) {
        next[i] = &busy[i]->cq[busy[i]->cq_head];
        phase[i] = busy[i]->cq_phase;
    }
    struct percpu *cpu = this_cpu();
    uint64_t ipis = cpu->ipis;
    big_unlock();
    sti();
    bool hit = false;
    uint64_t end = clock_ns() + IDLE_POLL_NS;
    while (!hit && clock_ns() < end && *(volatile uint64_t *)&cpu->ipis == ipis) {
        for (uint32_t i = 0; i < n; i++)
            hit |= CQE_PHASE(next[i]->status) == phase[i];
        pause();
    }
    bool woken = *(volatile uint64_t *)&cpu->ipis != ipis;    /* as ahci_idle_poll: look again */
    cli();
    big_lock();
    if (hit)
        for (uint32_t i = 0; i < n; i++)
            nvme_ctrl_service(busy[i]);
    return hit || woken;
}

/* The block-device interface (drivers/blkdev.h) over the above. */
static void blk_submit(struct blk_dev *b, struct blk_io *io) { nvme_submit(nvme_of(b), io); }
static void blk_cancel(struct blk_dev *b, bool (*mine)(const struct blk_io *io, void *arg), void *arg)
{
    nvme_cancel(nvme_of(b), mine, arg);
}
static uint32_t blk_busy(const struct blk_dev *b) { return nvme_busy(nvme_of((struct blk_dev *)b)); }
static int blk_sync(struct blk_dev *b, uint8_t op, uint64_t lba, uint32_t sectors, void *buf)
{
    return nvme_sync(nvme_of(b), op, lba, sectors, buf);
}
static void blk_service(struct blk_dev *b) { nvme_service(nvme_of(b)); }
const struct blk_ops nvme_blk_ops = { blk_submit, blk_cancel, blk_busy, blk_sync, blk_service };
