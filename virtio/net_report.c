/* The monitor's `net`: the uplink and why there is none, the NICs found,
 * the e1000's and the switch's counters, and each guest's frames with
 * every drop by its reason. */
#include <stdio.h>
#include "virtio/device.h"
#include "virtio/net.h"
#include "virtio/netswitch.h"
#include "virtio/net_offload.h"
#include "drivers/e1000.h"
#include "kernel/lguest/guest.h"

#define U(x) ((unsigned long)(x))

static void uplink(void)
{
    if (!e1000_ready()) {
        printf("uplink: none (%s); guests see their link down\n", e1000_why_no_uplink());
        return;
    }
    uint8_t m[6];
    struct e1000_stats s;
    struct e1000_rings r;
    e1000_mac(m);
    e1000_get_stats(&s);
    e1000_get_rings(&r);
    bool up = e1000_link_up();
    printf("uplink: e1000 %s %02x:%02x:%02x:%02x:%02x:%02x, link %s%s, %lu irqs, %lu link changes\n",
           e1000_model(), m[0], m[1], m[2], m[3], m[4], m[5], up ? "up" : "down",
           up ? "" : " (the NIC reports no link: guests see their link down)", U(s.irqs), U(s.link_changes));
    printf("e1000 rx %lu packets, %lu bytes; lost: %lu missed (MPC), %lu no descriptor (RNBC), %lu bad; "
           "ring %lu: head %lu tail %lu next %lu\n", U(s.rx_packets), U(s.rx_bytes), U(s.rx_missed),
           U(s.rx_no_desc), U(s.rx_dropped), U(r.rx_size), U(r.rx_head), U(r.rx_tail), U(r.rx_next));
    printf("e1000 tx %lu packets, %lu bytes, %lu refused (ring full); ring %lu: head %lu tail %lu clean %lu\n",
           U(s.tx_packets), U(s.tx_bytes), U(s.tx_dropped), U(r.tx_size), U(r.tx_head), U(r.tx_tail),
           U(r.tx_clean));
}

void net_report(void)
{
    uplink();
    e1000_print_nics();
    const struct netsw_stats *w = &netsw_stats;
    printf("switch: %lu switched, %lu flooded, %lu to wire, %lu from wire; dropped: %lu bad length, "
           "%lu no uplink, %lu wire ring full; wire held for a guest %lu times\n", U(w->switched),
           U(w->flooded), U(w->to_wire), U(w->from_wire), U(w->bad_len), U(w->no_uplink), U(w->wire_full),
           U(w->wire_held));
    for (uint32_t i = 0; i < nguests; i++) {
        const struct guest *g = &guests[i];
        const struct net_stats *n = &g->net_stats;
        if (!g->cfg || !g->cfg->net)
            continue;
        printf("guest %s: rx %lu frames %lu bytes, dropped %lu ring full, %lu not running, %lu buffer too "
               "small; tx %lu frames %lu bytes, dropped %lu bad, %lu bad header, %lu no uplink, %lu wire full; held %lu "
               "times\n", g->name, U(n->rx_packets), U(n->rx_bytes), U(n->rx_ring_full), U(n->rx_not_running),
               U(n->rx_too_small), U(n->tx_packets), U(n->tx_bytes), U(n->tx_bad), U(n->tx_bad_header),
               U(n->tx_no_uplink), U(n->tx_wire_full), U(n->tx_held));
        printf("guest %s offloads: tx csum %lu by e1000 %lu in software, tso %lu by e1000 %lu in software; "
               "rx csum passed %lu, completed %lu, data valid %lu, tso cut %lu, tso passed %lu; bad header by reason:",
               g->name, U(n->tx_csum_hw), U(n->tx_csum_sw), U(n->tx_tso_hw), U(n->tx_tso_sw), U(n->rx_csum_passed),
               U(n->rx_csum_done), U(n->rx_data_valid), U(n->rx_tso_cut), U(n->rx_tso_passed));
        for (uint32_t r = 1; r < VNET_BAD_N; r++)
            printf("%s %s %lu", r > 1 ? "," : "", vnet_bad_name[r], U(n->tx_bad_why[r]));
        printf("\n");
    }
    printf("net: end\n");
}
