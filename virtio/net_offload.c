/* Checking and doing the virtio-net offloads: see net_offload.h. Every
 * offset a header gives is checked against the frame before anything is
 * read or written through it; the TCP/IP facts (RFC 791, 793, 1071) are
 * read from the frame itself, never taken from the header. */
#include <string.h>
#include "virtio/net_offload.h"

const char *const vnet_bad_name[VNET_BAD_N] = {
    [VNET_OK] = "ok",
    [VNET_BAD_FLAGS] = "bad flags",
    [VNET_BAD_CSUM_NOFEAT] = "csum not negotiated",
    [VNET_BAD_CSUM_RANGE] = "csum outside frame",
    [VNET_BAD_GSO_TYPE] = "unknown gso type",
    [VNET_BAD_GSO_NOFEAT] = "gso not negotiated",
    [VNET_BAD_ECN] = "ecn",
    [VNET_BAD_GSO_SIZE] = "bad gso size",
    [VNET_BAD_HDR_LEN] = "bad hdr len",
    [VNET_BAD_GSO_FRAME] = "gso not tcpv4",
    [VNET_BAD_GSO_LEN] = "gso bad length",
    [VNET_BAD_LEN] = "too long",
};

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define IP_TCP 6
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

void vnet_hdr_parse(const uint8_t b[VNET_HDR_LEN], struct vnet_hdr *h)
{
    h->flags = b[0];
    h->gso_type = b[1];
    h->hdr_len = le16(b + 2);
    h->gso_size = le16(b + 4);
    h->csum_start = le16(b + 6);
    h->csum_offset = le16(b + 8);
}

void vnet_hdr_write(const struct vnet_hdr *h, uint8_t b[VNET_HDR_LEN])
{
    const uint16_t v[4] = { h->hdr_len, h->gso_size, h->csum_start, h->csum_offset };
    b[0] = h->flags;
    b[1] = h->gso_type;
    for (int i = 0; i < 4; i++) {
        b[2 + 2 * i] = (uint8_t)v[i];
        b[3 + 2 * i] = (uint8_t)(v[i] >> 8);
    }
}

/* A GSO TCPV4 frame: Ethernet II carrying IPv4 (not a fragment) carrying
 * TCP, the checksum asked for on the TCP checksum field, the IP length
 * that of the frame, segments of at most the MTU. */
static enum vnet_bad check_tcpv4(const struct vnet_hdr *h, const uint8_t *f, uint32_t len, struct vnet_gso *g)
{
    if (len > VNET_GSO_MAX)
        return VNET_BAD_LEN;
    if (len < ETH_HLEN + 20 + 20 || get16(f + 12) != ETH_P_IP)
        return VNET_BAD_GSO_FRAME;
    const uint8_t *ip = f + ETH_HLEN;
    uint32_t ihl = (ip[0] & 15u) * 4;
    if (ip[0] >> 4 != 4 || ihl < 20 || ip[9] != IP_TCP || (get16(ip + 6) & 0x3FFF) != 0 ||
        ETH_HLEN + ihl + 20 > len)
        return VNET_BAD_GSO_FRAME;
    uint32_t tcp = ETH_HLEN + ihl, thl = (f[tcp + 12] >> 4) * 4u;
    if (thl < 20 || tcp + thl > len)
        return VNET_BAD_GSO_FRAME;
    if (!(h->flags & VNET_HDR_F_NEEDS_CSUM) || h->csum_start != tcp || h->csum_offset != 16)
        return VNET_BAD_GSO_FRAME;
    uint32_t hdrs = tcp + thl;
    if (h->hdr_len < hdrs || h->hdr_len > len)
        return VNET_BAD_HDR_LEN;
    if (h->gso_size == 0 || h->gso_size > VNET_FRAME_MAX - hdrs)
        return VNET_BAD_GSO_SIZE;
    uint32_t payload = len - hdrs;
    if (get16(ip + 2) != len - ETH_HLEN || payload == 0)
        return VNET_BAD_GSO_LEN;
    uint32_t segs = (payload + h->gso_size - 1) / h->gso_size;
    if (segs > VNET_GSO_SEGS_MAX)
        return VNET_BAD_GSO_LEN;
    *g = (struct vnet_gso){ .ip_off = ETH_HLEN, .tcp_off = (uint16_t)tcp, .hdrs = (uint16_t)hdrs,
                            .mss = h->gso_size, .segs = (uint16_t)segs, .payload = payload };
    return VNET_OK;
}

