/* The real-disk backend of virtio block: a guest's disk is a GPT
 * partition (drivers/disk_part.h) of a SATA disk or an NVMe namespace, and
 * its requests go to the disk's driver through drivers/blkdev.h without a
 * copy: the driver's PRDs (AHCI) or PRPs (NVMe) point at the guest's own
 * buffers (guest memory
 * is one contiguous, identity-mapped host range). The kick takes up to
 * VBLK_SATA_DEPTH requests off the ring and submits them; each completion
 * (the controller's interrupt, on the boot CPU, under the big lock like
 * the kick) writes the status byte, returns the request, signals the
 * guest and takes more off the ring. A write is returned only once the
 * device said it is done; a FLUSH becomes FLUSH CACHE EXT (NVMe: FLUSH),
 * which the driver issues only after every earlier request has finished.
 *
 * The guest's memory must not be written by the device once the guest
 * has stopped, restarted or reset the device: the reset (vbus teardown
 * comes here before the memory is freed or reloaded) cancels the guest's
 * requests in the driver, which waits for those already on the device,
 * and while it does, their completions touch nothing of the guest's. */
#include <stdlib.h>
#include <string.h>
#include "virtio/block.h"
#include "drivers/blkdev.h"
#include "drivers/disk_part.h"
#include "kernel/lguest/guest.h"
#include "kernel/log.h"

struct inflight {
    struct blk_io io;          /* first: the callback's io is the slot */
    struct blk_seg seg[BLK_MAX_SEGS];
    struct vblk_sata *st;
    bool busy;
    uint16_t head;
    uint32_t status_gpa;        /* the request's last writable byte */
    uint32_t written;           /* used.len on success */
};

struct vblk_sata {
    struct guest *g;
    struct vdevice *d;
    struct inflight slot[VBLK_SATA_DEPTH];
    uint32_t nbusy;
    bool dropping;              /* a reset is cancelling: completions are not the guest's any more */
    bool in_kick, rekick;
};

static struct vring_req req;

int vblk_sata_setup(struct guest *g)
{
    if (g->sata)
        return 0;                                   /* kept across restarts */
    struct vblk_sata *st = calloc(1, sizeof(*st));
    if (!st) {
        log_err("guest %s: no memory for its SATA request slots", g->name);
        return -1;
    }
    st->g = g;
    for (uint32_t i = 0; i < VBLK_SATA_DEPTH; i++)
        st->slot[i].st = st;
    g->sata = st;
    return 0;
}

/* The byte range [off, off + len) of the request's readable (out) or
 * writable part as host segments; false if a piece is not aligned as the
 * device needs (AHCI moves 16-bit words), which a real driver never
 * sends. Pieces that follow each other in memory become one. */
static bool map(struct guest *g, const struct vring_req *r, bool writable, uint32_t off, uint32_t len,
                uint32_t align, struct blk_seg *seg, uint32_t *nseg)
{
    uint32_t n = 0, pos = 0;
    for (uint32_t i = 0; i < r->nseg && len; i++) {
        const struct vring_seg *s = &r->seg[i];
        if (s->write != writable)
            continue;
        if (pos + s->len <= off) {
            pos += s->len;
            continue;
        }
        uint32_t skip = off > pos ? off - pos : 0;
        uint32_t take = s->len - skip < len ? s->len - skip : len;
        uint8_t *host = gmem_ptr(&g->mem, s->gpa + skip, take);     /* also zeroes a fresh page first */
        if (!host || ((uint32_t)host | take) & (align - 1))
            return false;
        if (n && seg[n - 1].addr + seg[n - 1].len == (uint32_t)host)
            seg[n - 1].len += take;
        else if (n == BLK_MAX_SEGS)
            return false;
        else
            seg[n++] = (struct blk_seg){ (uint32_t)host, take };
        pos += s->len;
        off += take;
        len -= take;
    }
    *nseg = n;
    return len == 0;
}

static void answer(struct guest *g, struct vdevice *d, uint16_t head, uint32_t status_gpa, uint8_t status,
                   uint32_t written)
{
    uint8_t *p = gmem_ptr(&g->mem, status_gpa, 1);
    if (p)
        *p = status;
    vdev_push(g, d, 0, head, written);
}

static void done(struct blk_io *io, int status)
{
    struct inflight *f = (struct inflight *)io;
    struct vblk_sata *st = f->st;
    f->busy = false;
    st->nbusy--;
    struct guest *g = st->g;
    struct vdevice *d = st->d;
    if (st->dropping || !d->started || d->broken)
        return;
    answer(g, d, f->head, f->status_gpa, status ? VBLK_S_IOERR : VBLK_S_OK, status ? 1 : f->written);
    if (!guest_alive(g))
        return;                                     /* stopped, not yet reaped: no new work for it */
    vdev_signal(g, d, 0);
    vblk_sata_kick(g, d);                           /* the ring may hold more than we could take */
}

