/* virtio-net, driver side: see vnet.h for the shape. Buffers are 2 KiB
 * slots carved from whole pages; the header sits at the slot's start and
 * the frame 16 bytes in, so the two segments are never adjacent and a host
 * that ignored the segment boundaries would corrupt every frame. */
#include <stdio.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/net.h"
#include "guest/timer.h"
#include "guest/virtio.h"
#include "guest/vnet.h"
#include "guest/x86.h"

#define SLOT_SIZE   2048
#define SLOT_FRAME  16              /* frame offset inside a slot */
#define NSLOTS      256             /* per queue: as many as the ring has entries */
#define HDR_FILL    0xA5            /* RX headers are pre-filled with this */
/* Like 3.10's "capacity < 2 + MAX_SKB_FRAGS": with fewer free ring
 * descriptors than this the queue counts as nearly full and the TX
 * interrupt goes on, so that a full queue is woken by the host. */
#define TX_LOW      8
#define TX_WAIT_US  2000000

struct vnet_stats vnet_stats;
u8 vnet_tx_hdr[VNET_HDR_LEN];
int vnet_tx_hdr_on;
u8 vnet_mac[6];

static struct vdev *dev;
static struct vq *rxq, *txq;
static u32 features;
static u16 link_status = 1;
static int plain, no_offload, no_mrg;
static unsigned hlen = VNET_HDR_LEN;    /* 12 with MRG_RXBUF or VERSION_1, both directions */
static int mrg;
#define MRG_HDR_LEN 12
#define MRG_MAX     40                  /* buffers one frame may take: 64 KiB in 2 KiB */
static u8 mrg_buf[VNET_LARGE_MAX];      /* a frame over several buffers, put together */

/* Large TX buffers for HOST_TSO4: each 17 pages, the header at the start
 * of the first and the frame 16 bytes in, spread over the pages. Tokens
 * after the slots' ones. */
#define NLARGE      4
#define LARGE_PAGES ((SLOT_FRAME + VNET_LARGE_MAX + PAGE_SIZE - 1) / PAGE_SIZE)
static u8 *large[NLARGE][LARGE_PAGES];
static u8 large_free[NLARGE];

/* Free slots of each queue: a stack of slot numbers. */
static u8 *rx_slot[NSLOTS], *tx_slot[NSLOTS];
static u16 rx_free[NSLOTS], tx_free[NSLOTS];
static unsigned rx_nfree, tx_nfree;

/* Set by the interrupt callbacks, cleared by the poll / transmit paths. */
static volatile int rx_work, tx_woken;

static void alloc_slots(u8 **slot)
{
    for (unsigned i = 0; i < NSLOTS; i += PAGE_SIZE / SLOT_SIZE) {
        u8 *page = __va(page_alloc());
        for (unsigned j = 0; j < PAGE_SIZE / SLOT_SIZE; j++)
            slot[i + j] = page + j * SLOT_SIZE;
    }
}

/* Tokens are slot numbers + 1 (a token of 0 means "no buffer"). */
static void *token_of(unsigned n) { return (void *)(uintptr_t)(n + 1); }
static unsigned slot_of(void *token) { return (unsigned)(uintptr_t)token - 1; }

/* Interrupt context: stop further RX interrupts until the poll path has
 * drained the ring (3.10's skb_recv_done + napi_schedule). */
static void rx_callback(struct vq *q)
{
    vq_disable_cb(q);
    vnet_stats.rx_irqs++;
    rx_work = 1;
}

/* The host finished transmit buffers while we were nearly full. */
static void tx_callback(struct vq *q)
{
    vq_disable_cb(q);
    vnet_stats.tx_irqs++;
    tx_woken = 1;
}

/* Arms the clock event for the deadline (at most 1 s ahead: the hypercall
 * takes a u32 of nanoseconds) and halts. Called with interrupts disabled,
 * after checking what is being waited for; returns with them enabled. */
