/* IPv4 (RFC 791) without options on output, fragments or routing: every
 * address is on the link. And ICMP's echo (RFC 792), both directions. */
#include <string.h>
#include "guest/net.h"

#define IP_DF         0x4000
#define ICMP_ECHO_REPLY   0
#define ICMP_ECHO_REQUEST 8

icmp_reply_fn icmp_on_reply;
static u16 ip_id;

tcp_input_fn tcp_on_input;

/* The IP header in front of the payload; its total length, or 0 when it
 * cannot be sent. */
static unsigned header(u32 dst, u8 proto, u8 *frame, unsigned payload_len, unsigned mtu)
{
    u8 *ip = frame + ETH_HLEN;
    unsigned total = IP_HLEN + payload_len;
    if (total > mtu || !net_ip)
        return 0;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (u16)total);
    put16(ip + 4, ip_id++);
    put16(ip + 6, IP_DF);       /* we never fragment, nor reassemble */
    ip[8] = 64;
    ip[9] = proto;
    put16(ip + 10, 0);
    put32(ip + 12, net_ip);
    put32(ip + 16, dst);
    put16(ip + 10, csum_fold(csum_partial(0, ip, IP_HLEN)));
    return total;
}

int ipv4_output(u32 dst, u8 proto, u8 *frame, unsigned payload_len)
{
    unsigned total = header(dst, proto, frame, payload_len, ETH_MTU);
    return total ? arp_output(dst, frame, ETH_HLEN + total) : -1;
}

int ipv4_output_to(u32 dst, const u8 *mac, u8 proto, u8 *frame, unsigned payload_len, const u8 *vhdr)
{
    unsigned total = header(dst, proto, frame, payload_len, vhdr && vhdr[1] ? 65535 : ETH_MTU);
    return total ? eth_output_hdr(mac, ETH_P_IP, frame, ETH_HLEN + total, vhdr) : -1;
}

/* TCP (RFC 793) is not a protocol of ours: segments are checked (length,
 * checksum) and handed to a test's hook. */
static void tcp_input(u32 src, u32 dst, const u8 *seg, unsigned len)
{
    net_stats.tcp_in++;
    u32 ps = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + len;
    if (len < 20 || (seg[12] >> 4) * 4u < 20 || (seg[12] >> 4) * 4u > len ||
        csum_fold(csum_partial(ps, seg, len)) != 0) {
        net_stats.tcp_bad++;
        return;
    }
    if (tcp_on_input)
        tcp_on_input(src, seg, len);
}

static void icmp_input(u32 src, const u8 *m, unsigned len)
{
    if (len < ICMP_HLEN || csum_fold(csum_partial(0, m, len)) != 0) {
        net_stats.icmp_bad++;
        return;
    }
    if (m[0] == ICMP_ECHO_REQUEST && m[1] == 0) {
        /* The reply is the request with its type changed: same id,
         * sequence and data. */
        static u8 f[ETH_HLEN + ETH_MTU];
        u8 *r = f + ETH_HLEN + IP_HLEN;
        net_stats.icmp_echo_in++;
        memcpy(r, m, len);
        r[0] = ICMP_ECHO_REPLY;
        put16(r + 2, 0);
        put16(r + 2, csum_fold(csum_partial(0, r, len)));
        if (ipv4_output(src, IP_PROTO_ICMP, f, len) == 0)
            net_stats.icmp_echo_out++;
    } else if (m[0] == ICMP_ECHO_REPLY && m[1] == 0) {
        net_stats.icmp_replies_in++;
        if (icmp_on_reply)
            icmp_on_reply(src, get16(m + 4), get16(m + 6), m + ICMP_HLEN, len - ICMP_HLEN);
    }
}

int icmp_echo_request(u32 dst, u16 id, u16 seq, const void *data, unsigned len)
{
    static u8 f[ETH_HLEN + ETH_MTU];
    u8 *m = f + ETH_HLEN + IP_HLEN;
    if (len > ETH_MTU - IP_HLEN - ICMP_HLEN)
        return -1;
    m[0] = ICMP_ECHO_REQUEST;
    m[1] = 0;
    put16(m + 2, 0);
    put16(m + 4, id);
    put16(m + 6, seq);
    memcpy(m + ICMP_HLEN, data, len);
    put16(m + 2, csum_fold(csum_partial(0, m, ICMP_HLEN + len)));
    return ipv4_output(dst, IP_PROTO_ICMP, f, ICMP_HLEN + len);
}

void ipv4_input(const u8 *frame, unsigned len)
{
    const u8 *ip = frame + ETH_HLEN;
    unsigned avail = len - ETH_HLEN;
    net_stats.ip_in++;
    if (avail < IP_HLEN || ip[0] >> 4 != 4) {
        net_stats.ip_bad++;
        return;
    }
    unsigned hlen = (ip[0] & 15) * 4u, total = get16(ip + 2);
    /* Ethernet pads short frames: the IP length says where the packet
     * ends, and it must fit what arrived. */
    if (hlen < IP_HLEN || total < hlen || total > avail || csum_fold(csum_partial(0, ip, hlen)) != 0) {
        net_stats.ip_bad++;
        return;
    }
    u32 src = get32(ip + 12), dst = get32(ip + 16);
    if (!net_ip || (dst != net_ip && dst != 0xffffffff)) {
        net_stats.ip_not_ours++;
        return;
    }
    if (get16(ip + 6) & 0x3fff) {   /* MF set or an offset: a fragment */
        net_stats.ip_frag++;
        return;
    }
    switch (ip[9]) {
    case IP_PROTO_ICMP:
        icmp_input(src, ip + hlen, total - hlen);
        break;
    case IP_PROTO_UDP:
        udp_input(src, dst, ip + hlen, total - hlen);
        break;
    case IP_PROTO_TCP:
        tcp_input(src, dst, ip + hlen, total - hlen);
        break;
    default:
        net_stats.ip_bad_proto++;
    }
}
