/* AHCI commands: the queue of waiting requests, issue into command slots,
 * completion, and error recovery (see ahci.h). Everything runs under the
 * big lock with interrupts off, from a guest's kick, the interrupt
 * handler or the watchdog timer, so nothing here races itself. */
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include "drivers/u64dec.h"
#include "drivers/ahci.h"
#include "drivers/ahci_port.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/lock.h"
#include "kernel/percpu.h"
#include "kernel/log.h"

#define WATCHDOG_NS 1000000000ull   /* how often a busy port's oldest command is checked */
#define POLL_NS 1000000ull          /* without an interrupt */
#define CANCELLED 0xFFFFFFFFu       /* io->tries of a request ahci_cancel gave up on */

static const char *op_name(uint8_t op)
{
    static const char *const n[] = { "read", "write", "flush", "identify" };
    return op < 4 ? n[op] : "?";
}

static bool queued_op(const struct ahci_port *p, const struct blk_io *io)
{
    return p->disk->ncq && (io->op == AHCI_READ || io->op == AHCI_WRITE);
}

/* Builds the FIS and PRDT of io in slot s and hands it to the HBA. */
static void issue(struct ahci_port *p, uint32_t s, struct blk_io *io)
{
    struct ahci_cmd_table *t = &p->tables[s];
    uint8_t *f = t->cfis;
    memset(f, 0, 20);
    f[0] = FIS_H2D;
    f[1] = 0x80;                                    /* a command */
    bool q = queued_op(p, io);
    uint32_t count = io->sectors == AHCI_MAX_SECTORS ? 0 : io->sectors;
    switch (io->op) {
    case AHCI_READ: f[2] = q ? ATA_READ_FPDMA : ATA_READ_DMA_EXT; break;
    case AHCI_WRITE: f[2] = q ? ATA_WRITE_FPDMA : ATA_WRITE_DMA_EXT; break;
    case AHCI_FLUSH: f[2] = p->disk->flush_cmd ? p->disk->flush_cmd : ATA_FLUSH_CACHE_EXT; break;
    default: f[2] = ATA_IDENTIFY; break;
    }
    if (io->op == AHCI_READ || io->op == AHCI_WRITE) {
        uint64_t lba = io->lba;
        f[4] = (uint8_t)lba; f[5] = (uint8_t)(lba >> 8); f[6] = (uint8_t)(lba >> 16);
        f[7] = 0x40;                                /* LBA mode */
        f[8] = (uint8_t)(lba >> 24); f[9] = (uint8_t)(lba >> 32); f[10] = (uint8_t)(lba >> 40);
        if (q) {
            f[3] = (uint8_t)count; f[11] = (uint8_t)(count >> 8);   /* the count is in FEATURES */
            f[12] = (uint8_t)(s << 3);              /* the tag */
        } else {
            f[12] = (uint8_t)count; f[13] = (uint8_t)(count >> 8);
        }
    }
    uint32_t nprd = 0;
    for (uint32_t i = 0; i < io->nseg; i++) {
        uint32_t addr = io->seg[i].addr, left = io->seg[i].len;
        while (left && nprd < CT_PRDS) {
            uint32_t n = left < PRD_MAX_BYTES ? left : PRD_MAX_BYTES;
            t->prd[nprd++] = (struct ahci_prd){ addr, 0, 0, n - 1 };
            addr += n;
            left -= n;
        }
    }
    uint32_t flags = HDR_CFL_H2D | nprd << 16 | (io->op == AHCI_WRITE ? HDR_WRITE : 0);
    p->list[s].flags = flags;
    p->list[s].prdbc = 0;
    p->slot[s] = io;
    p->issued_ns[s] = clock_ns();
    p->issued |= 1u << s;
    p->nissued++;
    if (!q)
        p->exclusive = true;
    __asm__ volatile("" ::: "memory");              /* the table before the doorbell (x86: stores in order) */
    if (q)
        port_wr(p, PX_SACT, 1u << s);
    port_wr(p, PX_CI, 1u << s);
    ahci_port_arm_watchdog(p);
}

