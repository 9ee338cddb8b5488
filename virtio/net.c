/* virtio net (lguest-abi.md 9.5) on the switch: queue 0 receives, queue 1
 * transmits, every frame with the 10-byte header in front. Offloads
 * (virtio/net_offload.h): a transmitted header is checked against the
 * frame and the features the guest accepted, and a bad one drops that
 * frame, counted by its reason; a partial checksum or a large TCP segment
 * goes through the switch with its header, and each output does the work
 * its port cannot (net_wire.c for the e1000; here, for a receiving guest
 * without GUEST_CSUM the checksum is completed, and a large segment is cut
 * unless it took GUEST_TSO4 and has the buffers for it; with MRG_RXBUF
 * the header is 12 bytes and a frame spans buffers; over virtio-pci, with
 * VERSION_1, it is 12 bytes too, num_buffers 1 without MRG_RXBUF). Frames for a guest that has no receive
 * buffer wait in a small backlog; the guest refills from its poll routine
 * and kicks, which drains it.
 *
 * Backpressure rather than loss: a transmitted frame unicast to a port
 * whose ring is full (the e1000's TX ring, or a guest without buffers or
 * backlog room) is given back to the guest's ring (vring_unpop) and the
 * queue is held until that port has room (vnet_room); the guest sees its
 * TX ring fill and waits, as for a slow NIC. Only flooded frames are
 * dropped where there is no room, counted per guest and reason. */
#include <string.h>
#include "virtio/device.h"
#include "virtio/net.h"
#include "virtio/netswitch.h"
#include "virtio/net_offload.h"
#include "drivers/e1000.h"
#include "kernel/lguest/guest.h"
#include "kernel/clock.h"
#include "kernel/frames.h"

#define RXQ 0
#define TXQ 1
#define HDR 10                  /* the header without num_buffers, as kept and passed here */
#define HDR_MRG 12              /* with MRG_RXBUF, in both directions */
#define BACKLOG 64
#define HOLD_NS 50000000ull     /* a receiver that takes nothing this long loses frames instead */

struct backlog {
    uint32_t head, tail;
    uint16_t len[BACKLOG];
    uint8_t hdr[BACKLOG][HDR];
    uint8_t frame[BACKLOG][ETH_MAX];
};

/* Made for a guest the first time a frame has to wait for it (most never
 * need one), from the frame allocator, and kept across its restarts. */
static struct backlog *backlogs[MAX_GUESTS];
/* The port + 1 a guest's TX waits for room on (0: none), and since when. */
static uint32_t held_on[MAX_GUESTS];
static uint64_t held_since[MAX_GUESTS];
static bool forced[MAX_GUESTS];
static bool tx_watch[MAX_GUESTS];       /* EVENT_IDX TX: looked at after every exit */         /* held too long: this batch goes without room checks */
static bool rx_signal[MAX_GUESTS];      /* used RX entries not yet signalled */
static uint32_t nheld;
static struct vring_req req;
static uint8_t frame_buf[VNET_GSO_MAX];      /* a frame being transmitted */
static uint8_t seg_buf[ETH_MAX];             /* a segment or completed copy being received */

_Static_assert(NET_BAD_REASONS == VNET_BAD_N, "one counter per reason");

static uint32_t port_of(const struct guest *g)
{
    return (uint32_t)(g - guests) + 1;
}

static struct backlog *backlog_of(const struct guest *g, bool make)
{
    struct backlog **b = &backlogs[port_of(g) - 1];
    if (!*b && make) {
        uint32_t phys = frames_alloc((sizeof(struct backlog) + 4095) / 4096, 1);
        if (phys) {
            *b = (struct backlog *)phys;
            (*b)->head = (*b)->tail = 0;
        }
    }
    return *b;
}

/* The header's size on this device's rings: 12 bytes (num_buffers after
 * the 10) with MRG_RXBUF, and always over virtio-pci, where a 4.x guest
 * negotiates VERSION_1 (virtio 1.0 has num_buffers even without
 * MRG_RXBUF: then it is 1). */
static uint32_t hdr_size(const struct vdevice *d)
{
    return (d->features & 1u << VNET_F_MRG_RXBUF) || d->modern.on ? HDR_MRG : HDR;
}

static bool merging(const struct vdevice *d)
{
    return d->features & 1u << VNET_F_MRG_RXBUF;
}

enum put { PUT_OK, PUT_NONE, PUT_SMALL };

/* A frame over several buffers (MRG_RXBUF): first the buffers it needs are
 * counted and given back, then taken again and filled, the first one's
 * header saying how many (num_buffers). */
