/* test=vring_hostile: rings a driver would never build, written by hand
 * for every device on the bus (console, block when there is a disk, net
 * when there is one). For each case the host must stop the device
 * (status bit 0x40, a log line "guest NAME: virtio ...; device stopped
 * until reset") without harming the guest or anyone else; after a reset
 * (status 0 + NOTIFY) the device must work again.
 *
 * Every case prints "VRING DEVICE CASE" before it starts (the harness
 * pairs it with the host's log line), then PASS/FAIL vring/DEVICE/CASE
 * (the device broke) and vring/DEVICE/CASE/recovers (reset, zeroed rings,
 * a good request served). Output goes by NOTIFY strings: the console is
 * one of the devices being broken.
 *
 * Stimuli: the host looks at RX buffers only when it has input for them.
 * For the console the harness types a few bytes when it sees the case's
 * VRING line; for net we send an ARP request for QEMU's user-mode gateway
 * (10.0.2.2), whose reply comes back through the e1000 port. */
#include <stdio.h>
#include <string.h>
#include "guest/console.h"
#include "guest/hcall.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/timer.h"
#include "guest/vblk.h"
#include "guest/virtio.h"
#include "guest/x86.h"

#define SEED_IMAGE  0x1D15C000u         /* the harness's disk image (tests/block.c) */
#define OUTSIDE     0x40000000u         /* beyond any guest's memory here */
#define BREAK_MS    3000                /* time the host gets to notice */
#define NET_HDR     10

enum {
    C_LOOP, C_NEXT_RANGE, C_HEAD_RANGE, C_IND_NESTED, C_IND_OVERSIZED, C_IND_OUTSIDE, C_BUF_OUTSIDE,
    C_WRAP32, C_WRAP64, C_HUGE_LEN, C_AVAIL_JUMP, C_ORDER, C_RX_READABLE, C_KICK_BEFORE_START, NCASES
};
static const char *const case_names[NCASES] = {
    "desc-loop", "next-out-of-range", "head-out-of-range", "indirect-nested", "indirect-oversized",
    "indirect-outside-memory", "buffer-outside-memory", "addr-len-wrap-32", "addr-len-wrap-64", "huge-length",
    "avail-idx-jump", "readable-after-writable", "readable-for-writable", "kick-before-start",
};

struct hdev {
    const char *name;
    u8 type;
    u32 wanted;                         /* features its driver would ask for */
    int rq, wq;                         /* queues for device-readable / device-writable buffers, -1: none */
    struct vdev *d;
    int kicked_while_broken;
};

static struct hdev devs[] = {
    { "console", VIRTIO_ID_CONSOLE, 0, 1, 0, 0, 0 },
    { "block", VIRTIO_ID_BLOCK, (1u << VIRTIO_BLK_F_SEG_MAX) | (1u << VIRTIO_BLK_F_FLUSH), 0, -1, 0, 0 },
    { "net", VIRTIO_ID_NET, (1u << 5) | (1u << 16), 1, 0, 0, 0 },   /* MAC, STATUS */
};

/* Our memory: one page of request pieces, one RX page, two pages for a
 * table larger than any ring. */
static u8 *scratch, *rxpage;
static u32 scratch_pa, rx_pa, bigtable_pa;
#define S_TEXT      0
#define S_BLK_HDR   256
#define S_BLK_ST    272
#define S_BLK_DATA  512
#define S_NET_HDR   1024
#define S_NET_FRAME 1040
#define S_TABLE1    2048
#define S_TABLE2    2304
#define FRAME_LEN   60

struct seg {
    u32 pa, len;
    int write;
};

/* The good request for a device's queue q: what a driver would post. */
static unsigned good_chain(struct hdev *h, int q, struct seg *s, const char *why)
{
    if (q == h->wq) {
        if (h->type == VIRTIO_ID_NET) {
            s[0] = (struct seg){ rx_pa, NET_HDR, 1 };
            s[1] = (struct seg){ rx_pa + 16, 1518, 1 };
            return 2;
        }
        s[0] = (struct seg){ rx_pa, PAGE_SIZE, 1 };
        return 1;
    }
    switch (h->type) {
    case VIRTIO_ID_CONSOLE:
        snprintf((char *)scratch + S_TEXT, 200, "vring_hostile: console works%s%s\n", why ? " after " : "",
                 why ? why : "");
        s[0] = (struct seg){ scratch_pa + S_TEXT, (u32)strlen((char *)scratch + S_TEXT), 0 };
        return 1;
    case VIRTIO_ID_BLOCK: {
        struct vblk_hdr hdr = { VIRTIO_BLK_T_IN, 0, 0 };
        memcpy(scratch + S_BLK_HDR, &hdr, sizeof hdr);
        scratch[S_BLK_ST] = 0xFF;
        memset(scratch + S_BLK_DATA, 0, 512);
        s[0] = (struct seg){ scratch_pa + S_BLK_HDR, 16, 0 };
        s[1] = (struct seg){ scratch_pa + S_BLK_DATA, 512, 1 };
        s[2] = (struct seg){ scratch_pa + S_BLK_ST, 1, 1 };
        return 3;
    }
    default:
        s[0] = (struct seg){ scratch_pa + S_NET_HDR, NET_HDR, 0 };
        s[1] = (struct seg){ scratch_pa + S_NET_FRAME, FRAME_LEN, 0 };
        return 2;
    }
}