static void halt_until(u64 deadline)
{
    u64 now = rdtsc();
    u32 us = now < deadline ? cycles_to_us(deadline - now) + 1 : 1;
    timer_set(us > 1000000 ? 1000000000u : us * 1000);
    halt();
}

static void rx_refill(void)
{
    int added = 0;
    while (rx_nfree) {
        unsigned n = rx_free[rx_nfree - 1];
        u8 *s = rx_slot[n];
        /* Whatever the host writes must replace this (it writes zeros). */
        memset(s, HDR_FILL, MRG_HDR_LEN);
        struct vseg seg[2] = {
            { __pa(s), hlen, 1 },
            { __pa(s + SLOT_FRAME), VNET_FRAME_MAX, 1 },
        };
        if (mrg) {
            /* mergeable: one segment, the header at its start */
            seg[0] = (struct vseg){ __pa(s), SLOT_SIZE, 1 };
        }
        if (vq_add(rxq, seg, 0, mrg ? 1 : 2, token_of(n)) < 0)
            break;
        rx_nfree--;
        vnet_stats.rx_posted++;
        added = 1;
    }
    if (added) {
        vnet_stats.rx_refills++;
        vq_kick(rxq);
    }
}

static void tx_reclaim(void)
{
    void *t;
    u32 len;
    while ((t = vq_get_used(txq, &len)) != 0) {
        unsigned n = slot_of(t);
        if (n >= NSLOTS)
            large_free[n - NSLOTS] = 1;
        else
            tx_free[tx_nfree++] = (u16)n;
    }
}

int vnet_init(void)
{
    char v[16];
    plain = boot_option("virtio", v, sizeof v) && strcmp(v, "plain") == 0;
    int have = boot_option("offload", v, sizeof v) != 0;
    no_offload = have && strcmp(v, "off") == 0;
    no_mrg = have && strcmp(v, "nomrg") == 0;
    if (!vbus_count)
        vbus_scan();            /* the shell has scanned already */
    dev = vbus_find(VIRTIO_ID_NET, 0);
    if (!dev) {
        printf("vnet: no network device on the bus\n");
        return -1;
    }
    if (dev->num_vq < 2) {
        printf("vnet: device has %u queues, need 2\n", dev->num_vq);
        return -1;
    }
    u32 want = 1u << VNET_F_MAC | 1u << VNET_F_STATUS | (no_offload ? 0 : VNET_OFFLOADS);
    if (no_mrg)
        want &= ~(1u << VNET_F_MRG_RXBUF);
    /* (vbus refuses INDIRECT and EVENT_IDX itself under virtio=plain) */
    features = vdev_negotiate(dev, want);
    mrg = (features & 1u << VNET_F_MRG_RXBUF) != 0;
#ifdef LG_GEN4
    hlen = MRG_HDR_LEN;                 /* VERSION_1 */
#else
    hlen = mrg ? MRG_HDR_LEN : VNET_HDR_LEN;
#endif
    if (vq_setup(dev, 0, rx_callback) || vq_setup(dev, 1, tx_callback)) {
        printf("vnet: queue setup failed\n");
        vdev_set_status(dev, vdev_status(dev) | VIRTIO_S_FAILED, 1);
        return -1;
    }
    rxq = &dev->vqs[0];
    txq = &dev->vqs[1];
    /* TX completions are collected on the next transmit, not by interrupt. */
    vq_disable_cb(txq);

    if (features & 1u << VNET_F_MAC) {
        vdev_config_read(dev, 0, vnet_mac, 6);
    } else {
        /* 3.10 picks a random locally administered address. */
        static const u8 fallback[6] = { 0x02, 0x6c, 0x67, 0x74, 0x00, 0x01 };
        memcpy(vnet_mac, fallback, 6);
    }
    if (features & 1u << VNET_F_STATUS)
        vdev_config_read(dev, 6, &link_status, 2);

    alloc_slots(rx_slot);
    alloc_slots(tx_slot);
    for (unsigned i = 0; i < NSLOTS; i++) {
        rx_free[i] = (u16)(NSLOTS - 1 - i);
        tx_free[i] = (u16)(NSLOTS - 1 - i);
    }
    rx_nfree = tx_nfree = NSLOTS;
    if (features & 1u << VNET_F_HOST_TSO4)
        for (unsigned b = 0; b < NLARGE; b++) {
            for (unsigned p = 0; p < LARGE_PAGES; p++)
                large[b][p] = __va(page_alloc());
            large_free[b] = 1;
        }
    rx_refill();
    vdev_driver_ok(dev);
    printf("vnet: mac %02x:%02x:%02x:%02x:%02x:%02x, features 0x%08x, link %s, %u rx buffers%s\n",
           vnet_mac[0], vnet_mac[1], vnet_mac[2], vnet_mac[3], vnet_mac[4], vnet_mac[5],
           (unsigned)features, vnet_link_up() ? "up" : "down", (unsigned)vnet_stats.rx_posted,
           plain ? " (virtio=plain)" : "");
    return 0;
}

