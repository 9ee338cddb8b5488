/* test=nethdr ip=A peer=B [offload=off]: virtio-net headers the host must
 * refuse. Each bad header goes on one frame, which the host must drop
 * with a counted reason (the monitor's net: "bad header by reason") and go
 * on serving the device. With offloads negotiated (the default) the
 * headers are the malformed ones: checksum offsets outside the frame, GSO
 * sizes of 0 or too large, too many segments, header lengths that lie, a
 * GSO frame that is not TCP/IPv4 or whose IP length is not its own, flags
 * and types that do not exist; with offload=off also every offload that
 * was not negotiated. Hostile UDP frames are datagrams to B port 7777
 * saying "bad N", each followed by a good one saying "good N", and the
 * harness checks that only the good ones arrive; hostile TCP frames (a
 * crafted 3000-byte segment) go to port 7778, where nothing must arrive.
 * Prints "NETHDR CASE i <reason the host must give>" per case and
 * "NETHDR SENT bad N good M" at the end. */
#include <stdio.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/net.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/vnet.h"

#define TCP_PAYLOAD 3000
#define HDRS (ETH_HLEN + IP_HLEN + 20)

enum frame { UDP, TCP, LONG };      /* LONG: 2000 bytes of UDP-sized junk without GSO */
struct bad_hdr {
    const char *what;
    enum frame frame;
    u8 flags, gso_type;
    u16 hdr_len, gso_size, csum_start, csum_offset;
    const char *on, *off;           /* the reason with offloads negotiated, and without */
    /* the host looks at flags, then the GSO type (unknown, ECN, not
     * negotiated), then NEEDS_CSUM, then the frame (virtio/net_offload.c) */
};

#define NOCSUM "csum not negotiated"
#define NOGSO "gso not negotiated"
static const struct bad_hdr cases[] = {
    { "csum-outside", UDP, 1, 0, 0, 0, 60000, 60000, "csum outside frame", NOCSUM },
    { "csum-offset-past-end", UDP, 1, 0, 0, 0, 34, 2000, "csum outside frame", NOCSUM },
    { "csum-in-ethernet", UDP, 1, 0, 0, 0, 4, 0, "csum outside frame", NOCSUM },
    { "data-valid", UDP, 2, 0, 0, 0, 0, 0, "bad flags", "bad flags" },
    { "unknown-flag", UDP, 0x80, 0, 0, 0, 0, 0, "bad flags", "bad flags" },
    { "gso-udp", UDP, 1, 3, 42, 1000, 34, 6, NOGSO, NOGSO },
    { "gso-tcpv6", UDP, 1, 4, 74, 1440, 34, 6, NOGSO, NOGSO },
    { "gso-unknown", UDP, 0, 0x7f, 0, 0, 0, 0, "unknown gso type", "unknown gso type" },
    { "gso-ecn", TCP, 1, 0x81, 54, 1460, 34, 16, "ecn", "ecn" },
    { "gso-size-without-gso", UDP, 0, 0, 0, 100, 0, 0, "bad gso size", "bad gso size" },
    { "hdr-len-past-end", UDP, 0, 0, 5000, 0, 0, 0, "bad hdr len", "bad hdr len" },
    { "tcpv4-on-udp", UDP, 1, 1, 42, 1000, 34, 6, "gso not tcpv4", NOGSO },
    { "tcpv4-size-zero", TCP, 1, 1, 54, 0, 34, 16, "bad gso size", NOGSO },
    { "tcpv4-size-over-mtu", TCP, 1, 1, 54, 1461, 34, 16, "bad gso size", NOGSO },
    { "tcpv4-too-many-segments", TCP, 1, 1, 54, 10, 34, 16, "gso bad length", NOGSO },
    { "tcpv4-hdr-len-short", TCP, 1, 1, 20, 1460, 34, 16, "bad hdr len", NOGSO },
    { "tcpv4-no-needs-csum", TCP, 0, 1, 54, 1460, 0, 0, "gso not tcpv4", NOGSO },
    { "tcpv4-csum-not-tcp", TCP, 1, 1, 54, 1460, 34, 6, "gso not tcpv4", NOGSO },
    { "tcpv4-ip-length-wrong", TCP, 1, 1, 54, 1460, 34, 16, "gso bad length", NOGSO },
    { "long-without-gso", LONG, 0, 0, 0, 0, 0, 0, "too long", 0 },
};
#define NCASES (sizeof cases / sizeof cases[0])