/* An ARP request from our MAC for 10.0.2.2 (QEMU's user-mode gateway). */
static void make_arp(struct hdev *h)
{
    u8 mac[6] = { 2, 0, 0, 0, 0, 1 };
    if (h->d->config_len >= 6)
        vdev_config_read(h->d, 0, mac, 6);
    u8 *f = scratch + S_NET_FRAME;
    memset(scratch + S_NET_HDR, 0, NET_HDR);
    memset(f, 0, FRAME_LEN);
    memset(f, 0xFF, 6);
    memcpy(f + 6, mac, 6);
    f[12] = 0x08, f[13] = 0x06;                         /* ARP */
    f[14] = 0, f[15] = 1, f[16] = 8, f[17] = 0, f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1;
    memcpy(f + 22, mac, 6);
    f[28] = 10, f[29] = 0, f[30] = 2, f[31] = 15;       /* 10.0.2.15 */
    f[38] = 10, f[39] = 0, f[40] = 2, f[41] = 2;        /* who has 10.0.2.2 */
}

static void put(volatile struct vring_desc *t, unsigned i, u64 addr, u32 len, u16 flags, u16 next)
{
    t[i].addr = addr;
    t[i].len = len;
    t[i].flags = flags;
    t[i].next = next;
}

/* The chain s[0..n) at t[first..first+n), linked with NEXT. */
static void write_chain(volatile struct vring_desc *t, unsigned first, const struct seg *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        put(t, first + i, s[i].pa, s[i].len,
            (u16)((s[i].write ? VRING_DESC_F_WRITE : 0) | (i + 1 < n ? VRING_DESC_F_NEXT : 0)), (u16)(first + i + 1));
}

static void publish(struct vq *q, u16 head, u16 step)
{
    u16 idx = q->avail->idx;
    q->avail->ring[idx & (q->num - 1)] = head;
    barrier();
    q->avail->idx = (u16)(idx + step);
}

/* Always kick: the case is about what the host does when it looks. */
static void kick(struct vq *q) { hcall(LHCALL_NOTIFY, q->ring_gpa, 0, 0); }

/* Sleeps in 1 ms steps until cond or ms passed. */
static int wait_until(int (*cond)(struct hdev *, struct vq *), struct hdev *h, struct vq *q, u32 ms)
{
    u64 end = rdtsc() + us_to_cycles((u64)ms * 1000);
    while (!cond(h, q)) {
        if (rdtsc() > end)
            return 0;
        irq_disable();
        timer_set(1000000);
        halt();
        irq_enable();
    }
    return 1;
}

static int is_broken(struct hdev *h, struct vq *q) { return vdev_broken(h->d); }
static int has_used(struct hdev *h, struct vq *q) { return vq_more_used(q); }

/* A driver's start: reset, features, every queue (polled: no callbacks),
 * DRIVER_OK. */
static int start(struct hdev *h)
{
    vdev_reset(h->d);
    vdev_negotiate(h->d, h->wanted);
    for (unsigned i = 0; i < h->d->num_vq && i < VQ_MAX; i++)
        if (vq_setup(h->d, i, 0) != 0)
            return -1;
    vdev_driver_ok(h->d);
    return 0;
}

/* The case's bad request on queue qi (the device started, except for
 * kick-before-start), published and kicked. */
