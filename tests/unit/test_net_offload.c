/* sources: virtio/net_offload.c */
/* The virtio-net offload checks and their software fallbacks. Checksums
 * are verified here by an independent straightforward RFC 1071 sum (not
 * the module's), and segments by reassembling their payloads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "virtio/net_offload.h"
#include "tests/unit/check.h"

#define ALL (1u << VNET_F_CSUM | 1u << VNET_F_HOST_TSO4)

static uint8_t frame[VNET_GSO_MAX + 16];
static uint8_t seg[2048];

/* The checksum a receiver computes: 0 means correct. */
static uint16_t rfc1071(const uint8_t *p, uint32_t n, uint32_t seed)
{
    uint32_t s = seed;
    for (uint32_t i = 0; i < n; i++)
        s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return (uint16_t)~s;
}

static uint32_t pseudo_sum(const uint8_t *ip, uint8_t proto, uint32_t len)
{
    uint32_t s = 0;
    for (int i = 12; i < 20; i += 2)
        s += (uint32_t)ip[i] << 8 | ip[i + 1];
    return s + proto + len;
}

static uint16_t g16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t g32(const uint8_t *p) { return (uint32_t)g16(p) << 16 | g16(p + 2); }
static void p16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* Ethernet + IPv4 (20) + proto header, payload of n bytes: total length. */
static uint32_t build(uint8_t proto, uint32_t n, uint8_t tcp_flags)
{
    uint32_t l4 = proto == 6 ? 20 : 8, len = 14 + 20 + l4 + n;
    memset(frame, 0, 14 + 20 + l4);
    memcpy(frame, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00", 14);
    uint8_t *ip = frame + 14, *t = ip + 20;
    ip[0] = 0x45;
    p16(ip + 2, len - 14);
    p16(ip + 4, 0x1234);
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, "\x0a\0\0\x01\x0a\0\0\x02", 8);
    p16(t, 4000);
    p16(t + 2, 5000);
    if (proto == 6) {
        p16(t + 4, 0xFFFF);             /* sequence 0xFFFFF000: wraps */
        p16(t + 6, 0xF000);
        t[12] = 5 << 4;
        t[13] = tcp_flags;
        p16(t + 14, 8192);
    } else {
        p16(t + 4, 8 + n);
    }
    for (uint32_t i = 0; i < n; i++)
        frame[14 + 20 + l4 + i] = (uint8_t)(i * 7 + (i >> 8));
    return len;
}

static struct vnet_hdr tso_hdr(uint16_t mss)
{
    return (struct vnet_hdr){ VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 54, mss, 34, 16 };
}

static void udp_partial_checksum(void)
{
    uint32_t len = build(17, 333, 0);
    uint8_t *ip = frame + 14;
    /* as Linux leaves it: the pseudo-header sum, not complemented */
    p16(ip + 20 + 6, (uint16_t)~rfc1071(0, 0, pseudo_sum(ip, 17, 8 + 333)));
    struct vnet_hdr h = { VNET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 6 };
    struct vnet_gso g;
    CHECK_EQ(vnet_hdr_check(&h, frame, len, ALL, &g), VNET_OK);
    vnet_csum_complete(frame, len, 34, 6);
    CHECK(g16(ip + 26) != 0);
    CHECK_EQ(rfc1071(ip + 20, 8 + 333, pseudo_sum(ip, 17, 8 + 333)), 0);
}

