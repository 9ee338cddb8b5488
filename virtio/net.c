/* virtio net (lguest-abi.md 9.5) on the switch: queue 0 receives, queue 1
 * transmits; no offloads are offered, so every frame crosses whole with a
 * zero 10-byte header in front. Frames for a guest that has no receive
 * buffer wait in a small backlog; the guest refills from its poll routine
 * and kicks, which drains it. */
#include <string.h>
#include "virtio/device.h"
#include "virtio/net.h"
#include "virtio/netswitch.h"
#include "kernel/lguest/guest.h"
#include "kernel/frames.h"

#define RXQ 0
#define TXQ 1
#define HDR 10
#define BACKLOG 64

struct backlog {
    uint32_t head, tail;
    uint16_t len[BACKLOG];
    uint8_t frame[BACKLOG][ETH_MAX];
};

/* Made for a guest the first time a frame has to wait for it (most never
 * need one), from the frame allocator, and kept across its restarts. */
static struct backlog *backlogs[MAX_GUESTS];
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

/* Into the next receive buffer; false when there is none. */
static bool put(struct guest *g, struct vdevice *d, const uint8_t *frame, uint32_t len)
{
    if (vdev_pop(g, d, RXQ, &req) <= 0)
        return false;
    if (req.nread) {
        vdev_broken(g, d, "queue 0: receive buffer the device cannot write");
        return false;
    }
    static const uint8_t zero[HDR];
    if (req.write_len < HDR + len) {        /* a buffer too small for it: the frame is lost */
        g->net_stats.rx_dropped++;
        vdev_push(g, d, RXQ, req.head, 0);
        return true;
    }
    vring_copy_to(&g->mem, &req, 0, zero, HDR);
    vring_copy_to(&g->mem, &req, HDR, frame, len);
    vdev_push(g, d, RXQ, req.head, HDR + len);
    g->net_stats.rx_packets++;
    g->net_stats.rx_bytes += len;
    return true;
}

static void drain(struct guest *g, struct vdevice *d)
{
    struct backlog *b = backlog_of(g, false);
    bool any = false;
    while (b && b->head != b->tail) {
        uint32_t i = b->tail % BACKLOG;
        if (!put(g, d, b->frame[i], b->len[i]))
            break;
        b->tail++;
        any = true;
    }
    if (any)
        vdev_signal(g, d, RXQ);
}

void vnet_receive(struct guest *g, const uint8_t *frame, uint32_t len)
{
    struct vdevice *d = guest_alive(g) ? vbus_active(g, VIRTIO_ID_NET) : 0;
    if (!d) {
        g->net_stats.rx_dropped++;
        return;
    }
    struct backlog *b = backlog_of(g, false);
    if ((!b || b->head == b->tail) && put(g, d, frame, len)) {
        vdev_signal(g, d, RXQ);
        return;
    }
    if (!b)
        b = backlog_of(g, true);
    if (!b || b->head - b->tail == BACKLOG) {
        g->net_stats.rx_dropped++;
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
    while ((got = vdev_pop(g, d, TXQ, &req)) > 0) {
        any = true;
        uint32_t len = req.read_len - (req.read_len >= HDR ? HDR : req.read_len);
        if (req.read_len < HDR + ETH_MIN || len > ETH_MAX) {
            g->net_stats.tx_dropped++;      /* not a frame we can put on a wire */
            vdev_push(g, d, TXQ, req.head, 0);
            continue;
        }
        vring_copy_from(&g->mem, &req, HDR, frame_buf, len);
        vdev_push(g, d, TXQ, req.head, 0);
        g->net_stats.tx_packets++;
        g->net_stats.tx_bytes += len;
        netsw_input(port_of(g), frame_buf, len);
        if (!guest_alive(g))
            return;
    }
    if (any)
        vdev_signal(g, d, TXQ);
}

static void kick(struct guest *g, struct vdevice *d, uint32_t queue)
{
    if (queue == TXQ)
        transmit(g, d);
    else
        drain(g, d);
}

static void reset(struct guest *g, struct vdevice *d)
{
    struct backlog *b = backlog_of(g, false);
    if (b)
        b->head = b->tail = 0;
    netsw_forget(port_of(g));
}

const struct vdev_ops vnet_ops = { "net", 0, reset, kick };

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