static void finish(struct ahci_port *p, struct blk_io *io, int status)
{
    struct ahci_disk *d = p->disk;
    if (status) {
        d->errors++;
    } else if (io->op == AHCI_READ) {
        d->reads++;
        d->read_bytes += (uint64_t)io->sectors * 512;
    } else if (io->op == AHCI_WRITE) {
        d->writes++;
        d->written_bytes += (uint64_t)io->sectors * 512;
    } else if (io->op == AHCI_FLUSH) {
        d->flushes++;
    }
    io->done(io, status);
}

/* Waiting requests onto the device, in order; a non-queued command
 * (FLUSH, IDENTIFY, or anything without NCQ) goes alone. */
static void dispatch(struct ahci_port *p)
{
    while (p->head && !p->dead) {
        struct blk_io *io = p->head;
        bool q = queued_op(p, io);
        uint32_t depth = p->careful ? 1 : p->disk->depth;
        if (p->exclusive || (!q && p->nissued) || p->nissued >= depth)
            return;
        uint32_t s = 0;
        while (s < p->nslots && (p->issued & (1u << s)))
            s++;
        if (s == p->nslots)
            return;
        p->head = io->next;
        if (!p->head)
            p->tail = 0;
        p->queued--;
        issue(p, s, io);
    }
}

/* Fails everything: the port is gone. */
static void fail_all(struct ahci_port *p)
{
    for (uint32_t s = 0; s < AHCI_SLOTS; s++) {
        struct blk_io *io = p->slot[s];
        if (!io)
            continue;
        p->slot[s] = 0;
        finish(p, io, -1);
    }
    p->issued = p->nissued = 0;
    p->exclusive = false;
    while (p->head) {
        struct blk_io *io = p->head;
        p->head = io->next;
        finish(p, io, -1);
    }
    p->tail = 0;
    p->queued = 0;
}

/* Resets the port; what was on the device goes back to the front of the
 * queue, oldest first, so the order holds. */
static void recover(struct ahci_port *p, const char *why)
{
    struct ahci_disk *d = p->disk;
    log_warn("%s: %s (TFD 0x%04lx, SERR 0x%08lx, IS 0x%08lx, CI 0x%08lx, SACT 0x%08lx); resetting the port",
             d->name, why, (unsigned long)(port_rd(p, PX_TFD) & 0xFFFF), (unsigned long)port_rd(p, PX_SERR),
             (unsigned long)(p->last_is | port_rd(p, PX_IS)), (unsigned long)port_rd(p, PX_CI),
             (unsigned long)port_rd(p, PX_SACT));
    d->resets++;
    p->last_is = 0;
    /* take the commands back, oldest first */
    struct blk_io *back[AHCI_SLOTS];
    uint32_t n = 0;
    while (p->issued) {
        uint32_t best = 0;
        for (uint32_t s = 0; s < AHCI_SLOTS; s++)
            if ((p->issued & (1u << s)) && (!(p->issued & (1u << best)) || p->issued_ns[s] < p->issued_ns[best]))
                best = s;
        back[n++] = p->slot[best];
        p->slot[best] = 0;
        p->issued &= ~(1u << best);
    }
    p->nissued = 0;
    p->exclusive = false;
    bool ok = ahci_port_reset(p);
    /* requeue in front, keeping the order; those out of tries fail (their
     * callbacks last, when the queue is whole again) */
    struct blk_io *failed[AHCI_SLOTS];
    uint32_t nfailed = 0;
    for (uint32_t i = n; i-- > 0;) {
        struct blk_io *io = back[i];
        if (io->tries == CANCELLED) {
            failed[nfailed++] = io;                 /* ahci_cancel's: no error of the disk's */
            continue;
        }
        if (++io->tries >= AHCI_TRIES) {
            log_err("%s: %s of %lu sectors at LBA %s failed %d times; I/O error", d->name, op_name(io->op),
                    (unsigned long)io->sectors, U64(io->lba), AHCI_TRIES);
            failed[nfailed++] = io;
            continue;
        }
        io->next = p->head;
        p->head = io;
        if (!p->tail)
            p->tail = io;
        p->queued++;
        p->careful++;
    }
    if (!ok) {
        log_err("%s: port %lu does not come back after a reset; every request to it fails from now on",
                d->name, (unsigned long)p->number);
        p->dead = true;
        fail_all(p);
    }
    while (nfailed)
        finish(p, failed[--nfailed], -1);
    dispatch(p);
}