static void le16_set(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }

static u8 big[HDRS + TCP_PAYLOAD];

/* A TCP segment of n payload bytes to port 7778, its IP length claiming
 * ip_extra bytes more than there are, sent behind a GSO header (which
 * vnet_tx_hdr replaces) so that the driver takes it whole. */
static int send_tcp(u32 peer, const u8 *mac, unsigned n, unsigned ip_extra)
{
    static const u8 gso[VNET_HDR_LEN] = { 1, 1, HDRS, 0, 0xb4, 0x05, 34, 0, 16, 0 };
    u8 *ip = big + ETH_HLEN, *t = ip + IP_HLEN;
    memset(ip, 0, IP_HLEN + 20);
    ip[0] = 0x45;
    put16(ip + 2, (u16)(IP_HLEN + 20 + n + ip_extra));
    ip[8] = 64;
    ip[9] = IP_PROTO_TCP;
    put32(ip + 12, net_ip);
    put32(ip + 16, peer);
    put16(ip + 10, csum_fold(csum_partial(0, ip, IP_HLEN)));
    put16(t, 4000);
    put16(t + 2, 7778);
    t[12] = 5 << 4;
    t[13] = 0x10;
    memset(t + 20, 'x', n);
    return eth_output_hdr(mac, ETH_P_IP, big, HDRS + n, vnet_tso_offload() ? gso : 0);
}

void test_nethdr(void)
{
    char ipbuf[16], msg[40];
    u8 mac[6];
    u32 peer = 0, bad = 0, good = 0, tried = 0;
    if (!check(net_init() == 0 && net_ip, "nethdr/device", "no usable virtio-net device or no ip="))
        return;
    if (!check(boot_option("peer", ipbuf, sizeof ipbuf) && ip_parse(ipbuf, &peer), "nethdr/peer", "no peer="))
        return;
    if (!check(arp_resolve(peer, mac, 30000) == 0, "nethdr/arp", "%s does not answer ARP", ipbuf))
        return;
    int on = vnet_tso_offload() && vnet_csum_offload();
    for (unsigned i = 0; i < NCASES; i++) {
        const struct bad_hdr *c = &cases[i];
        const char *why = on ? c->on : c->off;
        if (!why)
            continue;               /* a frame our driver cannot send without the offload */
        vnet_tx_hdr[0] = c->flags;
        vnet_tx_hdr[1] = c->gso_type;
        le16_set(vnet_tx_hdr + 2, c->hdr_len);
        le16_set(vnet_tx_hdr + 4, c->gso_size);
        le16_set(vnet_tx_hdr + 6, c->csum_start);
        le16_set(vnet_tx_hdr + 8, c->csum_offset);
        printf("NETHDR CASE %u %s\n", i, why);
        tried++;
        snprintf(msg, sizeof msg, "bad %u %s", i, c->what);
        int r;
        if (c->frame == UDP) {
            vnet_tx_hdr_on = 1;
            r = udp_send(peer, 7000, 7777, msg, strlen(msg));
        } else {
            /* without HOST_TSO4 the driver sends no frame over the MTU */
            unsigned n = c->frame == LONG ? 2000 - HDRS : on ? TCP_PAYLOAD : 1000;
            vnet_tx_hdr_on = 1;
            r = send_tcp(peer, mac, n, strcmp(c->what, "tcpv4-ip-length-wrong") == 0 ? 100 : 0);
        }
        vnet_tx_hdr_on = 0;
        if (r == 0)
            bad++;
        snprintf(msg, sizeof msg, "good %u", i);
        if (udp_send(peer, 7000, 7777, msg, strlen(msg)) == 0)
            good++;
    }
    net_poll();
    check(!vnet_broken(), "nethdr/device-alive", "the host stopped the device");
    printf("NETHDR SENT bad %u good %u\n", (unsigned)bad, (unsigned)good);
    check(good == tried && bad == tried, "nethdr/sent", "%u good and %u bad of %u cases queued", (unsigned)good,
          (unsigned)bad, (unsigned)tried);
}
