/* UDP (RFC 768): a handler per bound local port. Checksums are always
 * sent and, when present, always checked (with the pseudo-header). With
 * VIRTIO_NET_F_CSUM a datagram to a resolved address leaves with only the
 * pseudo-header sum in its checksum and NEEDS_CSUM in its virtio-net
 * header (as Linux sends them); the host completes it. */
#include <string.h>
#include "guest/net.h"
#include "guest/vnet.h"

#define UDP_PORTS 8

static struct {
    u16 port;
    udp_handler h;
} ports[UDP_PORTS];

int udp_bind(u16 port, udp_handler h)
{
    int slot = -1;
    for (int i = 0; i < UDP_PORTS; i++) {
        if (ports[i].h && ports[i].port == port)
            return -1;
        if (!ports[i].h && slot < 0)
            slot = i;
    }
    if (slot < 0 || !h)
        return -1;
    ports[slot].port = port;
    ports[slot].h = h;
    return 0;
}

void udp_unbind(u16 port)
{
    for (int i = 0; i < UDP_PORTS; i++)
        if (ports[i].h && ports[i].port == port)
            ports[i].h = 0;
}

/* The pseudo-header's sum: addresses, protocol, UDP length. */
static u32 pseudo(u32 src, u32 dst, unsigned len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + IP_PROTO_UDP + len;
}

void udp_input(u32 src, u32 dst, const u8 *seg, unsigned len)
{
    net_stats.udp_in++;
    if (len < UDP_HLEN || get16(seg + 4) < UDP_HLEN || get16(seg + 4) > len) {
        net_stats.udp_bad++;
        return;
    }
    len = get16(seg + 4);
    if (get16(seg + 6) && csum_fold(csum_partial(pseudo(src, dst, len), seg, len)) != 0) {
        net_stats.udp_bad++;
        return;
    }
    u16 sport = get16(seg), dport = get16(seg + 2);
    for (int i = 0; i < UDP_PORTS; i++) {
        if (ports[i].h && ports[i].port == dport) {
            ports[i].h(src, sport, dport, seg + UDP_HLEN, len - UDP_HLEN);
            return;
        }
    }
    net_stats.udp_no_port++;
}

int udp_send(u32 dst, u16 sport, u16 dport, const void *data, unsigned len)
{
    static u8 f[ETH_HLEN + ETH_MTU];
    u8 *u = f + ETH_HLEN + IP_HLEN;
    if (len > UDP_MAX_PAYLOAD)
        return -1;
    unsigned ulen = UDP_HLEN + len;
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, (u16)ulen);
    put16(u + 6, 0);
    memcpy(u + UDP_HLEN, data, len);
    u8 mac[ETH_ALEN];
    int r;
    if (vnet_csum_offload() && arp_lookup(dst, mac)) {
        static const u8 hdr[VNET_HDR_LEN] = { VNET_HDR_NEEDS_CSUM, 0, 0, 0, 0, 0,
                                              ETH_HLEN + IP_HLEN, 0, 6, 0 };
        put16(u + 6, (u16)~csum_fold(pseudo(net_ip, dst, ulen)));
        r = ipv4_output_to(dst, mac, IP_PROTO_UDP, f, ulen, hdr);
    } else {
        u16 sum = csum_fold(csum_partial(pseudo(net_ip, dst, ulen), u, ulen));
        put16(u + 6, sum ? sum : 0xffff);   /* 0 would mean "no checksum" */
        r = ipv4_output(dst, IP_PROTO_UDP, f, ulen);
    }
    if (r == 0)
        net_stats.udp_out++;
    return r;
}