static enum put put_merged(struct guest *g, struct vdevice *d, const uint8_t *hdr, const uint8_t *frame,
                           uint32_t len)
{
    struct vring *rq = &d->vq[RXQ].ring;
    uint32_t n = 0, room = 0;
    while (room < HDR_MRG + len) {
        int r = vdev_pop(g, d, RXQ, &req);
        if (r < 0)
            return PUT_NONE;                /* malformed: the device is stopped */
        if (r == 0) {
            for (; n; n--)
                vring_unpop(&g->mem, rq);
            return PUT_NONE;                /* not enough yet: it waits */
        }
        n++;
        if (req.nread) {
            vdev_broken(g, d, "queue 0: receive buffer the device cannot write");
            return PUT_NONE;
        }
        if (n == 1 && req.write_len < HDR_MRG) {
            vring_unpop(&g->mem, rq);
            return PUT_SMALL;
        }
        room += req.write_len;
    }
    for (uint32_t i = n; i; i--)
        vring_unpop(&g->mem, rq);
    uint8_t h[HDR_MRG];
    memcpy(h, hdr, HDR);
    h[10] = (uint8_t)n;
    h[11] = (uint8_t)(n >> 8);
    for (uint32_t i = 0, at = 0; i < n; i++) {
        if (vdev_pop(g, d, RXQ, &req) <= 0)
            return PUT_OK;                  /* cannot happen: they were there a moment ago */
        /* the guest may have changed the buffers meanwhile (another CPU):
         * only the sizes seen now count */
        uint32_t off = i ? 0 : HDR_MRG, here = req.write_len > off ? req.write_len - off : 0;
        uint32_t w = here < len - at ? here : len - at;
        if (!i)
            vring_copy_to(&g->mem, &req, 0, h, HDR_MRG);
        vring_copy_to(&g->mem, &req, off, frame + at, w);
        vdev_push(g, d, RXQ, req.head, off + w);
        at += w;
    }
    return PUT_OK;
}

/* Into the next receive buffer(s). PUT_NONE: there is none (or too few
 * with MRG_RXBUF); PUT_SMALL: a large segment does not fit the buffer (it
 * is given back, to be cut instead). A frame of the MTU that does not fit
 * is lost, counted. */
static enum put put(struct guest *g, struct vdevice *d, const uint8_t *hdr, const uint8_t *frame, uint32_t len)
{
    enum put r;
    if (merging(d)) {
        r = put_merged(g, d, hdr, frame, len);
        if (r == PUT_NONE)
            return r;
        rx_signal[port_of(g) - 1] = true;
        if (r == PUT_SMALL && len <= ETH_MAX) {
            vdev_pop(g, d, RXQ, &req);      /* given back above: it goes, empty */
            g->net_stats.rx_too_small++;
            vdev_push(g, d, RXQ, req.head, 0);
            return PUT_OK;
        }
    } else {
        if (vdev_pop(g, d, RXQ, &req) <= 0)
            return PUT_NONE;
        if (req.nread) {
            vdev_broken(g, d, "queue 0: receive buffer the device cannot write");
            return PUT_NONE;
        }
        rx_signal[port_of(g) - 1] = true;
        uint32_t hs = hdr_size(d);
        if (req.write_len < hs + len) {
            if (len > ETH_MAX) {
                vring_unpop(&g->mem, &d->vq[RXQ].ring);
                return PUT_SMALL;
            }
            g->net_stats.rx_too_small++;    /* a buffer too small for it: the frame is lost */
            vdev_push(g, d, RXQ, req.head, 0);
            return PUT_OK;
        }
        uint8_t h[HDR_MRG] = { [10] = 1 };     /* num_buffers 1, when there is one */
        memcpy(h, hdr, HDR);
        vring_copy_to(&g->mem, &req, 0, h, hs);
        vring_copy_to(&g->mem, &req, hs, frame, len);
        vdev_push(g, d, RXQ, req.head, hs + len);
        r = PUT_OK;
    }
    if (r == PUT_OK) {
        g->net_stats.rx_packets++;
        g->net_stats.rx_bytes += len;
    }
    return r;
}

void vnet_flush_rx(void)
{
    for (uint32_t i = 0; i < nguests; i++) {
        if (!rx_signal[i])
            continue;
        rx_signal[i] = false;
        struct vdevice *d = vbus_active(&guests[i], VIRTIO_ID_NET);
        if (d)
            vdev_signal(&guests[i], d, RXQ);
    }
}

static void drain(struct guest *g, struct vdevice *d)
{
    struct backlog *b = backlog_of(g, false);
    while (b && b->head != b->tail) {
        uint32_t i = b->tail % BACKLOG;
        if (put(g, d, b->hdr[i], b->frame[i], b->len[i]) != PUT_OK)
            break;
        b->tail++;
    }
    vnet_flush_rx();
    netsw_room_on(port_of(g));
}