enum vnet_bad vnet_hdr_check(const struct vnet_hdr *h, const uint8_t *frame, uint32_t len, uint32_t features,
                             struct vnet_gso *gso)
{
    if (h->flags & ~VNET_HDR_F_NEEDS_CSUM)
        return VNET_BAD_FLAGS;
    uint8_t type = h->gso_type & (uint8_t)~VNET_GSO_ECN;
    if (type != VNET_GSO_NONE && type != VNET_GSO_TCPV4 && type != VNET_GSO_UDP && type != VNET_GSO_TCPV6)
        return VNET_BAD_GSO_TYPE;
    if (h->gso_type & VNET_GSO_ECN)
        return VNET_BAD_ECN;
    if (type != VNET_GSO_NONE && !(type == VNET_GSO_TCPV4 && (features & 1u << VNET_F_HOST_TSO4)))
        return VNET_BAD_GSO_NOFEAT;
    if (h->flags & VNET_HDR_F_NEEDS_CSUM) {
        if (!(features & 1u << VNET_F_CSUM))
            return VNET_BAD_CSUM_NOFEAT;
        if (h->csum_start < ETH_HLEN || (uint32_t)h->csum_start + h->csum_offset + 2 > len)
            return VNET_BAD_CSUM_RANGE;
    }
    if (type == VNET_GSO_TCPV4)
        return check_tcpv4(h, frame, len, gso);
    if (h->gso_size)
        return VNET_BAD_GSO_SIZE;
    if (h->hdr_len > len)
        return VNET_BAD_HDR_LEN;
    if (len > VNET_FRAME_MAX)
        return VNET_BAD_LEN;
    return VNET_OK;
}

uint32_t vnet_csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
    uint64_t s = sum;
    uint32_t i = 0;
    for (; i + 1 < len; i += 2)
        s += get16(p + i);
    if (i < len)
        s += (uint32_t)p[i] << 8;
    while (s >> 32)
        s = (s & 0xFFFFFFFFu) + (s >> 32);
    return (uint32_t)s;
}

uint16_t vnet_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

void vnet_csum_complete(uint8_t *frame, uint32_t len, uint16_t csum_start, uint16_t csum_offset)
{
    uint16_t c = vnet_csum_fold(vnet_csum_add(0, frame + csum_start, len - csum_start));
    /* 0 and 0xFFFF are the same in ones' complement; UDP reserves 0 for "none" */
    put16(frame + csum_start + csum_offset, c ? c : 0xFFFF);
}

static uint32_t pseudo(const uint8_t *ip, uint32_t tcp_len)
{
    return vnet_csum_add(0, ip + 12, 8) + IP_TCP + tcp_len;
}

uint32_t vnet_tso_segment(const uint8_t *frame, const struct vnet_gso *g, uint32_t i, uint8_t *out)
{
    uint32_t at = i * g->mss, chunk = g->payload - at < g->mss ? g->payload - at : g->mss;
    memcpy(out, frame, g->hdrs);
    memcpy(out + g->hdrs, frame + g->hdrs + at, chunk);
    uint8_t *ip = out + g->ip_off, *tcp = out + g->tcp_off;
    uint32_t len = g->hdrs + chunk, ihl = g->tcp_off - g->ip_off;
    put16(ip + 2, (uint16_t)(len - g->ip_off));
    put16(ip + 4, (uint16_t)(get16(ip + 4) + i));
    put16(ip + 10, 0);
    put16(ip + 10, vnet_csum_fold(vnet_csum_add(0, ip, ihl)));
    put32(tcp + 4, get32(tcp + 4) + at);
    if (i + 1 != g->segs)
        tcp[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
    if (i != 0)
        tcp[13] &= (uint8_t)~TCP_CWR;
    put16(tcp + 16, 0);
    put16(tcp + 16, vnet_csum_fold(vnet_csum_add(pseudo(ip, len - g->tcp_off), tcp, len - g->tcp_off)));
    return len;
}

void vnet_tso_seed(uint8_t *frame, const struct vnet_gso *g)
{
    uint16_t c = vnet_csum_fold(pseudo(frame + g->ip_off, 0));
    put16(frame + g->tcp_off + 16, (uint16_t)~c);
}
