/* Legacy virtqueues, driver side (lguest-abi.md 8.4, 9.1, 9.2), the way
 * Linux 3.10's virtio_ring.c drives them: a free list threaded through
 * desc[].next, avail.idx published (after a write barrier) as each buffer
 * is added, a kick decided by NO_NOTIFY or the event index window, used
 * entries taken in order, used_event written whenever interrupts are on.
 *
 * Callers may add from normal code while the queue's interrupt takes used
 * entries, so the free list is only touched with interrupts off. */
#include <string.h>
#include "guest/hcall.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/virtio.h"

volatile u32 virtio_irqs;
/* The queues each line serves: one on the lguest bus, all of a function's
 * on virtio-pci. Indexed by queue number. */
static struct vq *irq_owner[NR_IRQS][VQ_MAX];

#define wmb() barrier()                 /* x86: stores are not reordered with stores */
#define rmb() barrier()
static inline void mb(void) { __asm__ __volatile__("lock; addl $0, (%%esp)" ::: "memory"); }

int vq_setup(struct vdev *d, unsigned i, vq_callback cb)
{
    unsigned num, irq;
    u32 pfn;
    if (!vdev_vq_info(d, i, &num, &irq, &pfn) || i >= VQ_MAX)
        return -1;
    /* A power of two we have room for, an IRQ line we can route. */
    if (!num || (num & (num - 1)) || num > VQ_NUM_MAX || !irq || irq >= NR_IRQS)
        return -1;
    struct vq *q = &d->vqs[i];
    if (q->ring_gpa)
        vq_release(q);
#ifdef LG_GEN4
    /* virtio 1.0: the driver puts the ring in its own memory (pages kept
     * for the queue's next setup) and tells the device where. */
    static u32 ring_pages[VDEV_MAX][VQ_MAX], ring_num[VDEV_MAX][VQ_MAX];
    unsigned dn = (unsigned)(d - vbus_devs), npages = (vring_bytes(num) + PAGE_SIZE - 1) / PAGE_SIZE;
    if (dn >= VDEV_MAX)
        return -1;
    if (ring_num[dn][i] != num) {
        if (ring_pages[dn][i])
            pages_free(ring_pages[dn][i], (vring_bytes(ring_num[dn][i]) + PAGE_SIZE - 1) / PAGE_SIZE);
        ring_pages[dn][i] = pages_alloc(npages);
        ring_num[dn][i] = num;
    }
    pfn = ring_pages[dn][i] >> PAGE_SHIFT;
    u8 *base = (u8 *)__va(ring_pages[dn][i]);
    memset(base, 0, npages * PAGE_SIZE);
#else
    u8 *base = dev_map(pfn << PAGE_SHIFT, vring_bytes(num));
    if (!base)
        return -1;
#endif

    u32 flags = irq_save();
    q->dev = d;
    q->index = i;
    q->num = num;
    q->irq = irq;
    q->ring_gpa = pfn << PAGE_SHIFT;
    q->desc = (volatile struct vring_desc *)base;
    q->avail = (volatile struct vring_avail *)(base + 16 * num);
    q->used_event = &q->avail->ring[num];
    q->used = (volatile struct vring_used *)(base + vring_used_offset(num));
    q->avail_event = (volatile u16 *)&q->used->ring[num];
    q->indirect = (d->features >> VIRTIO_F_INDIRECT) & 1;
    q->event_idx = (d->features >> VIRTIO_F_EVENT_IDX) & 1;
    q->callback = cb;
    q->broken = 0;
    q->num_added = 0;
    /* The host zeroed the ring at reset; both indexes start where it says. */
    q->avail_shadow = q->avail->idx;
    q->last_used = q->used->idx;
    /* Everything on the free list. */
    q->free_head = 0;
    q->num_free = (u16)num;
    for (unsigned k = 0; k < num; k++) {
        q->desc[k].next = (u16)(k + 1);
        q->token[k] = 0;
    }
    /* No callback: tell the host not to bother (3.10 does the same). */
    if (!cb)
        q->avail->flags |= VRING_AVAIL_F_NO_INTERRUPT;
    irq_owner[irq][i] = q;
    irq_restore(flags);
#ifdef LG_GEN4
    u32 ring = pfn << PAGE_SHIFT;
    if (vpci_queue_enable(d, i, num, ring, ring + 16 * num, ring + vring_used_offset(num)) != 0) {
        vq_release(q);
        return -1;
    }
#endif
    irq_unblock(irq);
    return 0;
}

void vq_release(struct vq *q)
{
    if (q->irq && q->irq < NR_IRQS && q->index < VQ_MAX && irq_owner[q->irq][q->index] == q) {
        irq_owner[q->irq][q->index] = 0;
        int others = 0;
        for (unsigned k = 0; k < VQ_MAX; k++)
            others |= irq_owner[q->irq][k] != 0;
        if (!others)
            irq_block(q->irq);
    }
    q->callback = 0;
    q->ring_gpa = 0;
}

/* A chain in desc[] at the indexes idx[0..total): readable segments
 * first, linked with NEXT; the last one has no NEXT. */
static void fill_chain(volatile struct vring_desc *desc, const u16 *idx, const struct vseg *segs, unsigned total,
                       unsigned nout)
{
    for (unsigned s = 0; s < total; s++) {
        volatile struct vring_desc *e = &desc[idx[s]];
        e->addr = segs[s].pa;
        e->len = segs[s].len;
        e->flags = (u16)((s >= nout ? VRING_DESC_F_WRITE : 0) | (s + 1 < total ? VRING_DESC_F_NEXT : 0));
        if (s + 1 < total)
            e->next = idx[s + 1];
    }
}

