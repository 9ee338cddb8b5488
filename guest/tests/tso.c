/* test=tso and test=tsorecv: the offloads from our side of the virtio-net
 * device. We have no TCP stack: the segments are crafted, a byte stream of
 * a known pattern with sequence numbers, which the receivers reassemble.
 *
 * test=tso ip=A peer=W [to=B+C] [count=N] [size=S]: to W (the wire peer,
 * tests/netpeer.py) then to each guest B, C: 100 UDP datagrams to port
 * 7777 (with CSUM negotiated they leave with partial checksums), then N
 * TCP segments of S payload bytes to port 5001 (with HOST_TSO4 each one
 * large frame, GSO TCPV4 with MSS 1460, else cut here into MSS frames with
 * full checksums); to W also the same stream again on port 5002 always cut
 * here, for the throughput with and without TSO. Then "quit" to each
 * guest's port 9. Prints "TSO TO <ip> ..." per destination, "TSO DONE".
 *
 * test=tsorecv ip=B expect=N*S [offload=off|nomrg]: counts the datagrams
 * on 7777 and takes the stream on 5001 (checksums are checked by the
 * stack; each segment must continue the stream where the last ended and
 * carry the pattern; one larger than the MSS only with GUEST_TSO4 and
 * MRG_RXBUF, where the host passes them whole) until
 * "quit" (datagrams saying "wire N" are counted apart); prints "TSORECV
 * tcp <bytes> bytes <segs> segments, <bad> bad; udp <n>, from the wire
 * <w>; ..." and checks it. */
#include <stdio.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/net.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/vnet.h"
#include "guest/x86.h"

#define MSS        1460
#define ISN        0xFFFFC000u      /* the sequence wraps within the first 16 KiB */
#define UDP_COUNT  100
#define TCP_PORT   5001
#define PLAIN_PORT 5002
#define HDRS       (ETH_HLEN + IP_HLEN + 20)
#define SEG_BYTES_MAX   60000u

static u8 stream_byte(u32 off) { return (u8)(off * 7 + (off >> 8) + (off >> 16) * 3); }

static u8 big[HDRS + SEG_BYTES_MAX];

/* TCP header and payload of bytes [off, off + n) of the stream at
 * big + ETH_HLEN + IP_HLEN; the checksum field holds the pseudo-header
 * sum when the host is to complete it (partial), else the full one. */
static void tcp_fill(u32 dst, u16 dport, u32 off, unsigned n, int partial, int last)
{
    u8 *t = big + ETH_HLEN + IP_HLEN;
    put16(t, 4000);
    put16(t + 2, dport);
    put32(t + 4, ISN + off);
    put32(t + 8, 1);
    t[12] = 5 << 4;
    t[13] = 0x10 | (last ? 0x08 : 0);          /* ACK, PSH at the end */
    put16(t + 14, 65535);
    put16(t + 16, 0);
    put16(t + 18, 0);
    for (unsigned i = 0; i < n; i++)
        t[20 + i] = stream_byte(off + i);
    u32 ps = (net_ip >> 16) + (net_ip & 0xffff) + (dst >> 16) + (dst & 0xffff) + IP_PROTO_TCP + 20 + n;
    put16(t + 16, partial ? (u16)~csum_fold(ps) : csum_fold(csum_partial(ps, t, 20 + n)));
}

static int send_tcp(u32 dst, const u8 *mac, u16 port, u32 off, unsigned n, int tso, int last)
{
    if (tso) {
        u8 h[VNET_HDR_LEN] = { VNET_HDR_NEEDS_CSUM, VNET_GSO_TCPV4, HDRS, 0, MSS & 0xff, MSS >> 8,
                               ETH_HLEN + IP_HLEN, 0, 16, 0 };
        tcp_fill(dst, port, off, n, 1, last);
        return ipv4_output_to(dst, mac, IP_PROTO_TCP, big, 20 + n, h);
    }
    for (unsigned at = 0; at < n; at += MSS) {
        unsigned k = n - at < MSS ? n - at : MSS;
        tcp_fill(dst, port, off + at, k, 0, last && at + k == n);
        if (ipv4_output_to(dst, mac, IP_PROTO_TCP, big, 20 + k, 0) < 0)
            return -1;
    }
    return 0;
}

