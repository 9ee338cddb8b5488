/* test=net and test=netpeer: the virtio-net driver and the stack against
 * a peer on the hypervisor's switch (tests/netpeer.py on the wire, or
 * another guest).
 *
 * test=net ip=A [ping=B] [ping2=C] [ping3=D]: configure A, answer ARP and
 * ping, echo UDP on port 7, print "NET READY ...", optionally ping B (the
 * wire peer) and C, D (other guests), then
 * serve until a datagram to port 9 says "quit"; counters, checks, DONE.
 *
 * test=netpeer ip=A peer=B [count=N]: resolve B, ping it, exchange N UDP
 * datagrams of varied sizes with B's echo service (at most WINDOW
 * outstanding, contents checked, nothing retransmitted: a loss is a
 * failure), then serve like test=net until told to quit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/net.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/virtio.h"
#include "guest/vnet.h"
#include "guest/x86.h"

#define ECHO_PORT    7
#define CONTROL_PORT 9
#define CLIENT_PORT  4000
#define WINDOW       16
#define MAX_COUNT    65536
#define STALL_US     3000000    /* no echo for this long: the rest are lost */

static int quit;
static u32 echoed;

static void echo(u32 src, u16 sport, u16 dport, const u8 *data, unsigned len)
{
    if (udp_send(src, dport, sport, data, len) == 0)
        echoed++;
}

static void control(u32 src, u16 sport, u16 dport, const u8 *data, unsigned len)
{
    if (len >= 4 && memcmp(data, "quit", 4) == 0)
        quit = 1;
}

static u32 option_ip(const char *key)
{
    char v[32];
    u32 ip = 0;
    if (boot_option(key, v, sizeof v) && !ip_parse(v, &ip))
        printf("net: bad %s=%s\n", key, v);
    return ip;
}

/* Driver and address up, with the checks of group. 0 or -1. */
static int net_up(const char *group)
{
    char name[64], ip[16], mac[18];
    snprintf(name, sizeof name, "%s/device", group);
    if (!check(net_init() == 0, name, "no usable virtio-net device"))
        return -1;
    u32 f = vnet_features(), ring = 1u << VIRTIO_F_INDIRECT | 1u << VIRTIO_F_EVENT_IDX;
    snprintf(name, sizeof name, "%s/features", group);
    check((f & (1u << VNET_F_MAC | 1u << VNET_F_STATUS)) == (1u << VNET_F_MAC | 1u << VNET_F_STATUS) &&
              (f & ring) == (vnet_plain() ? 0 : ring),
          name, "accepted 0x%08x (virtio=%s)", (unsigned)f, vnet_plain() ? "plain" : "full");
    snprintf(name, sizeof name, "%s/link", group);
    check(vnet_link_up(), name, "config status says the link is down");
    snprintf(name, sizeof name, "%s/address", group);
    if (!check(net_ip != 0, name, "no ip= on the command line"))
        return -1;
    printf("NET READY ip %s mac %s\n", ip_str(net_ip, ip), mac_str(net_mac, mac));
    return 0;
}

static void ping_check(const char *name, u32 dst, unsigned count, unsigned size)
{
    char ip[16];
    u8 mac[ETH_ALEN];
    struct ping_result r;
    if (arp_resolve(dst, mac, 30000) < 0) {
        fail(name, "%s does not answer ARP", ip_str(dst, ip));
        return;
    }
    ping_run(dst, count, size, 10, 1000, &r);
    printf("NET PING %s %u/%u replies, %u bytes, rtt min %u avg %u max %u us\n", ip_str(dst, ip),
           r.received, r.sent, size, (unsigned)r.rtt_min_us,
           r.received ? (unsigned)(r.rtt_sum_us / r.received) : 0, (unsigned)r.rtt_max_us);
    check(r.sent == count && r.received == count && r.bad == 0, name,
          "%u sent, %u replies, %u with a wrong payload, %u late", r.sent, r.received, r.bad, r.late);
}

