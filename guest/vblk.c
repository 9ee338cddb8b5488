/* The virtio block driver, in 3.10's order (virtio_blk.c): features,
 * the one queue, capacity and seg_max from config, DRIVER_OK. Requests
 * are [header | data... | status]; with INDIRECT every one of them goes
 * as a table (it always has at least two segments). The completion
 * interrupt marks each returned request done, in 3.10's loop shape:
 * callbacks off, take all, callbacks on, again if more arrived. */
#include <string.h>
#include "guest/irq.h"
#include "guest/test.h"
#include "guest/timer.h"
#include "guest/vblk.h"
#include "guest/x86.h"

#define WANTED ((1u << VIRTIO_BLK_F_SEG_MAX) | (1u << VIRTIO_BLK_F_SIZE_MAX) | (1u << VIRTIO_BLK_F_BLK_SIZE) | \
                (1u << VIRTIO_BLK_F_FLUSH))
#define MAX_SEGS 254

static struct vdev *dev;
static struct vq *q;
static u64 capacity;
static u32 seg_max;
static u32 size_max;             /* 0: no limit on one segment */
static int dead;                        /* a request never came back: no more use */

struct vdev *vblk_device(void) { return dev; }
struct vq *vblk_queue(void) { return q; }
u64 vblk_capacity(void) { return capacity; }
u32 vblk_seg_max(void) { return seg_max; }

static void done(struct vq *vq)
{
    do {
        vq_disable_cb(vq);
        struct vblk_req *r;
        u32 len;
        while ((r = vq_get_used(vq, &len)) != 0) {
            r->used_len = len;
            barrier();
            r->done = 1;
        }
    } while (!vq_enable_cb(vq));
}

int vblk_attach(void)
{
    if (!vbus_count)
        vbus_scan();
    dev = vbus_find(VIRTIO_ID_BLOCK, 0);
    if (!dev || dev->num_vq < 1)
        return VBLK_E_NODEV;
    /* Probing again (after the host stopped it, say): reset first, as
     * 3.10 does when a driver is removed, and acknowledge again. */
    if (vdev_status(dev) != VIRTIO_S_ACK) {
        vdev_reset(dev);
        vdev_set_status(dev, VIRTIO_S_ACK, 0);
    }
    u32 accepted = vdev_negotiate(dev, WANTED);
    if (vq_setup(dev, 0, done) != 0) {
        vdev_set_status(dev, vdev_status(dev) | VIRTIO_S_FAILED, 1);
        return VBLK_E_NODEV;
    }
    q = &dev->vqs[0];
    vdev_config_read(dev, 0, &capacity, 8);
    /* Without SEG_MAX 3.10 sends one data segment per request; without
     * INDIRECT the whole chain must fit the ring. */
    seg_max = 1;
    if (accepted & (1u << VIRTIO_BLK_F_SEG_MAX))
        vdev_config_read(dev, 12, &seg_max, 4);
    if (seg_max > MAX_SEGS)
        seg_max = MAX_SEGS;
    if (!q->indirect && seg_max > q->num - 2)
        seg_max = q->num - 2;
    if (!seg_max)
        seg_max = 1;
    size_max = 0;
    if (accepted & (1u << VIRTIO_BLK_F_SIZE_MAX))
        vdev_config_read(dev, 8, &size_max, 4);
    if (size_max && size_max < PAGE_SIZE)
        size_max = PAGE_SIZE;               /* pages are never cut */
    dead = 0;
    vdev_driver_ok(dev);
    return 0;
}

/* Segment lists are too big for an 8 KiB kernel stack; the API is
 * synchronous and used from one thread at a time. */
static struct vseg req_segs[MAX_SEGS + 2], rw_segs[MAX_SEGS];

