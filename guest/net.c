/* The stack's interface layer: configuration from the command line,
 * Ethernet in and out, the poll/wait loop, checksums. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/net.h"
#include "guest/vnet.h"
#include "guest/x86.h"

struct net_stats net_stats;
u32 net_ip;
u8 net_mac[ETH_ALEN];
const u8 eth_broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

int ip_parse(const char *s, u32 *ip)
{
    u32 v = 0;
    for (int i = 0; i < 4; i++) {
        char *end;
        if (*s < '0' || *s > '9')
            return 0;
        unsigned long b = strtoul(s, &end, 10);
        if (b > 255 || end == s || (i < 3 ? *end != '.' : *end != 0))
            return 0;
        v = v << 8 | (u32)b;
        s = end + 1;
    }
    *ip = v;
    return 1;
}

char *ip_str(u32 ip, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)(ip >> 16 & 255),
             (unsigned)(ip >> 8 & 255), (unsigned)(ip & 255));
    return buf;
}

char *mac_str(const u8 *m, char *buf)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

int net_init(void)
{
    char v[32];
    if (vnet_init() < 0)
        return -1;
    memcpy(net_mac, vnet_mac, ETH_ALEN);
    if (boot_option("ip", v, sizeof v) && !ip_parse(v, &net_ip))
        printf("net: bad ip=%s, no address\n", v);
    return 0;
}

u32 csum_partial(u32 sum, const void *data, unsigned len)
{
    const u8 *p = data;
    for (; len > 1; len -= 2, p += 2)
        sum += (u32)(p[0] << 8 | p[1]);
    if (len)
        sum += (u32)p[0] << 8;
    /* Fold now and then so a long buffer cannot overflow 32 bits. */
    return (sum & 0xffff) + (sum >> 16);
}

u16 csum_fold(u32 sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (u16)~sum;
}

int eth_output(const u8 *dst, u16 type, u8 *frame, unsigned len)
{
    return eth_output_hdr(dst, type, frame, len, 0);
}

int eth_output_hdr(const u8 *dst, u16 type, u8 *frame, unsigned len, const u8 *vhdr)
{
    memcpy(frame, dst, ETH_ALEN);
    memcpy(frame + ETH_ALEN, net_mac, ETH_ALEN);
    put16(frame + 12, type);
    if (vnet_send_hdr(frame, len, vhdr) < 0) {
        net_stats.tx_errors++;
        return -1;
    }
    net_stats.tx_frames++;
    return 0;
}

static void eth_input(const u8 *frame, unsigned len)
{
    net_stats.rx_frames++;
    /* The switch floods unknown unicast and multicast to every port. */
    if (memcmp(frame, net_mac, ETH_ALEN) != 0 && memcmp(frame, eth_broadcast, ETH_ALEN) != 0) {
        net_stats.rx_not_ours++;
        return;
    }
    switch (get16(frame + 12)) {
    case ETH_P_ARP:
        arp_input(frame, len);
        break;
    case ETH_P_IP:
        ipv4_input(frame, len);
        break;
    default:
        net_stats.rx_bad_type++;
    }
}

unsigned net_poll(void)
{
    unsigned n = 0, got;
    do {
        got = vnet_poll(eth_input, 64);
        n += got;
    } while (got == 64);
    return n;
}

void net_wait_until(u64 deadline_tsc)
{
    /* Whatever just arrived may be what the caller waits for. */
    if (net_poll() == 0)
        vnet_wait(deadline_tsc);
}

u64 net_deadline_us(u64 us) { return rdtsc() + us_to_cycles(us); }