u32 vnet_features(void) { return features; }
/* Read afresh each time: the lguest bus has no config-change interrupt,
 * and the host rewrites the field when its uplink's link changes. */
int vnet_link_up(void)
{
    if (dev && (features & 1u << VNET_F_STATUS))
        vdev_config_read(dev, 6, &link_status, 2);
    return (link_status & 1) != 0;
}
int vnet_broken(void) { return dev && vdev_broken(dev); }
int vnet_csum_offload(void) { return (features & 1u << VNET_F_CSUM) != 0; }
int vnet_tso_offload(void) { return (features & 1u << VNET_F_HOST_TSO4) != 0; }

static u16 le16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }

/* A received header: zero, DATA_VALID, or (GUEST_CSUM) NEEDS_CSUM, whose
 * checksum we complete as the stack above expects full checksums. 0 when
 * the frame may go up. */
static int rx_header(const u8 *h, u8 *frame, unsigned len)
{
    u16 start = le16(h + 6), off = le16(h + 8);
    if (h[0] & ~(VNET_HDR_NEEDS_CSUM | VNET_HDR_DATA_VALID))
        return -1;
    if (h[1]) {
        /* a large segment: only TCPv4 as negotiated, its checksum to do */
        if (h[1] != VNET_GSO_TCPV4 || !(features & 1u << VNET_F_GUEST_TSO4) || !le16(h + 4) || !le16(h + 2) ||
            le16(h + 2) > len || !(h[0] & VNET_HDR_NEEDS_CSUM))
            return -1;
        vnet_stats.rx_gso++;
    } else if (le16(h + 2) || le16(h + 4) || len > VNET_FRAME_MAX) {
        return -1;
    }
    if (h[0] & VNET_HDR_DATA_VALID)
        vnet_stats.rx_valid++;
    if (!(h[0] & VNET_HDR_NEEDS_CSUM))
        return start || off ? -1 : 0;
    if (!(features & 1u << VNET_F_GUEST_CSUM) || start < 14 || (u32)start + off + 2 > len)
        return -1;
    u16 c = csum_fold(csum_partial(0, frame + start, len - start));
    if (!c)
        c = 0xffff;                 /* the same in ones' complement; 0 is "none" for UDP */
    frame[start + off] = (u8)(c >> 8);
    frame[start + off + 1] = (u8)c;
    vnet_stats.rx_partial++;
    return 0;
}
int vnet_plain(void) { return plain; }

static void rx_one(vnet_rx_fn rx, const u8 *h, u8 *frame, unsigned len)
{
    if (rx_header(h, frame, len) != 0) {
        vnet_stats.rx_bad_hdr++;
        return;
    }
    vnet_stats.rx_frames++;
    vnet_stats.rx_bytes += len;
    rx(frame, len);
}

