/* A minimal IPv4 stack over the virtio-net driver: Ethernet, ARP (requests,
 * replies, a small cache), IPv4 without fragments or routing (everything
 * is on the link), ICMP echo both ways, UDP with per-port handlers.
 *
 * Single-threaded by design: received frames are handled in net_poll, on
 * the caller's stack, outside interrupt context; handlers may send but
 * must not poll. Sending never waits for the network: a packet to an
 * address not yet resolved is parked on its ARP entry (one per entry, as
 * Linux's arp_queue with a length of 1) and goes out when the reply comes.
 *
 * Files: net.c (interface, options, Ethernet, polling, checksums), arp.c,
 * ipv4.c (with ICMP), udp.c, ping.c (the echo client). Addresses are u32
 * in host byte order; the wire is big-endian. */
#ifndef GUEST_NET_H
#define GUEST_NET_H
#include "guest/layout.h"

#define ETH_ALEN        6
#define ETH_HLEN        14
#define ETH_MTU         1500
#define ETH_P_IP        0x0800
#define ETH_P_ARP       0x0806
#define IP_HLEN         20
#define IP_PROTO_ICMP   1
#define IP_PROTO_UDP    17
#define IP_PROTO_TCP    6
#define UDP_HLEN        8
#define UDP_MAX_PAYLOAD (ETH_MTU - IP_HLEN - UDP_HLEN)     /* 1472 */
#define ICMP_HLEN       8

struct net_stats {
    u32 rx_frames, rx_not_ours, rx_bad_type;        /* Ethernet */
    u32 arp_in, arp_bad, arp_req_answered, arp_replies_in, arp_req_out, arp_parked, arp_overwritten;
    u32 ip_in, ip_bad, ip_not_ours, ip_frag, ip_bad_proto;
    u32 icmp_echo_in, icmp_echo_out, icmp_replies_in, icmp_bad;
    u32 udp_in, udp_bad, udp_no_port, udp_out;
    u32 tcp_in, tcp_bad;
    u32 tx_frames, tx_errors;
};
extern struct net_stats net_stats;
extern u32 net_ip;                      /* 0 until configured */
extern u8 net_mac[ETH_ALEN];
extern const u8 eth_broadcast[ETH_ALEN];

/* Dotted quad -> address; 0 on a malformed string. */
int ip_parse(const char *s, u32 *ip);
/* Address -> dotted quad in buf (16 bytes), which is returned. */
char *ip_str(u32 ip, char *buf);
char *mac_str(const u8 *mac, char *buf);         /* 18 bytes */

/* vnet_init, then the address from ip= on the command line. 0 or -1. */
int net_init(void);
/* Handles the frames received so far; returns how many. */
unsigned net_poll(void);
/* net_poll; if nothing came, sleeps until something arrives or the
 * deadline (TSC). Callers loop on their own condition. */
void net_wait_until(u64 deadline_tsc);
/* Microseconds from now as a TSC deadline. */
u64 net_deadline_us(u64 us);

/* Between the stack's files. */
/* The Internet checksum: sum 16-bit big-endian words (an odd last byte is
 * padded with zero; only the last piece may be odd), then fold and
 * complement. A correct packet checksums to 0. */
u32 csum_partial(u32 sum, const void *data, unsigned len);
u16 csum_fold(u32 sum);
int eth_output(const u8 *dst, u16 type, u8 *frame, unsigned len);  /* fills the header */
/* The same with a virtio-net header (offloads; vnet.h), or 0 for none. */
int eth_output_hdr(const u8 *dst, u16 type, u8 *frame, unsigned len, const u8 *vhdr);
void arp_input(const u8 *frame, unsigned len);
void ipv4_input(const u8 *frame, unsigned len);
void udp_input(u32 src, u32 dst, const u8 *seg, unsigned len);
/* Fills the IP header in front of the payload (at frame + ETH_HLEN +
 * IP_HLEN) and sends it, resolving or parking on ARP. */
int ipv4_output(u32 dst, u8 proto, u8 *frame, unsigned payload_len);
/* The same to a known MAC, with a virtio-net header (a GSO one allows a
 * packet of up to 64 KiB). */
int ipv4_output_to(u32 dst, const u8 *mac, u8 proto, u8 *frame, unsigned payload_len, const u8 *vhdr);
/* TCP segments with a good checksum go to this hook (tests only). */
typedef void (*tcp_input_fn)(u32 src, const u8 *seg, unsigned len);
extern tcp_input_fn tcp_on_input;
/* Sends frame (IP packet after an empty Ethernet header) to ip's MAC, or
 * parks it and asks. */
int arp_output(u32 ip, u8 *frame, unsigned len);
static inline u16 get16(const u8 *p) { return (u16)(p[0] << 8 | p[1]); }
static inline u32 get32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }
static inline void put16(u8 *p, u16 v) { p[0] = (u8)(v >> 8); p[1] = (u8)v; }
static inline void put32(u8 *p, u32 v) { put16(p, (u16)(v >> 16)); put16(p + 2, (u16)v); }

/* ARP cache: what we know, and asking for it. */
int arp_lookup(u32 ip, u8 *mac);
void arp_request(u32 ip);
/* Asks every 250 ms until the MAC is known or timeout_ms ran out (polls
 * the network meanwhile). 0 or -1. */
int arp_resolve(u32 ip, u8 *mac, u32 timeout_ms);
/* One line per entry, printed. */
void arp_show(void);

/* UDP: handlers per local port, called from net_poll. */
typedef void (*udp_handler)(u32 src, u16 sport, u16 dport, const u8 *data, unsigned len);
int udp_bind(u16 port, udp_handler h);          /* 0, or -1 if taken / table full */
void udp_unbind(u16 port);
int udp_send(u32 dst, u16 sport, u16 dport, const void *data, unsigned len);

/* ICMP echo. Replies to our requests go to the hook (called from net_poll). */
typedef void (*icmp_reply_fn)(u32 src, u16 id, u16 seq, const u8 *data, unsigned len);
extern icmp_reply_fn icmp_on_reply;
int icmp_echo_request(u32 dst, u16 id, u16 seq, const void *data, unsigned len);

/* The ping client: count requests of size payload bytes, one at a time,
 * each waiting up to timeout_ms for its reply, interval_ms apart. */
struct ping_result {
    unsigned sent, received, bad, late;         /* bad: wrong payload; late: an old seq */
    u32 rtt_min_us, rtt_max_us;
    u64 rtt_sum_us;
};
int ping_run(u32 dst, unsigned count, unsigned size, u32 interval_ms, u32 timeout_ms,
             struct ping_result *r);
/* The payload byte i of request seq (the peer must echo it unchanged). */
static inline u8 ping_byte(u16 seq, unsigned i) { return (u8)(seq * 31 + i * 7 + (i >> 8)); }

#endif
