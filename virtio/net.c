/* virtio net (lguest-abi.md 9.5) on the switch: queue 0 receives, queue 1
 * transmits; no offloads are offered, so every frame crosses whole with a
 * zero header in front (10 bytes on the lguest bus; 12 over virtio-pci,
 * where VERSION_1 adds num_buffers, set to 1); a transmitted header that asks for work
 * (flags or gso_type set) is dropped and counted. Frames for a guest that has no receive
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
#include "drivers/e1000.h"
#include "kernel/lguest/guest.h"
#include "kernel/clock.h"
#include "kernel/frames.h"

#define RXQ 0
#define TXQ 1
#define HDR_LEGACY 10
#define HDR_MAX 12
#define BACKLOG 64
#define HOLD_NS 50000000ull     /* a receiver that takes nothing this long loses frames instead */

struct backlog {
    uint32_t head, tail;
    uint16_t len[BACKLOG];
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
static uint8_t frame_buf[ETH_MAX];

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

/* The virtio-net header's size: virtio 1.0 (a 4.x guest's virtio-pci,
 * VERSION_1 always negotiated there) has num_buffers even without
 * MRG_RXBUF. */
static uint32_t hdr_len(const struct vdevice *d)
{
    return d->modern.on ? HDR_MAX : HDR_LEGACY;
}

/* Into the next receive buffer; false when there is none. */
static bool put(struct guest *g, struct vdevice *d, const uint8_t *frame, uint32_t len)
{
    if (vdev_pop(g, d, RXQ, &req) <= 0)
        return false;
    if (req.nread) {
        vdev_broken(g, d, "queue 0: receive buffer the device cannot write");
        return false;
    }
    /* flags and gso_type 0; with VERSION_1, num_buffers 1 (bytes 10-11) */
    static const uint8_t hdr[HDR_MAX] = { [10] = 1 };
    uint32_t hlen = hdr_len(d);
    rx_signal[port_of(g) - 1] = true;
    if (req.write_len < hlen + len) {        /* a buffer too small for it: the frame is lost */
        g->net_stats.rx_too_small++;
        vdev_push(g, d, RXQ, req.head, 0);
        return true;
    }
    vring_copy_to(&g->mem, &req, 0, hdr, hlen);
    vring_copy_to(&g->mem, &req, hlen, frame, len);
    vdev_push(g, d, RXQ, req.head, hlen + len);
    g->net_stats.rx_packets++;
    g->net_stats.rx_bytes += len;
    return true;
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
        if (!put(g, d, b->frame[i], b->len[i]))
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

void vnet_receive(struct guest *g, const uint8_t *frame, uint32_t len)
{
    struct vdevice *d = guest_alive(g) ? vbus_active(g, VIRTIO_ID_NET) : 0;
    if (!d) {
        g->net_stats.rx_not_running++;
        return;
    }
    struct backlog *b = backlog_of(g, false);
    if ((!b || b->head == b->tail) && put(g, d, frame, len))
        return;
    if (!b)
        b = backlog_of(g, true);
    if (!b || b->head - b->tail == BACKLOG) {
        g->net_stats.rx_ring_full++;
        return;
    }
    uint32_t i = b->head++ % BACKLOG;
    memcpy(b->frame[i], frame, len);
    b->len[i] = (uint16_t)len;
}

static void transmit(struct guest *g, struct vdevice *d)
{
    int got;
    bool any = false;
    uint32_t me = port_of(g), hlen = hdr_len(d);
    while ((got = vdev_pop(g, d, TXQ, &req)) > 0) {
        uint32_t len = req.read_len - (req.read_len >= hlen ? hlen : req.read_len);
        if (req.read_len < hlen + ETH_MIN || len > ETH_MAX) {
            g->net_stats.tx_bad++;          /* not a frame we can put on a wire */
            vdev_push(g, d, TXQ, req.head, 0);
            any = true;
            continue;
        }
        uint8_t hdr[HDR_MAX];
        vring_copy_from(&g->mem, &req, 0, hdr, hlen);
        if (hdr[0] || hdr[1]) {
            /* flags (NEEDS_CSUM...) or gso_type: work no feature allows,
             * so the frame cannot be put on a wire as it is */
            g->net_stats.tx_bad_header++;
            vdev_push(g, d, TXQ, req.head, 0);
            any = true;
            continue;
        }
        vring_copy_from(&g->mem, &req, hlen, frame_buf, len);
        uint32_t dest;
        if (!forced[me - 1] && !netsw_room(me, frame_buf, &dest)) {
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
        netsw_input(me, frame_buf, len);
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