static void counters(void)
{
    const struct vnet_stats *v = &vnet_stats;
    const struct net_stats *n = &net_stats;
    printf("NET VNET rx %u frames %u bytes (short %u long %u badhdr %u) irqs %u polls %u refills %u posted %u;"
           " tx %u frames %u bytes full %u irqs %u timeouts %u\n",
           (unsigned)v->rx_frames, (unsigned)v->rx_bytes, (unsigned)v->rx_short, (unsigned)v->rx_long,
           (unsigned)v->rx_bad_hdr, (unsigned)v->rx_irqs, (unsigned)v->rx_polls, (unsigned)v->rx_refills,
           (unsigned)v->rx_posted, (unsigned)v->tx_frames, (unsigned)v->tx_bytes, (unsigned)v->tx_full,
           (unsigned)v->tx_irqs, (unsigned)v->tx_timeouts);
    printf("NET STACK eth %u notours %u badtype %u; arp in %u bad %u answered %u replies %u asked %u parked %u"
           " overwritten %u; ip in %u bad %u notours %u frag %u proto %u; icmp echo %u/%u replies %u bad %u;"
           " udp in %u bad %u noport %u out %u echoed %u; tx %u errors %u\n",
           (unsigned)n->rx_frames, (unsigned)n->rx_not_ours, (unsigned)n->rx_bad_type, (unsigned)n->arp_in,
           (unsigned)n->arp_bad, (unsigned)n->arp_req_answered, (unsigned)n->arp_replies_in,
           (unsigned)n->arp_req_out, (unsigned)n->arp_parked, (unsigned)n->arp_overwritten,
           (unsigned)n->ip_in, (unsigned)n->ip_bad, (unsigned)n->ip_not_ours, (unsigned)n->ip_frag,
           (unsigned)n->ip_bad_proto, (unsigned)n->icmp_echo_in, (unsigned)n->icmp_echo_out,
           (unsigned)n->icmp_replies_in, (unsigned)n->icmp_bad, (unsigned)n->udp_in, (unsigned)n->udp_bad,
           (unsigned)n->udp_no_port, (unsigned)n->udp_out, (unsigned)echoed, (unsigned)n->tx_frames,
           (unsigned)n->tx_errors);
}

/* Echo and control services until "quit", then the end-of-run checks. */
static void serve(const char *group)
{
    char name[64];
    udp_bind(ECHO_PORT, echo);
    udp_bind(CONTROL_PORT, control);
    printf("NET SERVING echo on %u, quit on %u\n", ECHO_PORT, CONTROL_PORT);
    while (!quit)
        net_wait_until(net_deadline_us(1000000));
    counters();
    snprintf(name, sizeof name, "%s/device-ok", group);
    check(!vnet_broken(), name, "the host marked the device broken");
    snprintf(name, sizeof name, "%s/rx-clean", group);
    check(!vnet_stats.rx_short && !vnet_stats.rx_long && !vnet_stats.rx_bad_hdr, name,
          "%u short, %u long, %u with a non-zero header", (unsigned)vnet_stats.rx_short,
          (unsigned)vnet_stats.rx_long, (unsigned)vnet_stats.rx_bad_hdr);
    snprintf(name, sizeof name, "%s/checksums", group);
    check(!net_stats.ip_bad && !net_stats.icmp_bad && !net_stats.udp_bad && !net_stats.arp_bad, name,
          "bad: ip %u icmp %u udp %u arp %u", (unsigned)net_stats.ip_bad, (unsigned)net_stats.icmp_bad,
          (unsigned)net_stats.udp_bad, (unsigned)net_stats.arp_bad);
    snprintf(name, sizeof name, "%s/tx", group);
    check(!vnet_stats.tx_timeouts && !net_stats.tx_errors, name, "%u transmit timeouts, %u errors",
          (unsigned)vnet_stats.tx_timeouts, (unsigned)net_stats.tx_errors);
}

void test_net(void)
{
    if (net_up("net") < 0)
        return;
    u32 wire = option_ip("ping"), more[2] = { option_ip("ping2"), option_ip("ping3") };
    if (wire)
        ping_check("net/ping-out", wire, 5, 56);
    /* ping2=, ping3=: more peers (other guests) to ping, as net/ping-out-2, -3 */
    for (unsigned i = 0; i < 2; i++) {
        char name[24];
        snprintf(name, sizeof name, "net/ping-out-%u", i + 2);
        if (more[i])
            ping_check(name, more[i], 5, 56);
    }
    serve("net");
}