static void tso_segments_reassemble(void)
{
    const uint32_t n = 20000, mss = 1460;
    uint32_t len = build(6, n, 0x18 | 0x01 | 0x80);     /* PSH ACK FIN CWR */
    static uint8_t payload[20000];
    memcpy(payload, frame + 54, n);
    struct vnet_hdr h = tso_hdr(mss);
    struct vnet_gso g;
    CHECK_EQ(vnet_hdr_check(&h, frame, len, ALL, &g), VNET_OK);
    CHECK_EQ(g.segs, (n + mss - 1) / mss);
    CHECK_EQ(g.hdrs, 54);
    static uint8_t got[20000];
    uint32_t at = 0;
    for (uint32_t i = 0; i < g.segs; i++) {
        uint32_t l = vnet_tso_segment(frame, &g, i, seg);
        uint8_t *ip = seg + 14, *t = ip + 20;
        uint32_t chunk = i + 1 < g.segs ? mss : n - i * mss;
        CHECK_EQ(l, 54 + chunk);
        CHECK_EQ(g16(ip + 2), l - 14);
        CHECK_EQ(g16(ip + 4), 0x1234 + i);
        CHECK_EQ(rfc1071(ip, 20, 0), 0);
        CHECK_EQ(rfc1071(t, l - 34, pseudo_sum(ip, 6, l - 34)), 0);
        CHECK_EQ(g32(t + 4), 0xFFFFF000u + at);
        CHECK_EQ(t[13] & 0x01, i + 1 == g.segs ? 1 : 0);
        CHECK_EQ(t[13] & 0x08, i + 1 == g.segs ? 8 : 0);
        CHECK_EQ(t[13] & 0x80, i == 0 ? 0x80 : 0);
        CHECK_EQ(t[13] & 0x10, 0x10);
        memcpy(got + at, seg + 54, chunk);
        at += chunk;
    }
    CHECK_EQ(at, n);
    CHECK(memcmp(got, payload, n) == 0);
}

static void tso_seed_is_pseudo_without_length(void)
{
    uint32_t len = build(6, 3000, 0x10);
    struct vnet_hdr h = tso_hdr(1000);
    struct vnet_gso g;
    CHECK_EQ(vnet_hdr_check(&h, frame, len, ALL, &g), VNET_OK);
    vnet_tso_seed(frame, &g);
    CHECK_EQ(g16(frame + 50), (uint16_t)~rfc1071(0, 0, pseudo_sum(frame + 14, 6, 0)));
}

static enum vnet_bad try(struct vnet_hdr h, uint32_t len, uint32_t features)
{
    struct vnet_gso g;
    return vnet_hdr_check(&h, frame, len, features, &g);
}