/* One request off the ring: answered now (errors, GET_ID) or submitted. */
static void take(struct guest *g, struct vdevice *d, struct vblk_sata *st, bool *answered)
{
    const struct vring_seg *last = &req.seg[req.nseg - 1];
    uint32_t status_gpa = last->gpa + last->len - 1;
    struct vblk_hdr hdr;
    if (req.read_len < 16) {
        answer(g, d, req.head, status_gpa, VBLK_S_IOERR, 1);
        *answered = true;
        return;
    }
    vring_copy_from(&g->mem, &req, 0, &hdr, sizeof(hdr));
    struct disk_part *part = g->part;
    struct inflight *f = 0;
    for (uint32_t i = 0; i < VBLK_SATA_DEPTH && !f; i++)
        if (!st->slot[i].busy)
            f = &st->slot[i];
    uint8_t status = VBLK_S_OK;
    uint32_t len = 0;
    switch (hdr.type) {
    case VBLK_T_IN:
    case VBLK_T_OUT: {
        bool in = hdr.type == VBLK_T_IN;
        status = vblk_check_rw(&req, hdr.type, hdr.sector, part->sectors, &len);
        if (status || !len)
            break;                                  /* nothing to move: answered now */
        if (len / 512 > part->disk->max_sectors ||
            !map(g, &req, in, in ? 0 : 16, len, part->disk->align, f->seg, &f->io.nseg)) {
            status = VBLK_S_IOERR;
            break;
        }
        f->io.op = in ? BLK_READ : BLK_WRITE;
        f->io.lba = part->first + hdr.sector;
        f->io.sectors = len / 512;
        f->written = (in ? len : 0) + 1;
        goto submit;
    }
    case VBLK_T_FLUSH:
        f->io.op = BLK_FLUSH;
        f->io.nseg = 0;
        f->io.sectors = 0;
        f->written = 1;
        goto submit;
    case VBLK_T_GET_ID:
        len = vblk_get_id(g, &req);
        answer(g, d, req.head, status_gpa, VBLK_S_OK, len + 1);
        *answered = true;
        return;
    default:
        status = VBLK_S_UNSUPP;
        break;
    }
    answer(g, d, req.head, status_gpa, status, 1);
    *answered = true;
    return;
submit:
    f->io.seg = f->seg;
    f->io.done = done;
    f->head = req.head;
    f->status_gpa = status_gpa;
    f->busy = true;
    st->nbusy++;
    part->disk->ops->submit(part->disk, &f->io);
}

void vblk_sata_kick(struct guest *g, struct vdevice *d)
{
    struct vblk_sata *st = g->sata;
    st->d = d;
    /* a completion inside a submission (a dead port fails at once) comes
     * back here: take it as one more round instead of recursing */
    if (st->in_kick) {
        st->rekick = true;
        return;
    }
    st->in_kick = true;
    bool answered = false;
    do {
        st->rekick = false;
        while (st->nbusy < VBLK_SATA_DEPTH && !st->dropping) {
            /* with requests on the disk, their completions come back here
             * and take whatever was posted meanwhile, and so does the
             * guest's next exit (vblk_sata_exit: the halt of a guest that
             * waits), so no kick (an exit) is needed for it, and a request
             * posted behind a long one does not wait for that one */
            d->vq[0].ring.quiet = st->nbusy > 0;
            int got = vdev_pop(g, d, 0, &req);
            if (got <= 0)
                break;
            if (!req.nseg || !req.seg[req.nseg - 1].write || !req.seg[req.nseg - 1].len) {
                vdev_broken(g, d, "request without a status byte");
                break;
            }
            take(g, d, st, &answered);
        }
    } while (st->rekick);
    st->in_kick = false;
    if (answered)
        vdev_signal(g, d, 0);
}

void vblk_sata_exit(struct guest *g)
{
    struct vblk_sata *st = g->sata;
    if (!st || !st->nbusy || st->nbusy >= VBLK_SATA_DEPTH || st->dropping || st->in_kick)
        return;
    struct vdevice *d = st->d;
    if (d && d->started && !d->broken && guest_alive(g) && vdev_has_avail(g, d, 0))
        vblk_sata_kick(g, d);
}

static bool mine(const struct blk_io *io, void *arg)
{
    const struct inflight *f = (const struct inflight *)io;
    return io->done == done && f->st == arg;
}

void vblk_sata_reset(struct guest *g, struct vdevice *d)
{
    struct vblk_sata *st = g->sata;
    (void)d;
    if (!st || !st->nbusy)
        return;
    st->dropping = true;
    uint32_t n = st->nbusy;
    g->part->disk->ops->cancel(g->part->disk, mine, st);
    st->dropping = false;
    const char *kind = g->part->disk->kind;
    log_info("guest %s: %lu %s request(s) in flight at the device reset: dropped, none answered",
             g->name, (unsigned long)n, kind);
    if (st->nbusy)
        log_err("guest %s: %lu %s request(s) still counted after the cancel", g->name,
                (unsigned long)st->nbusy, kind);
    st->nbusy = 0;
    for (uint32_t i = 0; i < VBLK_SATA_DEPTH; i++)
        st->slot[i].busy = false;
}