/* The UDP exchange of test=netpeer: datagram i has size_of(i) bytes,
 * starting with i and ~i, then a pattern of i. */
static struct {
    u32 peer, sent, received, bad, dup, stray;
    u8 done[MAX_COUNT / 8];
} x;

static unsigned size_of(u32 i) { return i % 10 == 0 ? UDP_MAX_PAYLOAD : 8 + (i * 7919) % (UDP_MAX_PAYLOAD - 7); }
static u8 byte_of(u32 i, unsigned j) { return (u8)(i * 13 + j); }

static void fill(u8 *b, u32 i)
{
    unsigned n = size_of(i);
    put32(b, i);
    put32(b + 4, ~i);
    for (unsigned j = 8; j < n; j++)
        b[j] = byte_of(i, j);
}

static void client_rx(u32 src, u16 sport, u16 dport, const u8 *d, unsigned len)
{
    if (src != x.peer || sport != ECHO_PORT || len < 8) {
        x.stray++;
        return;
    }
    u32 i = get32(d);
    if (i >= x.sent || get32(d + 4) != ~i) {
        x.bad++;
        return;
    }
    if (x.done[i / 8] & 1u << (i % 8)) {
        x.dup++;
        return;
    }
    x.done[i / 8] |= (u8)(1u << (i % 8));
    int ok = len == size_of(i);
    for (unsigned j = 8; ok && j < len; j++)
        ok = d[j] == byte_of(i, j);
    if (ok)
        x.received++;
    else
        x.bad++;
}

static void udp_exchange(u32 count)
{
    static u8 buf[UDP_MAX_PAYLOAD];
    char ip[16];
    udp_bind(CLIENT_PORT, client_rx);
    u64 t0 = rdtsc(), bytes = 0;
    u64 stall = net_deadline_us(STALL_US);
    u32 last = 0;
    while (x.received + x.bad < count) {
        while (x.sent < count && x.sent - (x.received + x.bad) < WINDOW) {
            fill(buf, x.sent);
            bytes += size_of(x.sent);
            x.sent++;
            if (udp_send(x.peer, CLIENT_PORT, ECHO_PORT, buf, size_of(x.sent - 1)) < 0)
                x.bad++;
        }
        if (x.received + x.bad != last) {
            last = x.received + x.bad;
            stall = net_deadline_us(STALL_US);
        } else if (rdtsc() > stall) {
            break;
        }
        net_wait_until(stall);
    }
    u32 us = cycles_to_us(rdtsc() - t0);
    udp_unbind(CLIENT_PORT);
    printf("NET UDP %s: %u sent, %u echoed intact, %u bad, %u duplicates, %u stray; %u bytes each way in %u ms"
           " (%u datagrams/s)\n",
           ip_str(x.peer, ip), (unsigned)x.sent, (unsigned)x.received, (unsigned)x.bad, (unsigned)x.dup,
           (unsigned)x.stray, (unsigned)bytes, (unsigned)(us / 1000),
           us ? (unsigned)((u64)x.received * 1000000 / us) : 0);
    check(x.received == count && !x.bad && !x.dup, "netpeer/udp", "%u of %u echoed intact, %u bad, %u lost",
          (unsigned)x.received, (unsigned)count, (unsigned)x.bad, (unsigned)(count - x.received - x.bad));
}

void test_netpeer(void)
{
    u32 count = boot_option_u32("count", 1000);
    if (count > MAX_COUNT)
        count = MAX_COUNT;
    if (net_up("netpeer") < 0)
        return;
    x.peer = option_ip("peer");
    if (!check(x.peer != 0, "netpeer/peer", "no peer= on the command line"))
        return;
    u8 mac[ETH_ALEN];
    /* The peer may still be booting: ask for a minute. */
    if (!check(arp_resolve(x.peer, mac, 60000) == 0, "netpeer/arp", "the peer never answered ARP"))
        return;
    ping_check("netpeer/ping", x.peer, 20, 56);
    ping_check("netpeer/ping-large", x.peer, 5, ETH_MTU - IP_HLEN - 8);
    udp_exchange(count);
    serve("netpeer");
}