static void bad_headers(void)
{
    uint32_t u = build(17, 100, 0);
    struct vnet_hdr csum = { VNET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 6 };
    CHECK_EQ(try(csum, u, 0), VNET_BAD_CSUM_NOFEAT);
    CHECK_EQ(try((struct vnet_hdr){ 1, 0, 0, 0, 34, 200 }, u, ALL), VNET_BAD_CSUM_RANGE);
    CHECK_EQ(try((struct vnet_hdr){ 1, 0, 0, 0, 60000, 60000 }, u, ALL), VNET_BAD_CSUM_RANGE);
    CHECK_EQ(try((struct vnet_hdr){ 1, 0, 0, 0, (uint16_t)(u - 1), 0 }, u, ALL), VNET_BAD_CSUM_RANGE);
    CHECK_EQ(try((struct vnet_hdr){ 1, 0, 0, 0, 4, 0 }, u, ALL), VNET_BAD_CSUM_RANGE);
    CHECK_EQ(try((struct vnet_hdr){ 1, 0, 0, 0, (uint16_t)(u - 2), 0 }, u, ALL), VNET_OK);
    CHECK_EQ(try((struct vnet_hdr){ 2, 0, 0, 0, 0, 0 }, u, ALL), VNET_BAD_FLAGS);
    CHECK_EQ(try((struct vnet_hdr){ 0x80, 0, 0, 0, 0, 0 }, u, ALL), VNET_BAD_FLAGS);
    CHECK_EQ(try((struct vnet_hdr){ 0, 0, 0, 100, 0, 0 }, u, ALL), VNET_BAD_GSO_SIZE);
    CHECK_EQ(try((struct vnet_hdr){ 0, 0, 2000, 0, 0, 0 }, u, ALL), VNET_BAD_HDR_LEN);
    CHECK_EQ(try((struct vnet_hdr){ 0, 0x7f, 0, 0, 0, 0 }, u, ALL), VNET_BAD_GSO_TYPE);
    CHECK_EQ(try((struct vnet_hdr){ 0, 2, 0, 0, 0, 0 }, u, ALL), VNET_BAD_GSO_TYPE);
    CHECK_EQ(try((struct vnet_hdr){ 1, 3, 42, 1000, 34, 6 }, u, ALL), VNET_BAD_GSO_NOFEAT);
    CHECK_EQ(try((struct vnet_hdr){ 1, 4, 74, 1000, 34, 6 }, u, ALL), VNET_BAD_GSO_NOFEAT);
    CHECK_EQ(try((struct vnet_hdr){ 0, 0x80, 0, 0, 0, 0 }, u, ALL), VNET_BAD_ECN);
    CHECK_EQ(try((struct vnet_hdr){ 0, 0, 0, 0, 0, 0 }, VNET_FRAME_MAX + 1, ALL), VNET_BAD_LEN);
    CHECK_EQ(try(tso_hdr(1000), u, ALL), VNET_BAD_GSO_FRAME);          /* UDP, not TCP */

    uint32_t t = build(6, 5000, 0x10);
    CHECK_EQ(try(tso_hdr(1000), t, ALL), VNET_OK);
    CHECK_EQ(try(tso_hdr(1000), t, 1u << VNET_F_CSUM), VNET_BAD_GSO_NOFEAT);
    CHECK_EQ(try((struct vnet_hdr){ 1, 0x81, 54, 1000, 34, 16 }, t, ALL), VNET_BAD_ECN);
    CHECK_EQ(try(tso_hdr(0), t, ALL), VNET_BAD_GSO_SIZE);
    CHECK_EQ(try(tso_hdr(1461), t, ALL), VNET_BAD_GSO_SIZE);
    CHECK_EQ(try(tso_hdr(1460), t, ALL), VNET_OK);
    CHECK_EQ(try(tso_hdr(10), t, ALL), VNET_BAD_GSO_LEN);              /* 500 segments */
    CHECK_EQ(try((struct vnet_hdr){ 1, 1, 40, 1000, 34, 16 }, t, ALL), VNET_BAD_HDR_LEN);
    CHECK_EQ(try((struct vnet_hdr){ 1, 1, 6000, 1000, 34, 16 }, t, ALL), VNET_BAD_HDR_LEN);
    CHECK_EQ(try((struct vnet_hdr){ 0, 1, 54, 1000, 0, 0 }, t, ALL), VNET_BAD_GSO_FRAME);
    CHECK_EQ(try((struct vnet_hdr){ 1, 1, 54, 1000, 34, 6 }, t, ALL), VNET_BAD_GSO_FRAME);
    CHECK_EQ(try(tso_hdr(1000), t - 1, ALL), VNET_BAD_GSO_LEN);        /* IP length says more */
    p16(frame + 14 + 6, 0x2000);                                        /* MF: a fragment */
    CHECK_EQ(try(tso_hdr(1000), t, ALL), VNET_BAD_GSO_FRAME);
    build(6, 5000, 0x10);
    frame[14 + 20 + 12] = 4 << 4;                                       /* TCP header of 16 bytes */
    CHECK_EQ(try(tso_hdr(1000), t, ALL), VNET_BAD_GSO_FRAME);
    build(6, 5000, 0x10);
    frame[14] = 0x44;                                                   /* IHL 4 */
    CHECK_EQ(try(tso_hdr(1000), t, ALL), VNET_BAD_GSO_FRAME);
    uint32_t big = build(6, 65535 - 40, 0x10);
    CHECK_EQ(try(tso_hdr(1460), big, ALL), VNET_OK);
    CHECK_EQ(try(tso_hdr(1460), big + 1, ALL), VNET_BAD_LEN);
}

static void header_bytes_round_trip(void)
{
    const uint8_t b[VNET_HDR_LEN] = { 1, 1, 54, 0, 0xB4, 0x05, 34, 0, 16, 0 };
    struct vnet_hdr h;
    uint8_t out[VNET_HDR_LEN];
    vnet_hdr_parse(b, &h);
    CHECK_EQ(h.hdr_len, 54);
    CHECK_EQ(h.gso_size, 1460);
    CHECK_EQ(h.csum_start, 34);
    CHECK_EQ(h.csum_offset, 16);
    vnet_hdr_write(&h, out);
    CHECK(memcmp(b, out, sizeof b) == 0);
}

int main(void)
{
    RUN(udp_partial_checksum);
    RUN(tso_segments_reassemble);
    RUN(tso_seed_is_pseudo_without_length);
    RUN(bad_headers);
    RUN(header_bytes_round_trip);
    return CHECK_EXIT_STATUS();
}
