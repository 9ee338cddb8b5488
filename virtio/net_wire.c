/* A guest's frame onto the wire with the work its header asks for: the
 * e1000's checksum offload or TSO where the NIC in use has them (and the
 * offsets fit its 8-bit fields), else the same in software here, so the
 * offloads offered to guests never depend on the NIC. */
#include <string.h>
#include "virtio/netswitch.h"
#include "drivers/e1000.h"
#include "kernel/lguest/guest.h"

static uint8_t seg[ETH_MAX];

static bool hw_tso(const struct netsw_pkt *p)
{
    return (e1000_offloads() & E1000_TX_TSO) && p->gso.tcp_off + 16u < 255 && p->gso.hdrs < 256;
}

static bool hw_csum(const struct netsw_pkt *p)
{
    return (e1000_offloads() & E1000_TX_CSUM) && p->h.csum_start + p->h.csum_offset < 255u;
}

uint32_t net_wire_need(const struct netsw_pkt *p)
{
    if (p->h.gso_type == VNET_GSO_TCPV4)
        return hw_tso(p) ? e1000_tx_need(p->len) : p->gso.segs;
    if (p->h.flags & VNET_HDR_F_NEEDS_CSUM)
        return hw_csum(p) ? e1000_tx_need(p->len) : 1;
    return 1;
}

int net_wire_send(struct netsw_pkt *p, struct guest *src)
{
    struct net_stats *n = src ? &src->net_stats : 0;
    if (p->h.gso_type == VNET_GSO_TCPV4) {
        if (hw_tso(p)) {
            /* the NIC adds each segment's length to the pseudo-header sum,
             * and sums the IP header with its checksum field in it */
            uint8_t *field = p->frame + p->gso.tcp_off + 16, keep[2] = { field[0], field[1] };
            uint8_t *ipsum = p->frame + p->gso.ip_off + 10, keep_ip[2] = { ipsum[0], ipsum[1] };
            vnet_tso_seed(p->frame, &p->gso);
            ipsum[0] = ipsum[1] = 0;
            struct e1000_tx_offload o = { (uint8_t)p->gso.tcp_off, (uint8_t)(p->gso.tcp_off + 16), true,
                                          (uint8_t)p->gso.hdrs, p->gso.mss };
            int r = e1000_send_offload(p->frame, p->len, &o);
            memcpy(field, keep, 2);
            memcpy(ipsum, keep_ip, 2);
            if (r == 0 && n)
                n->tx_tso_hw++;
            return r;
        }
        for (uint32_t i = 0; i < p->gso.segs; i++)
            if (e1000_send(seg, vnet_tso_segment(p->frame, &p->gso, i, seg)) != 0)
                return -1;
        if (n)
            n->tx_tso_sw++;
        return 0;
    }
    if (p->h.flags & VNET_HDR_F_NEEDS_CSUM) {
        if (hw_csum(p)) {
            struct e1000_tx_offload o = { (uint8_t)p->h.csum_start,
                                          (uint8_t)(p->h.csum_start + p->h.csum_offset), false, 0, 0 };
            int r = e1000_send_offload(p->frame, p->len, &o);
            if (r == 0 && n)
                n->tx_csum_hw++;
            return r;
        }
        memcpy(seg, p->frame, p->len);
        vnet_csum_complete(seg, p->len, p->h.csum_start, p->h.csum_offset);
        if (n)
            n->tx_csum_sw++;
        return e1000_send(seg, p->len);
    }
    return e1000_send(p->frame, p->len);
}