/* MRG_RXBUF: the first buffer s (already back on the free list, it is
 * refilled only after the poll) of a frame in num_buffers buffers; the
 * others are the next used entries, which the host pushed together (it
 * may still be pushing them from another CPU: wait a little). */
static void rx_merged(vnet_rx_fn rx, u8 *s, u32 len)
{
    u8 h[MRG_HDR_LEN];
    if (len < MRG_HDR_LEN + 14 || len > SLOT_SIZE) {
        vnet_stats.rx_short++;
        return;
    }
    memcpy(h, s, MRG_HDR_LEN);
    unsigned nb = le16(h + 10), at = len - MRG_HDR_LEN;
    if (nb == 1) {
        rx_one(rx, h, s + MRG_HDR_LEN, at);
        return;
    }
    int ok = nb && nb <= MRG_MAX;
    if (ok)
        memcpy(mrg_buf, s + MRG_HDR_LEN, at);
    for (unsigned k = 1; ok && k < nb; k++) {
        void *t = 0;
        u32 l;
        for (unsigned spin = 0; spin < 1000000 && !(t = vq_get_used(rxq, &l)); spin++)
            __asm__ volatile("pause");
        if (!t) {
            ok = 0;
            break;
        }
        unsigned m = slot_of(t);
        vnet_stats.rx_posted--;
        rx_free[rx_nfree++] = (u16)m;
        if (l > SLOT_SIZE || at + l > sizeof mrg_buf)
            ok = 0;
        else
            memcpy(mrg_buf + at, rx_slot[m], l);
        at += l;
    }
    if (!ok) {
        vnet_stats.rx_bad_hdr++;
        return;
    }
    vnet_stats.rx_merged++;
    rx_one(rx, h, mrg_buf, at);
}
int vnet_rx_pending(void) { return rx_work; }

unsigned vnet_poll(vnet_rx_fn rx, unsigned budget)
{
    unsigned done = 0;
    if (!rxq)
        return 0;
    vnet_stats.rx_polls++;
    for (;;) {
        void *t;
        u32 len;
        while (done < budget && (t = vq_get_used(rxq, &len)) != 0) {
            unsigned n = slot_of(t);
            u8 *s = rx_slot[n];
            vnet_stats.rx_posted--;
            done++;
            if (mrg) {
                rx_free[rx_nfree++] = (u16)n;
                rx_merged(rx, s, len);
                continue;
            }
            if (len < hlen + 14) {
                vnet_stats.rx_short++;
            } else if (len > hlen + VNET_FRAME_MAX) {
                vnet_stats.rx_long++;
            } else {
                rx_one(rx, s, s + SLOT_FRAME, len - hlen);
            }
            rx_free[rx_nfree++] = (u16)n;
        }
        rx_refill();
        if (done >= budget)
            return done;            /* rx_work stays set: more to do */
        /* Drained: interrupts back on, unless entries slipped in
         * meanwhile (then go round again, as virtnet_poll does). */
        u32 flags = irq_save();
        rx_work = 0;
        int quiet = vq_enable_cb(rxq);
        if (!quiet) {
            vq_disable_cb(rxq);
            rx_work = 1;
        }
        irq_restore(flags);
        if (quiet)
            return done;
    }
}

/* A large frame into a free large buffer: 0, or -1 when none is free or
 * the ring has no room. */