/* The stream of count segments of size bytes; its rate in kbit/s of
 * payload, measured in here (queued to the host), into *kbps. */
static unsigned stream(u32 dst, const u8 *mac, u16 port, unsigned count, unsigned size, int tso, int pace,
                       u32 *kbps)
{
    unsigned sent = 0;
    u64 t0 = rdtsc();
    for (unsigned i = 0; i < count; i++) {
        if (send_tcp(dst, mac, port, i * size, size, tso, i + 1 == count) == 0)
            sent++;
        /* a guest receiver takes a segment at a time: let it (the wire
         * holds us itself when the e1000's ring is full) */
        if (pace && i % 4 == 3)
            net_wait_until(net_deadline_us(2000));
    }
    u32 us = cycles_to_us(rdtsc() - t0);
    *kbps = us ? (u32)((u64)count * size * 8 * 1000 / us) : 0;
    return sent;
}

static void to_one(u32 dst, int wire, unsigned count, unsigned size)
{
    char ip[16], name[48], msg[48];
    u8 mac[ETH_ALEN];
    snprintf(name, sizeof name, "tso/arp-%s", ip_str(dst, ip));
    if (!check(arp_resolve(dst, mac, 60000) == 0, name, "%s does not answer ARP", ip))
        return;
    unsigned udp = 0;
    for (unsigned i = 0; i < UDP_COUNT; i++) {
        unsigned n = snprintf(msg, sizeof msg, "udp %u", i);
        memset(msg + n, 'a' + i % 26, sizeof msg - n);
        if (udp_send(dst, 7000, 7777, msg, n + (i * 13) % (sizeof msg - n)) == 0)
            udp++;
        if (i % 16 == 15)
            net_wait_until(net_deadline_us(1000));
    }
    int tso = vnet_tso_offload();
    u32 kbps = 0, plain_kbps = 0;
    unsigned sent = stream(dst, mac, TCP_PORT, count, size, tso, !wire, &kbps), plain = 0;
    if (wire) {
        net_wait_until(net_deadline_us(300000));       /* the peer sees two rounds */
        plain = stream(dst, mac, PLAIN_PORT, count, size, 0, 0, &plain_kbps);
    }
    printf("TSO TO %s udp %u tcp %u of %u segments of %u bytes, %s: %u kbit/s%s", ip, udp, sent, count, size,
           tso ? "tso" : "cut here", (unsigned)kbps, wire ? "" : "\n");
    if (wire)
        printf("; cut here: %u segments, %u kbit/s\n", plain, (unsigned)plain_kbps);
    snprintf(name, sizeof name, "tso/sent-%s", ip);
    check(udp == UDP_COUNT && sent == count && (!wire || plain == count), name, "udp %u tcp %u plain %u", udp,
          sent, plain);
    if (!wire) {
        net_wait_until(net_deadline_us(200000));
        for (int i = 0; i < 3; i++)
            udp_send(dst, 7000, 9, "quit", 4);
    }
}

void test_tso(void)
{
    char v[64];
    if (!check(net_init() == 0 && net_ip, "tso/device", "no usable virtio-net device or no ip="))
        return;
    int off = boot_option("offload", v, sizeof v) && strcmp(v, "off") == 0;
    u32 want = off ? 0 : VNET_OFFLOADS;
    check((vnet_features() & VNET_OFFLOADS) == want, "tso/features", "accepted 0x%08x, offload=%s",
          (unsigned)vnet_features(), off ? "off" : "on");
    unsigned count = boot_option_u32("count", 32), size = boot_option_u32("size", 16000);
    if (size > SEG_BYTES_MAX)
        size = SEG_BYTES_MAX;
    u32 peer = 0;
    if (boot_option("peer", v, sizeof v) && ip_parse(v, &peer))
        to_one(peer, 1, count, size);
    if (boot_option("to", v, sizeof v)) {
        for (char *p = v; *p; ) {
            char *comma = strchr(p, '+');
            if (comma)
                *comma = 0;
            u32 ip;
            if (ip_parse(p, &ip))
                to_one(ip, 0, count, size);
            if (!comma)
                break;
            p = comma + 1;
        }
    }
    net_poll();
    check(!vnet_broken(), "tso/device-ok", "the host stopped the device");
    printf("TSO DONE large %u, tx %u frames\n", (unsigned)vnet_stats.tx_large, (unsigned)vnet_stats.tx_frames);
}