void ahci_port_service(struct ahci_port *p)
{
    uint32_t is = port_rd(p, PX_IS);
    port_wr(p, PX_IS, is);
    if (p->dead)
        return;
    if (is & IS_ERRORS) {
        /* which command failed cannot be told from CI/SACT (an NCQ error
         * may clear its SACT bit too): everything on the device is
         * reissued, one at a time for a while, so a request that keeps
         * failing uses up its own tries, not its neighbours' */
        char why[64];
        p->last_is = is;
        snprintf(why, sizeof(why), "port error (%s)", is & IS_TFES ? "the device reported an error"
                 : is & (IS_PCS | IS_PRCS) ? "link change" : "interface or bus error");
        recover(p, why);
        return;
    }
    uint32_t busy = port_rd(p, PX_CI) | port_rd(p, PX_SACT);
    uint32_t done = p->issued & ~busy;
    for (uint32_t s = 0; done; s++) {
        if (!(done & (1u << s)))
            continue;
        done &= ~(1u << s);
        struct blk_io *io = p->slot[s];
        p->slot[s] = 0;
        p->issued &= ~(1u << s);
        p->nissued--;
        if (!queued_op(p, io))
            p->exclusive = false;
        if (p->careful)
            p->careful--;
        finish(p, io, 0);
    }
    dispatch(p);
}

static void watchdog(struct timer *t)
{
    struct ahci_port *p = (struct ahci_port *)((char *)t - offsetof(struct ahci_port, watchdog));
    if (p->polled)
        ahci_port_service(p);
    uint64_t now = clock_ns();
    for (uint32_t s = 0; s < AHCI_SLOTS; s++)
        if ((p->issued & (1u << s)) && now - p->issued_ns[s] > AHCI_TIMEOUT_NS) {
            char why[80];
            snprintf(why, sizeof(why), "%s in slot %lu timed out after %s s", op_name(p->slot[s]->op),
                     (unsigned long)s, U64((AHCI_TIMEOUT_NS / 1000000000u)));
            recover(p, why);
            break;
        }
    ahci_port_arm_watchdog(p);
}

void ahci_port_arm_watchdog(struct ahci_port *p)
{
    p->watchdog.fn = watchdog;
    if (!p->issued || p->watchdog.armed)
        return;
    timer_arm(&p->watchdog, clock_ns() + (p->polled ? POLL_NS : WATCHDOG_NS));
}

void ahci_submit(struct ahci_disk *d, struct blk_io *io)
{
    struct ahci_port *p = d->port;
    io->next = 0;
    io->tries = 0;
    if (p->dead) {
        finish(p, io, -1);
        return;
    }
    if (p->tail)
        p->tail->next = io;
    else
        p->head = io;
    p->tail = io;
    p->queued++;
    dispatch(p);
}

void ahci_service(struct ahci_disk *d)
{
    ahci_port_service(d->port);
}

uint32_t ahci_busy(const struct ahci_disk *d)
{
    return d->port->nissued + d->port->queued;
}

static void sync_done(struct blk_io *io, int status)
{
    *(volatile int *)io->ctx = status;
}

/* Polls the port itself: interrupts are off in hypervisor code. The
 * timeout is checked here too, since the watchdog timer cannot fire. */
static void poll_until(struct ahci_port *p, volatile int *flag)
{
    while (*flag == 1) {
        ahci_port_service(p);
        uint64_t now = clock_ns();
        for (uint32_t s = 0; s < AHCI_SLOTS && *flag == 1; s++)
            if ((p->issued & (1u << s)) && now - p->issued_ns[s] > AHCI_TIMEOUT_NS) {
                recover(p, "a command timed out (polled)");
                break;
            }
        pause();
    }
}

int ahci_sync(struct ahci_disk *d, uint8_t op, uint64_t lba, uint32_t sectors, void *buf)
{
    volatile int status = 1;
    struct blk_seg seg = { (uint32_t)buf, sectors * 512 };
    struct blk_io io = { .op = op, .lba = lba, .sectors = sectors, .nseg = op == AHCI_FLUSH ? 0 : 1,
                          .seg = &seg, .done = sync_done, .ctx = (void *)&status };
    ahci_submit(d, &io);
    poll_until(d->port, &status);
    return status;
}

