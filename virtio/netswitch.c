/* The learning switch: see netswitch.h. Small and linear: a handful of
 * ports and a table of 64 addresses. */
#include <string.h>
#include "virtio/netswitch.h"
#include "virtio/net.h"
#include "drivers/e1000.h"
#include "kernel/clock.h"
#include "kernel/lguest/guest.h"

#define TABLE 64

struct entry {
    uint8_t mac[6];
    uint32_t port;
    uint32_t stamp;             /* 0 = free */
};

static struct entry table[TABLE];
static uint32_t clock;
struct netsw_stats netsw_stats;

static struct entry *lookup(const uint8_t *mac)
{
    for (uint32_t i = 0; i < TABLE; i++)
        if (table[i].stamp && memcmp(table[i].mac, mac, 6) == 0)
            return &table[i];
    return 0;
}

static void learn(const uint8_t *mac, uint32_t port)
{
    if (mac[0] & 1)             /* a group address is never a source */
        return;
    struct entry *e = lookup(mac);
    if (!e) {
        e = &table[0];          /* the free or least recently seen slot */
        for (uint32_t i = 1; i < TABLE && e->stamp; i++)
            if (table[i].stamp < e->stamp)
                e = &table[i];
        memcpy(e->mac, mac, 6);
    }
    e->port = port;
    e->stamp = ++clock;
}

void netsw_forget(uint32_t port)
{
    for (uint32_t i = 0; i < TABLE; i++)
        if (table[i].port == port)
            table[i].stamp = 0;
}

static struct guest *guest_of(uint32_t port)
{
    return port != NETSW_WIRE && port - 1 < nguests ? &guests[port - 1] : 0;
}

static void output(uint32_t from, uint32_t port, struct netsw_pkt *p)
{
    struct guest *src = guest_of(from);
    if (port == NETSW_WIRE) {
        if (!e1000_ready() || !e1000_link_up()) {
            netsw_stats.no_uplink++;
            if (src)
                src->net_stats.tx_no_uplink++;
        } else if (net_wire_send(p, src) == 0) {
            netsw_stats.to_wire++;
        } else {
            netsw_stats.wire_full++;
            if (src)
                src->net_stats.tx_wire_full++;
        }
        return;
    }
    if (guest_of(port))
        vnet_receive(guest_of(port), p);
}

bool netsw_room(uint32_t port, const struct netsw_pkt *p, uint32_t *dest)
{
    const uint8_t *frame = p->frame;
    if (frame[0] & 1)
        return true;            /* flooded: each port takes it if it can */
    const struct entry *e = lookup(frame);
    if (!e || e->port == port)
        return true;
    *dest = e->port;
    if (e->port == NETSW_WIRE)
        return !e1000_ready() || !e1000_link_up() || e1000_tx_has_room(net_wire_need(p));
    return !guest_of(e->port) || vnet_has_room(guest_of(e->port));
}

void netsw_input(uint32_t port, struct netsw_pkt *p)
{
    const uint8_t *frame = p->frame;
    uint32_t len = p->len;
    if (len < ETH_MIN || len > (p->h.gso_type ? VNET_GSO_MAX : ETH_MAX)) {
        netsw_stats.bad_len++;
        return;
    }
    learn(frame + 6, port);
    const struct entry *e = (frame[0] & 1) ? 0 : lookup(frame);
    if (e) {
        if (e->port != port) {  /* else: it is already where it is going */
            netsw_stats.switched++;
            output(port, e->port, p);
        }
        return;
    }
    netsw_stats.flooded++;
    if (port != NETSW_WIRE)
        output(port, NETSW_WIRE, p);
    for (uint32_t i = 0; i < nguests; i++)
        if (i + 1 != port && vbus_active(&guests[i], VIRTIO_ID_NET))
            output(port, i + 1, p);
}

void netsw_flush(void)
{
    e1000_tx_flush();
}

/* The wire held for a guest without room (its port + 1, 0: none), since
 * when: frames wait in the e1000's ring, at most HOLD_NS, after which what
 * finds no room is dropped (counted at the guest as ring full). */
#define HOLD_NS 50000000ull
static uint32_t wire_held_on;
static uint64_t wire_held_since;

static bool from_wire(const uint8_t *frame, uint32_t len, void *ctx)
{
    uint32_t dest;
    struct netsw_pkt p = { (uint8_t *)frame, len, { 0 }, { 0 }, e1000_rx_csum_ok() };
    if (len >= ETH_MIN && !netsw_room(NETSW_WIRE, &p, &dest)) {
        uint64_t now = clock_ns();
        if (wire_held_on != dest + 1) {
            wire_held_on = dest + 1;
            wire_held_since = now;
        }
        if (now - wire_held_since < HOLD_NS) {
            netsw_stats.wire_held++;
            return false;
        }
    }
    wire_held_on = 0;
    netsw_stats.from_wire++;
    netsw_input(NETSW_WIRE, &p);
    return true;
}

void netsw_room_on(uint32_t port)
{
    if (wire_held_on == port + 1)
        e1000_pending = true;   /* the frames waiting in the NIC's ring go on at the next poll */
    vnet_room(port);
}

void netsw_poll_wire(void)
{
    vnet_check_held();
    if (wire_held_on && clock_ns() - wire_held_since >= HOLD_NS)
        e1000_pending = true;
    if (!e1000_pending)
        return;
    e1000_pending = false;
    /* a bounded batch; if more wait, come back on the next pass */
    if (e1000_poll(from_wire, 0, 64) == 64)
        e1000_pending = true;
    vnet_flush_rx();
    if (e1000_link_changed())
        vnet_link_changed();
    if (e1000_tx_room())
        vnet_room(NETSW_WIRE);
}
