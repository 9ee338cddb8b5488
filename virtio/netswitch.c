/* The learning switch: see netswitch.h. Small and linear: a handful of
 * ports and a table of 64 addresses. */
#include <string.h>
#include "virtio/netswitch.h"
#include "virtio/net.h"
#include "drivers/e1000.h"
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

static void output(uint32_t port, const uint8_t *frame, uint32_t len)
{
    if (port == NETSW_WIRE) {
        if (e1000_send(frame, len) == 0)
            netsw_stats.to_wire++;
        else
            netsw_stats.dropped++;
        return;
    }
    if (port - 1 < nguests)
        vnet_receive(&guests[port - 1], frame, len);
}

void netsw_input(uint32_t port, const uint8_t *frame, uint32_t len)
{
    if (len < ETH_MIN || len > ETH_MAX) {
        netsw_stats.dropped++;
        return;
    }
    learn(frame + 6, port);
    const struct entry *e = (frame[0] & 1) ? 0 : lookup(frame);
    if (e) {
        if (e->port != port) {  /* else: it is already where it is going */
            netsw_stats.switched++;
            output(e->port, frame, len);
        }
        return;
    }
    netsw_stats.flooded++;
    if (port != NETSW_WIRE && e1000_ready())
        output(NETSW_WIRE, frame, len);
    for (uint32_t i = 0; i < nguests; i++)
        if (i + 1 != port && vbus_active(&guests[i], VIRTIO_ID_NET))
            output(i + 1, frame, len);
}

static void from_wire(const uint8_t *frame, uint32_t len, void *ctx)
{
    netsw_stats.from_wire++;
    netsw_input(NETSW_WIRE, frame, len);
}

void netsw_poll_wire(void)
{
    if (!e1000_pending)
        return;
    e1000_pending = false;
    /* a bounded batch; if more wait, come back on the next pass */
    if (e1000_poll(from_wire, 0, 64) == 64)
        e1000_pending = true;
}