static int xmit_large(const u8 *frame, unsigned len, const u8 *hdr)
{
    unsigned b = 0;
    while (b < NLARGE && !large_free[b])
        b++;
    if (b == NLARGE)
        return -1;
    struct vseg seg[1 + LARGE_PAGES];
    unsigned nseg = 0, at = 0;
    memcpy(large[b][0], hdr, VNET_HDR_LEN);
    memset(large[b][0] + VNET_HDR_LEN, 0, MRG_HDR_LEN - VNET_HDR_LEN);     /* num_buffers: 0 */
    seg[nseg++] = (struct vseg){ __pa(large[b][0]), hlen, 0 };
    for (unsigned p = 0; at < len; p++) {
        unsigned off = p ? 0 : SLOT_FRAME, n = PAGE_SIZE - off < len - at ? PAGE_SIZE - off : len - at;
        memcpy(large[b][p] + off, frame + at, n);
        seg[nseg++] = (struct vseg){ __pa(large[b][p] + off), n, 0 };
        at += n;
    }
    if (vq_add(txq, seg, nseg, 0, token_of(NSLOTS + b)) < 0)
        return -1;
    large_free[b] = 0;
    vnet_stats.tx_large++;
    return 0;
}

static int xmit_slot(const void *frame, unsigned len, const u8 *hdr)
{
    if (!tx_nfree)
        return -1;
    unsigned n = tx_free[tx_nfree - 1];
    u8 *s = tx_slot[n];
    memset(s, 0, MRG_HDR_LEN);      /* no checksum or GSO offload; num_buffers 0 */
    if (hdr)
        memcpy(s, hdr, VNET_HDR_LEN);
    memcpy(s + SLOT_FRAME, frame, len);
    struct vseg seg[2] = {
        { __pa(s), hlen, 0 },
        { __pa(s + SLOT_FRAME), len, 0 },
    };
    if (vq_add(txq, seg, 2, 0, token_of(n)) < 0)
        return -1;
    tx_nfree--;
    return 0;
}

/* One frame into the ring, or -1 when there is no room. */
static int xmit(const void *frame, unsigned len, const u8 *hdr)
{
    tx_reclaim();
    if (vnet_tx_hdr_on)
        hdr = vnet_tx_hdr;
    if (len > VNET_FRAME_MAX) {
        if (xmit_large(frame, len, hdr) < 0)
            return -1;
    } else if (xmit_slot(frame, len, hdr) < 0) {
        return -1;
    }
    vq_kick(txq);
    vnet_stats.tx_frames++;
    vnet_stats.tx_bytes += len;
    /* Nearly full: have the host tell us when buffers come back. If some
     * already have, take them and leave the interrupt off. */
    if (txq->num_free < TX_LOW && !vq_enable_cb(txq)) {
        tx_reclaim();
        if (txq->num_free >= TX_LOW)
            vq_disable_cb(txq);
    }
    return 0;
}

int vnet_send(const void *frame, unsigned len)
{
    return vnet_send_hdr(frame, len, 0);
}

int vnet_send_hdr(const void *frame, unsigned len, const u8 hdr[VNET_HDR_LEN])
{
    if (!txq || len > (hdr && hdr[1] == VNET_GSO_TCPV4 && vnet_tso_offload() ? VNET_LARGE_MAX : VNET_FRAME_MAX))
        return -1;
    u64 deadline = 0;
    for (;;) {
        irq_disable();
        int r = xmit(frame, len, hdr);
        if (r == 0) {
            irq_enable();
            return 0;
        }
        /* Full: wait for the TX interrupt (on since the queue got nearly
         * full; enabling it again is harmless). */
        if (!deadline) {
            vnet_stats.tx_full++;
            deadline = rdtsc() + us_to_cycles(TX_WAIT_US);
        } else if (rdtsc() > deadline) {
            vnet_stats.tx_timeouts++;
            irq_enable();
            return -1;
        }
        tx_woken = 0;
        if (!vq_enable_cb(txq)) {
            irq_enable();           /* completions arrived: retry now */
            continue;
        }
        halt_until(deadline);       /* any interrupt will do: retry */
    }
}

void vnet_wait(u64 deadline_tsc)
{
    if (rdtsc() >= deadline_tsc)
        return;
    irq_disable();
    if (rx_work) {
        irq_enable();
        return;
    }
    halt_until(deadline_tsc);
}