int vq_add(struct vq *q, const struct vseg *segs, unsigned nout, unsigned nin, void *token)
{
    unsigned total = nout + nin;
    if (!total || !token || !q->ring_gpa)
        return -1;
    u32 flags = irq_save();
    unsigned head = q->free_head;
    int indirect = q->indirect && total > 1 && total <= PAGE_SIZE / 16;
    if (q->num_free < (indirect ? 1 : total)) {
        irq_restore(flags);
        return -1;
    }
    u16 idx[VQ_NUM_MAX];
    if (indirect) {
        /* One table per head, kept for the next time the head is used. */
        if (!q->indirect_pa[head])
            q->indirect_pa[head] = page_alloc();
        u32 table = q->indirect_pa[head];
        for (unsigned s = 0; s < total; s++)
            idx[s] = (u16)s;
        fill_chain((volatile struct vring_desc *)__va(table), idx, segs, total, nout);
        q->desc[head].addr = table;
        q->desc[head].len = 16 * total;
        q->desc[head].flags = VRING_DESC_F_INDIRECT;
        q->free_head = q->desc[head].next;
        q->num_free--;
    } else {
        /* The chain is the first total entries of the free list; the
         * last one's next stays pointing at the rest of the list. */
        unsigned k = head;
        for (unsigned s = 0; s < total; s++) {
            idx[s] = (u16)k;
            k = q->desc[k].next;
        }
        fill_chain(q->desc, idx, segs, total, nout);
        q->free_head = (u16)k;
        q->num_free = (u16)(q->num_free - total);
    }
    q->token[head] = token;
    q->avail->ring[q->avail_shadow & (q->num - 1)] = (u16)head;
    wmb();
    q->avail->idx = ++q->avail_shadow;
    q->num_added++;
    irq_restore(flags);
    return 0;
}

/* The host wants a kick when the new index passes avail_event inside the
 * window just published (vring_need_event). */
static int need_event(u16 event, u16 new_idx, u16 old)
{
    return (u16)(new_idx - event - 1) < (u16)(new_idx - old);
}

void vq_kick(struct vq *q)
{
    u32 flags = irq_save();
    mb();
    u16 new_idx = q->avail_shadow, old = (u16)(new_idx - q->num_added);
    q->num_added = 0;
    int kick = q->event_idx ? need_event(*q->avail_event, new_idx, old)
                            : !(q->used->flags & VRING_USED_F_NO_NOTIFY);
    q->kicks += kick != 0;
    irq_restore(flags);
#ifdef LG_GEN4
    if (kick)
        vpci_kick(q);
#else
    if (kick)
        hcall(LHCALL_NOTIFY, q->ring_gpa, 0, 0);
#endif
}

int vq_more_used(struct vq *q) { return q->ring_gpa && q->last_used != q->used->idx; }

void *vq_get_used(struct vq *q, u32 *len)
{
    u32 flags = irq_save();
    if (q->broken || !vq_more_used(q)) {
        irq_restore(flags);
        return 0;
    }
    rmb();
    u32 id = q->used->ring[q->last_used & (q->num - 1)].id;
    u32 got = q->used->ring[q->last_used & (q->num - 1)].len;
    if (id >= q->num || !q->token[id]) {
        /* Not a buffer we gave: 3.10 marks the queue broken (BAD_RING). */
        q->broken = 1;
        irq_restore(flags);
        printf("virtio %s: queue %u: used entry names descriptor %u we never gave\n",
               vdev_type_name(q->dev->type), q->index, (unsigned)id);
        return 0;
    }
    void *token = q->token[id];
    q->token[id] = 0;
    /* Back on the free list: the head, plus the rest of a direct chain. */
    unsigned k = id, n = 1;
    while (!(q->desc[k].flags & VRING_DESC_F_INDIRECT) && (q->desc[k].flags & VRING_DESC_F_NEXT) && n < q->num) {
        k = q->desc[k].next;
        n++;
    }
    q->desc[k].next = q->free_head;
    q->free_head = (u16)id;
    q->num_free = (u16)(q->num_free + n);
    q->last_used++;
    /* Interrupts wanted: say from where (3.10 writes used_event here). */
    if (!(q->avail->flags & VRING_AVAIL_F_NO_INTERRUPT)) {
        *q->used_event = q->last_used;
        mb();
    }
    irq_restore(flags);
    if (len)
        *len = got;
    return token;
}

void vq_disable_cb(struct vq *q) { q->avail->flags |= VRING_AVAIL_F_NO_INTERRUPT; }

int vq_enable_cb(struct vq *q)
{
    q->avail->flags &= (u16)~VRING_AVAIL_F_NO_INTERRUPT;
    *q->used_event = q->last_used;
    mb();
    return !vq_more_used(q);
}

void vq_interrupt(unsigned line)
{
    virtio_irqs++;
    if (line >= NR_IRQS)
        return;
#ifdef LG_GEN4
    /* 4.x's vp_interrupt: the ISR read acknowledges; bit 0 is the queues */
    if (!(vpci_isr(line) & 1))
        return;
#endif
    /* 3.10's vring_interrupt: nothing new, nothing to do. */
    for (unsigned k = 0; k < VQ_MAX; k++) {
        struct vq *q = irq_owner[line][k];
        if (q && q->callback && vq_more_used(q))
            q->callback(q);
    }
}