static void craft(struct hdev *h, int c, int qi)
{
    struct vq *q = &h->d->vqs[qi];
    volatile struct vring_desc *t = q->desc;
    struct seg s[4];
    unsigned n = good_chain(h, qi, s, 0), bad = n > 1 ? 1 : 0;
    u16 head = 0, step = 1;
    write_chain(t, 0, s, n);
    volatile struct vring_desc *t1 = (volatile struct vring_desc *)(scratch + S_TABLE1);
    volatile struct vring_desc *t2 = (volatile struct vring_desc *)(scratch + S_TABLE2);
    switch (c) {
    case C_LOOP:
        /* Back to the last readable-or-first piece of the same kind, so
         * the only thing wrong is the loop (not the order). */
        t[n - 1].flags |= VRING_DESC_F_NEXT;
        t[n - 1].next = (u16)bad;
        break;
    case C_NEXT_RANGE:
        t[n - 1].flags |= VRING_DESC_F_NEXT;
        t[n - 1].next = (u16)(q->num + 5);
        break;
    case C_HEAD_RANGE:
        head = (u16)(q->num + 7);
        break;
    case C_IND_NESTED:
        /* ring -> table 1 -> table 2 (the good chain): tables may not nest. */
        write_chain(t2, 0, s, n);
        put(t1, 0, scratch_pa + S_TABLE2, 16 * n, VRING_DESC_F_INDIRECT, 0);
        put(t, 0, scratch_pa + S_TABLE1, 16, VRING_DESC_F_INDIRECT, 0);
        break;
    case C_IND_OVERSIZED: {
        /* More entries than the ring has (each a valid piece). */
        volatile struct vring_desc *big = __va(bigtable_pa);
        unsigned entries = q->num + 1;
        for (unsigned i = 0; i < entries; i++)
            put(big, i, s[0].pa, s[0].len, (u16)((s[0].write ? VRING_DESC_F_WRITE : 0) |
                                                 (i + 1 < entries ? VRING_DESC_F_NEXT : 0)), (u16)(i + 1));
        put(t, 0, bigtable_pa, 16 * entries, VRING_DESC_F_INDIRECT, 0);
        break;
    }
    case C_IND_OUTSIDE:
        put(t, 0, OUTSIDE, 16 * n, VRING_DESC_F_INDIRECT, 0);
        break;
    case C_BUF_OUTSIDE:
        t[bad].addr = OUTSIDE;
        break;
    case C_WRAP32:
        t[bad].addr = 0xFFFFF000u;
        t[bad].len = 0x2000;
        break;
    case C_WRAP64:
        t[bad].addr = 0xFFFFFFFFFFFFF000ull;
        t[bad].len = 0x2000;
        break;
    case C_HUGE_LEN:
        t[bad].len = 0xFFFFFF00u;
        break;
    case C_AVAIL_JUMP:
        step = (u16)(q->num + 1);
        break;
    case C_ORDER:
        /* A writable piece first, then the good (readable-first) chain. */
        write_chain(t, 1, s, n);
        put(t, 0, rx_pa, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
        break;
    case C_RX_READABLE:
        for (unsigned i = 0; i < n; i++)
            t[i].flags &= (u16)~VRING_DESC_F_WRITE;
        break;
    }
    publish(q, head, step);
    kick(q);
}

/* Net RX cases need a frame to arrive: an ARP request on the (good) TX queue. */
static void net_stimulus(struct hdev *h)
{
    struct vq *tx = &h->d->vqs[h->rq];
    struct seg s[4];
    unsigned n = good_chain(h, h->rq, s, 0);
    make_arp(h);
    write_chain(tx->desc, 0, s, n);
    publish(tx, 0, 1);
    kick(tx);
}

/* A good request through the driver path (vq_add/vq_kick), served. */
static int works(struct hdev *h, const char *why, char *detail, unsigned dn)
{
    if (start(h) != 0) {
        snprintf(detail, dn, "queue setup failed");
        return 0;
    }
    struct vq *q = &h->d->vqs[h->rq];
    struct seg s[4];
    struct vseg v[4];
    unsigned n = good_chain(h, h->rq, s, why), nout = 0;
    if (h->type == VIRTIO_ID_NET)
        make_arp(h);
    for (unsigned i = 0; i < n; i++) {
        v[i] = (struct vseg){ s[i].pa, s[i].len, s[i].write };
        nout += !s[i].write;
    }
    if (vq_add(q, v, nout, n - nout, scratch) != 0) {
        snprintf(detail, dn, "vq_add failed");
        return 0;
    }
    vq_kick(q);
    int got = wait_until(has_used, h, q, 2000);
    u32 len = 0;
    void *token = got ? vq_get_used(q, &len) : 0;
    if (token != scratch || vdev_broken(h->d)) {
        snprintf(detail, dn, "request %s, status 0x%x", got ? "came back wrong" : "not served",
                 vdev_status(h->d));
        return 0;
    }
    if (h->type == VIRTIO_ID_BLOCK) {
        u32 w0;
        memcpy(&w0, scratch + S_BLK_DATA, 4);
        if (scratch[S_BLK_ST] != VIRTIO_BLK_S_OK || w0 != SEED_IMAGE) {
            snprintf(detail, dn, "read of sector 0: status %u, first word 0x%x", scratch[S_BLK_ST], (unsigned)w0);
            return 0;
        }
    }
    return 1;
}

/* The host zeroed the rings and the status at reset. */
static int reset_clean(struct hdev *h, char *detail, unsigned dn)
{
    vdev_reset(h->d);
    for (unsigned i = 0; i < h->d->num_vq && i < VQ_MAX; i++) {
        unsigned num, irq;
        u32 pfn;
        vdev_vq_info(h->d, i, &num, &irq, &pfn);
        const volatile u8 *ring = dev_map(pfn << PAGE_SHIFT, vring_bytes(num));
        for (u32 b = 0; ring && b < vring_bytes(num); b++) {
            if (ring[b]) {
                snprintf(detail, dn, "queue %u: byte 0x%x of the ring is 0x%02x after reset", i, (unsigned)b,
                         ring[b]);
                return 0;
            }
        }
    }
    if (vdev_status(h->d) != 0) {
        snprintf(detail, dn, "status 0x%x after reset", vdev_status(h->d));
        return 0;
    }
    return 1;
}

/* A broken device ignores kicks: a good request stays unserved. */
static void kick_while_broken(struct hdev *h)
{
    char name[64];
    struct vq *q = &h->d->vqs[h->rq];
    struct seg s[4];
    unsigned n = good_chain(h, h->rq, s, "a kick while broken: WRONG");
    u16 used = q->used->idx;
    write_chain(q->desc, 16, s, n);
    publish(q, 16, 1);
    kick(q);
    spin_us(1000);
    irq_disable();
    timer_set(50000000);
    halt();
    irq_enable();
    snprintf(name, sizeof name, "vring/%s/kick-while-broken", h->name);
    check(q->used->idx == used && vdev_broken(h->d), name, "used idx %u -> %u, status 0x%x", used,
          q->used->idx, vdev_status(h->d));
    h->kicked_while_broken = 1;
}

static void run_case(struct hdev *h, int c)
{
    /* readable-for-writable: an RX buffer, or (block) the status byte
     * and data of a read. */
    int qi = c == C_RX_READABLE && h->wq >= 0 ? h->wq : h->rq;
    char name[64], detail[160];
    printf("VRING %s %s\n", h->name, case_names[c]);
    console_flush();
    if (c == C_KICK_BEFORE_START) {
        /* Reset, ACK, DRIVER, rings laid out, but never "features final". */
        vdev_reset(h->d);
        vdev_set_status(h->d, VIRTIO_S_ACK | VIRTIO_S_DRIVER, 0);
        for (unsigned i = 0; i < h->d->num_vq && i < VQ_MAX; i++)
            vq_setup(h->d, i, 0);
    } else if (start(h) != 0) {
        snprintf(name, sizeof name, "vring/%s/%s", h->name, case_names[c]);
        fail(name, "queue setup failed");
        return;
    }
    craft(h, c, qi);
    if (c == C_RX_READABLE && h->type == VIRTIO_ID_NET)
        net_stimulus(h);
    int broke = wait_until(is_broken, h, 0, BREAK_MS);
    snprintf(name, sizeof name, "vring/%s/%s", h->name, case_names[c]);
    check(broke, name, "status 0x%x %u ms after the kick, used idx %u", vdev_status(h->d), BREAK_MS,
          h->d->vqs[qi].used->idx);
    if (broke && !h->kicked_while_broken)
        kick_while_broken(h);

    snprintf(name, sizeof name, "vring/%s/%s/recovers", h->name, case_names[c]);
    int ok = reset_clean(h, detail, sizeof detail) && works(h, case_names[c], detail, sizeof detail);
    check(ok, name, "%s", detail);
}

void test_vring_hostile(void)
{
    vbus_scan();
    scratch_pa = page_alloc();
    scratch = __va(scratch_pa);
    rx_pa = page_alloc();
    rxpage = __va(rx_pa);
    bigtable_pa = pages_alloc(2);
    unsigned tested = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(devs); i++) {
        struct hdev *h = &devs[i];
        h->d = vbus_find(h->type, 0);
        if (!h->d) {
            printf("vring_hostile: no %s device, skipped\n", h->name);
            continue;
        }
        tested++;
        /* It works before we start breaking it. */
        char detail[160], name[64];
        snprintf(name, sizeof name, "vring/%s/works", h->name);
        check(works(h, 0, detail, sizeof detail), name, "%s", detail);
        for (int c = 0; c < NCASES; c++)
            run_case(h, c);
        vdev_reset(h->d);
    }
    check(tested >= 2, "vring/devices", "%u devices tested", tested);
    (void)rxpage;
}