void ahci_cancel(struct ahci_disk *d, bool (*mine)(const struct blk_io *io, void *arg), void *arg)
{
    struct ahci_port *p = d->port;
    /* the waiting ones: unlinked, never started, ended at once */
    struct blk_io **link = &p->head, *last = 0, *dropped = 0;
    while (*link) {
        struct blk_io *io = *link;
        if (mine(io, arg)) {
            *link = io->next;
            p->queued--;
            io->next = dropped;
            dropped = io;
        } else {
            last = io;
            link = &io->next;
        }
    }
    p->tail = last;
    while (dropped) {
        struct blk_io *io = dropped;
        dropped = io->next;
        finish(p, io, -1);
    }
    /* the ones on the device: let them finish, a bounded time */
    uint64_t end = clock_ns() + 2000000000ull;
    for (;;) {
        bool any = false;
        for (uint32_t s = 0; s < AHCI_SLOTS; s++)
            any |= p->slot[s] && mine(p->slot[s], arg);
        if (!any || p->dead)
            return;
        if (clock_ns() > end)
            break;
        ahci_port_service(p);
        pause();
    }
    /* still on the device: a reset stops its DMA; they fail, the others
     * are reissued */
    uint32_t n = 0;
    for (uint32_t s = 0; s < AHCI_SLOTS; s++)
        if (p->slot[s] && mine(p->slot[s], arg)) {
            p->slot[s]->tries = CANCELLED;
            n++;
        }
    char why[64];
    snprintf(why, sizeof(why), "%lu cancelled request(s) did not finish in 2 s", (unsigned long)n);
    recover(p, why);
}

/* An idle CPU with commands on a disk watches for their end for a while
 * before it sleeps (as KVM's halt polling): a device that finishes in
 * microseconds then costs no interrupt and no wake-up of the CPU, which
 * is most of a single request's latency. The registers are only read
 * while watching, without the big lock and with interrupts on; what ended
 * is then handled with the lock. true if something did, or a wake-up
 * came. */
bool ahci_idle_poll(void)
{
    struct ahci_port *busy[AHCI_MAX_DISKS];
    uint32_t mask[AHCI_MAX_DISKS], n = 0;
    for (uint32_t i = 0; i < ahci_ndisks; i++) {
        struct ahci_port *p = ahci_disks[i].port;
        if (p->issued && !p->dead) {
            busy[n] = p;
            mask[n++] = p->issued;
        }
    }
    if (!n)
        return false;
    /* a wake-up for this CPU (an IPI: another guest has work) ends the watch */
    struct percpu *c = this_cpu();
    uint64_t ipis = c->ipis;
    big_unlock();
    sti();
    bool hit = false;
    uint64_t end = clock_ns() + AHCI_IDLE_POLL_NS;
    while (!hit && clock_ns() < end && *(volatile uint64_t *)&c->ipis == ipis) {
        for (uint32_t i = 0; i < n; i++)
            hit |= (mask[i] & ~(port_rd(busy[i], PX_CI) | port_rd(busy[i], PX_SACT))) != 0;
        pause();
    }
    /* an IPI taken during the watch was a wake-up for this CPU: the
     * caller must look for work again rather than halt (it would sleep
     * through the wake-up it just consumed) */
    bool woken = *(volatile uint64_t *)&c->ipis != ipis;
    cli();
    big_lock();
    if (hit)
        for (uint32_t i = 0; i < n; i++)
            ahci_port_service(busy[i]);
    return hit || woken;
}

/* The block-device interface (drivers/blkdev.h) over the above. */
static void blk_submit(struct blk_dev *b, struct blk_io *io) { ahci_submit(ahci_of(b), io); }
static void blk_cancel(struct blk_dev *b, bool (*mine)(const struct blk_io *io, void *arg), void *arg)
{
    ahci_cancel(ahci_of(b), mine, arg);
}
static uint32_t blk_busy(const struct blk_dev *b) { return ahci_busy(ahci_of((struct blk_dev *)b)); }
static int blk_sync(struct blk_dev *b, uint8_t op, uint64_t lba, uint32_t sectors, void *buf)
{
    return ahci_sync(ahci_of(b), op, lba, sectors, buf);
}
static void blk_service(struct blk_dev *b) { ahci_service(ahci_of(b)); }
const struct blk_ops ahci_blk_ops = { blk_submit, blk_cancel, blk_busy, blk_sync, blk_service };