bool vnet_has_room(struct guest *g)
{
    struct vdevice *d = guest_alive(g) ? vbus_active(g, VIRTIO_ID_NET) : 0;
    if (!d)
        return true;            /* it will be dropped as not running: holding would not help */
    struct backlog *b = backlog_of(g, false);
    if (b && b->head != b->tail)
        return b->head - b->tail < BACKLOG;
    return true;                /* a buffer, or the backlog (made on demand) */
}

static void receive_one(struct guest *g, struct vdevice *d, const uint8_t *hdr, const uint8_t *frame,
                        uint32_t len)
{
    struct backlog *b = backlog_of(g, false);
    if ((!b || b->head == b->tail) && put(g, d, hdr, frame, len) == PUT_OK)
        return;
    if (!b)
        b = backlog_of(g, true);
    if (!b || b->head - b->tail == BACKLOG) {
        g->net_stats.rx_ring_full++;
        return;
    }
    uint32_t i = b->head++ % BACKLOG;
    memcpy(b->frame[i], frame, len);
    memcpy(b->hdr[i], hdr, HDR);
    b->len[i] = (uint16_t)len;
}

/* What g's features let it take: a large segment is cut here (GUEST_TSO4
 * is not offered); a partial checksum goes with its header to a guest
 * that negotiated GUEST_CSUM, else completed here; a frame the e1000
 * checked is marked DATA_VALID for such a guest. */
void vnet_receive(struct guest *g, struct netsw_pkt *p)
{
    struct vdevice *d = guest_alive(g) ? vbus_active(g, VIRTIO_ID_NET) : 0;
    if (!d) {
        g->net_stats.rx_not_running++;
        return;
    }
    uint8_t hdr[HDR] = { 0 };
    bool guest_csum = d->features & 1u << VNET_F_GUEST_CSUM;
    if (p->h.gso_type == VNET_GSO_TCPV4) {
        struct backlog *b = backlog_of(g, false);
        if ((d->features & 1u << VNET_F_GUEST_TSO4) && guest_csum && (!b || b->head == b->tail)) {
            /* whole, as it came: the receiver's stack takes it as one */
            struct vnet_hdr h = { VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, p->gso.hdrs, p->gso.mss,
                                  p->h.csum_start, p->h.csum_offset };
            vnet_hdr_write(&h, hdr);
            if (put(g, d, hdr, p->frame, p->len) == PUT_OK) {
                g->net_stats.rx_tso_passed++;
                return;
            }
            memset(hdr, 0, HDR);            /* no room for it whole now: its segments wait */
        }
        g->net_stats.rx_tso_cut++;
        for (uint32_t i = 0; i < p->gso.segs && guest_alive(g); i++)
            receive_one(g, d, hdr, seg_buf, vnet_tso_segment(p->frame, &p->gso, i, seg_buf));
        return;
    }
    if (p->h.flags & VNET_HDR_F_NEEDS_CSUM) {
        if (guest_csum) {
            struct vnet_hdr h = { VNET_HDR_F_NEEDS_CSUM, 0, 0, 0, p->h.csum_start, p->h.csum_offset };
            vnet_hdr_write(&h, hdr);
            g->net_stats.rx_csum_passed++;
            receive_one(g, d, hdr, p->frame, p->len);
            return;
        }
        memcpy(seg_buf, p->frame, p->len);
        vnet_csum_complete(seg_buf, p->len, p->h.csum_start, p->h.csum_offset);
        g->net_stats.rx_csum_done++;
        receive_one(g, d, hdr, seg_buf, p->len);
        return;
    }
    if (p->csum_ok && guest_csum) {
        hdr[0] = VNET_HDR_F_DATA_VALID;
        g->net_stats.rx_data_valid++;
    }
    receive_one(g, d, hdr, p->frame, p->len);
}

static void transmit(struct guest *g, struct vdevice *d)
{
    int got;
    bool any = false;
    uint32_t me = port_of(g);
    while ((got = vdev_pop(g, d, TXQ, &req)) > 0) {
        uint32_t hs = hdr_size(d);
        uint32_t len = req.read_len - (req.read_len >= hs ? hs : req.read_len);
        if (req.read_len < hs + ETH_MIN || len > VNET_GSO_MAX) {
            g->net_stats.tx_bad++;          /* not a frame we can put on a wire */
            vdev_push(g, d, TXQ, req.head, 0);
            any = true;
            continue;
        }
        uint8_t hdr[HDR];
        struct netsw_pkt p = { frame_buf, len, { 0 }, { 0 }, false };
        vring_copy_from(&g->mem, &req, 0, hdr, HDR);
        vring_copy_from(&g->mem, &req, hs, frame_buf, len);     /* num_buffers (MRG_RXBUF) unused on TX */
        vnet_hdr_parse(hdr, &p.h);
        enum vnet_bad why = vnet_hdr_check(&p.h, frame_buf, len, d->features, &p.gso);
        if (why != VNET_OK) {
            /* only this frame: the guest's device and everyone else go on */
            g->net_stats.tx_bad_header++;
            g->net_stats.tx_bad_why[why]++;
            vdev_push(g, d, TXQ, req.head, 0);
            any = true;
            continue;
        }
        uint32_t dest;
        if (!forced[me - 1] && !netsw_room(me, &p, &dest)) {
            /* no room where it goes: give it back and wait for room there */
            vring_unpop(&g->mem, &d->vq[TXQ].ring);
            nheld++;
            held_on[me - 1] = dest + 1;
            held_since[me - 1] = clock_ns();
            g->net_stats.tx_held++;
            break;
        }
        vdev_push(g, d, TXQ, req.head, 0);
        any = true;
        g->net_stats.tx_packets++;
        g->net_stats.tx_bytes += len;
        netsw_input(me, &p);
        if (!guest_alive(g))
            break;
    }
    netsw_flush();              /* one e1000 tail write for the batch */
    vnet_flush_rx();
    if (any && guest_alive(g))
        vdev_signal(g, d, TXQ);
}