static struct {
    u32 next, bytes, segs, bad, udp, wire, large;
    int whole;                  /* GUEST_TSO4 with MRG_RXBUF: segments may come whole */
    int quit;
} r;

static void tcp_rx(u32 src, const u8 *seg, unsigned len)
{
    unsigned doff = (seg[12] >> 4) * 4u;
    if (get16(seg + 2) != TCP_PORT)
        return;
    u32 off = get32(seg + 4) - ISN;
    unsigned n = len - doff;
    int ok = off == r.next && (n <= MSS || r.whole);
    if (n > MSS)
        r.large++;
    for (unsigned i = 0; ok && i < n; i++)
        ok = seg[doff + i] == stream_byte(off + i);
    if (!ok) {
        if (r.bad++ < 3)
            printf("tsorecv: segment at %u of %u bytes, expected %u%s\n", (unsigned)off, n, (unsigned)r.next,
                   off == r.next ? " (contents differ or longer than MSS)" : "");
        return;
    }
    r.next += n;
    r.bytes += n;
    r.segs++;
}

static void udp_rx(u32 src, u16 sport, u16 dport, const u8 *d, unsigned len)
{
    if (len >= 4 && memcmp(d, "udp ", 4) == 0)
        r.udp++;
    else if (len >= 5 && memcmp(d, "wire ", 5) == 0)
        r.wire++;
}

static void quit_rx(u32 src, u16 sport, u16 dport, const u8 *d, unsigned len)
{
    if (len >= 4 && memcmp(d, "quit", 4) == 0)
        r.quit = 1;
}

void test_tsorecv(void)
{
    char v[16];
    if (!check(net_init() == 0 && net_ip, "tsorecv/device", "no usable virtio-net device or no ip="))
        return;
    int have = boot_option("offload", v, sizeof v) != 0;
    u32 want = have && !strcmp(v, "off") ? 0 : have && !strcmp(v, "nomrg") ? VNET_OFFLOADS & ~(1u << VNET_F_MRG_RXBUF)
                                                                         : VNET_OFFLOADS;
    check((vnet_features() & VNET_OFFLOADS) == want, "tsorecv/features", "accepted 0x%08x, want 0x%08x",
          (unsigned)vnet_features(), (unsigned)want);
    r.whole = (vnet_features() & (1u << VNET_F_GUEST_TSO4 | 1u << VNET_F_MRG_RXBUF)) ==
              (1u << VNET_F_GUEST_TSO4 | 1u << VNET_F_MRG_RXBUF);
    u32 expect = boot_option_u32("expect", 0);
    tcp_on_input = tcp_rx;
    udp_bind(7777, udp_rx);
    udp_bind(9, quit_rx);
    printf("NET READY tsorecv\n");
    while (!r.quit)
        net_wait_until(net_deadline_us(1000000));
    printf("TSORECV tcp %u bytes %u segments (%u large), %u bad; udp %u, from the wire %u; partial %u valid %u; "
           "tcp bad checksum %u, udp bad %u\n",
           (unsigned)r.bytes, (unsigned)r.segs, (unsigned)r.large, (unsigned)r.bad, (unsigned)r.udp, (unsigned)r.wire,
           (unsigned)vnet_stats.rx_partial,
           (unsigned)vnet_stats.rx_valid, (unsigned)net_stats.tcp_bad, (unsigned)net_stats.udp_bad);
    check(r.bytes == expect && !r.bad, "tsorecv/stream", "%u of %u bytes in order, %u bad segments",
          (unsigned)r.bytes, (unsigned)expect, (unsigned)r.bad);
    check(r.udp == UDP_COUNT, "tsorecv/udp", "%u of %u datagrams", (unsigned)r.udp, UDP_COUNT);
    check(!net_stats.tcp_bad && !net_stats.udp_bad && !vnet_stats.rx_bad_hdr, "tsorecv/checksums",
          "tcp %u udp %u bad, %u bad headers", (unsigned)net_stats.tcp_bad, (unsigned)net_stats.udp_bad,
          (unsigned)vnet_stats.rx_bad_hdr);
    check(!vnet_broken(), "tsorecv/device-ok", "the host stopped the device");
}
