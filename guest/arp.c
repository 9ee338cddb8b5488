/* ARP for IPv4 over Ethernet (RFC 826): answer who-has for our address,
 * learn from what is addressed to us, ask for what we need to send to.
 * The cache never expires entries (a test network does not renumber);
 * when full, the least recently used entry makes room. */
#include <stdio.h>
#include <string.h>
#include "guest/net.h"
#include "guest/x86.h"

#define ARP_ENTRIES   16
#define ARP_LEN       28
#define ARP_REQUEST   1
#define ARP_REPLY     2
#define ASK_EVERY_US  100000    /* at most one request per entry this often */

enum { FREE, INCOMPLETE, RESOLVED };

struct arp_entry {
    u32 ip;
    u8 mac[ETH_ALEN];
    u8 state;
    u64 used, asked;            /* TSC */
    unsigned parked_len;        /* a frame waiting for the MAC, or 0 */
    u8 parked[ETH_HLEN + ETH_MTU];
};

static struct arp_entry cache[ARP_ENTRIES];

static struct arp_entry *find(u32 ip)
{
    for (unsigned i = 0; i < ARP_ENTRIES; i++)
        if (cache[i].state != FREE && cache[i].ip == ip)
            return &cache[i];
    return 0;
}

/* A fresh entry for ip: a free one, else the least recently used. */
static struct arp_entry *make(u32 ip, u8 state)
{
    struct arp_entry *e = &cache[0];
    for (unsigned i = 0; i < ARP_ENTRIES; i++) {
        if (cache[i].state == FREE) {
            e = &cache[i];
            break;
        }
        if (cache[i].used < e->used)
            e = &cache[i];
    }
    memset(e, 0, sizeof *e - sizeof e->parked);
    e->ip = ip;
    e->state = state;
    e->used = rdtsc();
    return e;
}

static void send_arp(u16 op, const u8 *eth_dst, const u8 *tha, u32 tpa)
{
    u8 f[ETH_HLEN + ARP_LEN];
    u8 *a = f + ETH_HLEN;
    put16(a, 1);                /* Ethernet */
    put16(a + 2, ETH_P_IP);
    a[4] = ETH_ALEN;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, net_mac, ETH_ALEN);
    put32(a + 14, net_ip);
    memcpy(a + 18, tha, ETH_ALEN);
    put32(a + 24, tpa);
    eth_output(eth_dst, ETH_P_ARP, f, sizeof f);
}

void arp_request(u32 ip)
{
    static const u8 unknown[ETH_ALEN];
    net_stats.arp_req_out++;
    send_arp(ARP_REQUEST, eth_broadcast, unknown, ip);
}

/* The MAC of an entry became known: send what waited for it. */
static void resolved(struct arp_entry *e, const u8 *mac)
{
    memcpy(e->mac, mac, ETH_ALEN);
    e->state = RESOLVED;
    if (e->parked_len) {
        unsigned len = e->parked_len;
        e->parked_len = 0;
        eth_output(e->mac, ETH_P_IP, e->parked, len);
    }
}

void arp_input(const u8 *frame, unsigned len)
{
    const u8 *a = frame + ETH_HLEN;
    net_stats.arp_in++;
    if (len < ETH_HLEN + ARP_LEN || get16(a) != 1 || get16(a + 2) != ETH_P_IP || a[4] != ETH_ALEN ||
        a[5] != 4) {
        net_stats.arp_bad++;
        return;
    }
    u16 op = get16(a + 6);
    const u8 *sha = a + 8;
    u32 spa = get32(a + 14), tpa = get32(a + 24);
    /* RFC 826's merge: refresh what we know about the sender; learn it
     * only when the packet is for us (we will talk back to it). */
    struct arp_entry *e = find(spa);
    int for_us = net_ip && tpa == net_ip;
    if (!e && for_us && spa)
        e = make(spa, INCOMPLETE);
    if (e && spa)
        resolved(e, sha);
    if (!for_us)
        return;
    if (op == ARP_REQUEST) {
        net_stats.arp_req_answered++;
        send_arp(ARP_REPLY, sha, sha, spa);
    } else if (op == ARP_REPLY) {
        net_stats.arp_replies_in++;
    }
}

int arp_lookup(u32 ip, u8 *mac)
{
    struct arp_entry *e = find(ip);
    if (!e || e->state != RESOLVED)
        return 0;
    memcpy(mac, e->mac, ETH_ALEN);
    return 1;
}

int arp_output(u32 ip, u8 *frame, unsigned len)
{
    if (ip == 0xffffffff)
        return eth_output(eth_broadcast, ETH_P_IP, frame, len);
    struct arp_entry *e = find(ip);
    u64 now = rdtsc();
    if (e && e->state == RESOLVED) {
        e->used = now;
        return eth_output(e->mac, ETH_P_IP, frame, len);
    }
    if (!e)
        e = make(ip, INCOMPLETE);
    if (e->parked_len)
        net_stats.arp_overwritten++;
    memcpy(e->parked, frame, len);
    e->parked_len = len;
    net_stats.arp_parked++;
    if (!e->asked || now - e->asked > us_to_cycles(ASK_EVERY_US)) {
        e->asked = now;
        arp_request(ip);
    }
    return 0;
}

int arp_resolve(u32 ip, u8 *mac, u32 timeout_ms)
{
    u64 deadline = net_deadline_us((u64)timeout_ms * 1000), next = 0;
    for (;;) {
        net_poll();
        if (arp_lookup(ip, mac))
            return 0;
        u64 now = rdtsc();
        if (now >= deadline)
            return -1;
        if (now >= next) {
            arp_request(ip);
            next = now + us_to_cycles(250000);
        }
        net_wait_until(next < deadline ? next : deadline);
    }
}

void arp_show(void)
{
    char ip[16], mac[18];
    unsigned n = 0;
    for (unsigned i = 0; i < ARP_ENTRIES; i++) {
        struct arp_entry *e = &cache[i];
        if (e->state == FREE)
            continue;
        n++;
        printf("arp: %s at %s%s\n", ip_str(e->ip, ip),
               e->state == RESOLVED ? mac_str(e->mac, mac) : "(incomplete)",
               e->parked_len ? ", 1 packet waiting" : "");
    }
    if (!n)
        printf("arp: cache empty\n");
}