static void resume(uint32_t i, bool force)
{
    held_on[i] = 0;
    nheld--;
    struct guest *g = &guests[i];
    struct vdevice *d = guest_alive(g) ? vbus_active(g, VIRTIO_ID_NET) : 0;
    if (d) {
        forced[i] = force;
        transmit(g, d);
        forced[i] = false;
    }
}

void vnet_room(uint32_t port)
{
    for (uint32_t i = 0; nheld && i < nguests; i++)
        if (held_on[i] == port + 1)
            resume(i, false);
}

/* A receiver that posts no buffers must not stall its senders' traffic to
 * everyone else: after HOLD_NS what is queued goes, and what finds no room
 * is dropped (counted at the receiver as ring full). */
void vnet_check_held(void)
{
    if (!nheld)
        return;
    uint64_t now = clock_ns();
    for (uint32_t i = 0; nheld && i < nguests; i++)
        if (held_on[i] && now - held_since[i] > HOLD_NS)
            resume(i, true);
}

static void kick(struct guest *g, struct vdevice *d, uint32_t queue)
{
    if (queue == TXQ) {
        if (!held_on[port_of(g) - 1])
            transmit(g, d);     /* else: it goes on when the port it waits for has room */
    } else {
        drain(g, d);
    }
}

static void release(struct guest *g)
{
    uint32_t i = port_of(g) - 1;
    if (held_on[i]) {
        held_on[i] = 0;
        nheld--;
    }
}

static void reset(struct guest *g, struct vdevice *d)
{
    tx_watch[port_of(g) - 1] = false;
    struct backlog *b = backlog_of(g, false);
    if (b)
        b->head = b->tail = 0;
    rx_signal[port_of(g) - 1] = false;
    release(g);
    netsw_forget(port_of(g));
    netsw_room_on(port_of(g));  /* whoever waited for this guest: its frames go (and are counted) now */
}

/* With EVENT_IDX a guest streaming frames need not kick for each: the TX
 * ring asks for a kick only every TX_KICK_EVERY frames, and the rest are
 * taken at the guest's next exit of any kind (vnet_exit: a halt, a
 * hypercall, a trap or an interrupt; every guest has a timer), one batch
 * and one e1000 tail write for all of them. */
#define TX_KICK_EVERY 32

static void start(struct guest *g, struct vdevice *d)
{
    release(g);
    struct vring *tx = &d->vq[TXQ].ring;
    tx_watch[port_of(g) - 1] = tx->event_idx;
    if (tx->event_idx)
        tx->event_ahead = TX_KICK_EVERY - 1;
}

void vnet_exit(struct guest *g)
{
    uint32_t i = port_of(g) - 1;
    if (!tx_watch[i] || held_on[i] || !guest_alive(g))
        return;
    struct vdevice *d = vbus_active(g, VIRTIO_ID_NET);
    if (d && vdev_has_avail(g, d, TXQ))
        transmit(g, d);
}

bool vnet_watching(const struct guest *g)
{
    return tx_watch[port_of(g) - 1];
}

const struct vdev_ops vnet_ops = { "net", start, reset, kick };

bool vnet_link_up(void)
{
    return e1000_ready() && e1000_link_up();
}

void vnet_link_changed(void)
{
    for (uint32_t i = 0; i < nguests; i++)
        if (guest_alive(&guests[i]))
            vbus_config_changed(&guests[i], VIRTIO_ID_NET);
}

void vnet_default_mac(const char *name, uint8_t mac[6])
{
    uint32_t h = 2166136261u;               /* FNV-1a */
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    mac[0] = 0x02;
    mac[1] = 0x4c;
    mac[2] = 0x47;
    mac[3] = (uint8_t)(h >> 16);
    mac[4] = (uint8_t)(h >> 8);
    mac[5] = (uint8_t)h;
}