int vblk_submit(struct vblk_req *r, u32 type, u64 sector, const struct vseg *data, unsigned nseg)
{
    struct vseg *segs = req_segs;
    if (!q || dead)
        return VBLK_E_NODEV;
    if (nseg > MAX_SEGS)
        return VBLK_E_ARGS;
    r->hdr.type = type;
    r->hdr.ioprio = 0;
    r->hdr.sector = sector;
    r->status = 0xFF;               /* a device that never writes it shows */
    r->done = 0;
    r->used_len = 0;
    unsigned n = 0, nout;
    segs[n++] = (struct vseg){ __pa(&r->hdr), sizeof r->hdr, 0 };
    for (unsigned i = 0; i < nseg; i++)
        if (!data[i].write)
            segs[n++] = data[i];
    nout = n;
    for (unsigned i = 0; i < nseg; i++)
        if (data[i].write)
            segs[n++] = data[i];
    segs[n++] = (struct vseg){ __pa(&r->status), 1, 1 };
    return vq_add(q, segs, nout, n - nout, r) == 0 ? 0 : VBLK_E_NOROOM;
}

void vblk_kick(void)
{
    if (q && !dead)
        vq_kick(q);
}

int vblk_wait(struct vblk_req *r)
{
    u64 end = rdtsc() + us_to_cycles(VBLK_WAIT_US);
    if (!q || dead)
        return VBLK_E_NODEV;
    irq_disable();
    while (!r->done) {
        if (vdev_broken(dev) || q->broken || rdtsc() > end) {
            irq_enable();
            /* It may never come back, or come back into memory that is
             * no longer this request: stop listening to the queue. */
            dead = 1;
            vq_release(q);
            return vdev_broken(dev) || q->broken ? VBLK_E_BROKEN : VBLK_E_TIMEOUT;
        }
        /* The completion interrupt wakes us; the timer only bounds the
         * sleep so a lost interrupt turns into a timeout, not a hang. */
        timer_set_queued(10000000);       /* armed by the halt's own trap */
        halt();
        irq_disable();
    }
    irq_enable();
    return r->status;
}

int vblk_request(u32 type, u64 sector, const struct vseg *data, unsigned nseg, u32 *used_len)
{
    struct vblk_req r;
    int s = vblk_submit(&r, type, sector, data, nseg);
    if (s != 0)
        return s;
    vblk_kick();
    s = vblk_wait(&r);
    if (used_len)
        *used_len = r.used_len;
    return s;
}

unsigned vblk_segs(u32 *buf, u32 *bytes, int write, struct vseg *segs)
{
    unsigned n = 0;
    while (*bytes && n < seg_max) {
        u32 pa = __pa(*buf);
        u32 len = PAGE_SIZE - (pa & (PAGE_SIZE - 1));
        if (len > *bytes)
            len = *bytes;
        if (n && segs[n - 1].pa + segs[n - 1].len == pa &&
            (!size_max || segs[n - 1].len + len <= size_max))
            segs[n - 1].len += len;     /* physically contiguous: one segment, as Linux merges them */
        else
            segs[n++] = (struct vseg){ pa, len, write };
        *buf += len;
        *bytes -= len;
    }
    return n;
}

/* Whole sectors, in as many requests as vblk_segs needs. */
static int rw(u32 type, u64 sector, u32 buf, u32 bytes)
{
    if ((buf | bytes) % VBLK_SECTOR)
        return VBLK_E_ARGS;
    if (!q)
        return VBLK_E_NODEV;
    while (bytes) {
        u32 left = bytes;
        unsigned n = vblk_segs(&buf, &bytes, type == VIRTIO_BLK_T_IN, rw_segs);
        int s = vblk_request(type, sector, rw_segs, n, 0);
        if (s != VIRTIO_BLK_S_OK)
            return s;
        sector += (left - bytes) / VBLK_SECTOR;
    }
    return VIRTIO_BLK_S_OK;
}

int vblk_read(u64 sector, void *buf, u32 bytes) { return rw(VIRTIO_BLK_T_IN, sector, (u32)buf, bytes); }
int vblk_write(u64 sector, const void *buf, u32 bytes) { return rw(VIRTIO_BLK_T_OUT, sector, (u32)buf, bytes); }
int vblk_flush(void) { return vblk_request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0); }

int vblk_get_id(char id[VBLK_ID_BYTES])
{
    struct vseg seg = { __pa(id), VBLK_ID_BYTES, 1 };
    return vblk_request(VIRTIO_BLK_T_GET_ID, 0, &seg, 1, 0);
}
