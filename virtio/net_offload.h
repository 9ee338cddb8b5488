/* The virtio-net header's offload fields (lguest-abi.md 9.5; virtio 0.9.5
 * appendix C): checking what a guest asks for, and doing the work in
 * software where nothing below does it: completing a partial checksum,
 * cutting a large TCP segment (GSO TCPV4) into MSS-sized frames. Pure
 * logic on a frame in hypervisor memory (unit-tested on the host:
 * tests/unit/test_net_offload.c). */
#ifndef VIRTIO_NET_OFFLOAD_H
#define VIRTIO_NET_OFFLOAD_H
#include <stdbool.h>
#include <stdint.h>

/* Feature bits. */
#define VNET_F_CSUM       0
#define VNET_F_GUEST_CSUM 1
#define VNET_F_GUEST_TSO4 7
#define VNET_F_HOST_TSO4  11
#define VNET_F_MRG_RXBUF  15

/* What the device offers unless net_offload=off: checksums both ways, TSO
 * from the guest (done by the e1000 or in software, whichever is below),
 * and to the guest (a large segment passed whole into big or merged
 * buffers, else cut in software). */
#define VNET_OFFERED_OFFLOADS (1u << VNET_F_CSUM | 1u << VNET_F_GUEST_CSUM | 1u << VNET_F_HOST_TSO4 | \
                               1u << VNET_F_GUEST_TSO4 | 1u << VNET_F_MRG_RXBUF)

#define VNET_HDR_F_NEEDS_CSUM 1
#define VNET_HDR_F_DATA_VALID 2
#define VNET_GSO_NONE  0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP   3
#define VNET_GSO_TCPV6 4
#define VNET_GSO_ECN   0x80

#define VNET_HDR_LEN 10
#define VNET_FRAME_MAX 1514u            /* a frame on the wire (1500-byte MTU, no FCS) */
#define VNET_GSO_MAX (14u + 65535u)     /* a GSO frame: Ethernet + the largest IPv4 packet */
#define VNET_GSO_SEGS_MAX 64u           /* more segments than this is refused */

struct vnet_hdr {
    uint8_t flags, gso_type;
    uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

/* Why a transmitted header is refused (each a counter in the monitor's
 * `net`); VNET_OK is 0. */
enum vnet_bad {
    VNET_OK,
    VNET_BAD_FLAGS,         /* a flag other than NEEDS_CSUM (DATA_VALID is the device's) */
    VNET_BAD_CSUM_NOFEAT,   /* NEEDS_CSUM without VIRTIO_NET_F_CSUM negotiated */
    VNET_BAD_CSUM_RANGE,    /* csum_start/csum_offset: the checksum field is not inside the frame */
    VNET_BAD_GSO_TYPE,      /* a gso_type that does not exist */
    VNET_BAD_GSO_NOFEAT,    /* a GSO type not negotiated (only HOST_TSO4 is offered) */
    VNET_BAD_ECN,           /* the ECN bit (HOST_ECN is not offered) */
    VNET_BAD_GSO_SIZE,      /* gso_size 0, too large for the MTU, or set without GSO */
    VNET_BAD_HDR_LEN,       /* hdr_len shorter than the headers or longer than the frame */
    VNET_BAD_GSO_FRAME,     /* GSO TCPV4 on a frame that is not plain IPv4 TCP, or no NEEDS_CSUM on the TCP field */
    VNET_BAD_GSO_LEN,       /* IP total length not the frame's, or more segments than allowed */
    VNET_BAD_LEN,           /* too long for what the header says it is */
    VNET_BAD_N
};
extern const char *const vnet_bad_name[VNET_BAD_N];

/* A GSO TCPV4 frame as vnet_hdr_check found it. */
struct vnet_gso {
    uint16_t ip_off, tcp_off, hdrs;     /* hdrs: Ethernet + IP + TCP header bytes */
    uint16_t mss, segs;
    uint32_t payload;
};

/* The header from the little-endian bytes a guest wrote. */
void vnet_hdr_parse(const uint8_t b[VNET_HDR_LEN], struct vnet_hdr *h);
void vnet_hdr_write(const struct vnet_hdr *h, uint8_t b[VNET_HDR_LEN]);
/* Whether the header is one a driver with these features may send with
 * this frame; for GSO also fills *gso. */
enum vnet_bad vnet_hdr_check(const struct vnet_hdr *h, const uint8_t *frame, uint32_t len, uint32_t features,
                             struct vnet_gso *gso);

/* The ones'-complement sum of 16-bit big-endian words, not folded or
 * complemented (an odd last byte is padded). */
uint32_t vnet_csum_add(uint32_t sum, const uint8_t *p, uint32_t len);
uint16_t vnet_csum_fold(uint32_t sum);
/* Does what NEEDS_CSUM asks (the field holds the pseudo-header sum):
 * sums from csum_start to the end and stores the complement at
 * csum_start + csum_offset. The header must have passed vnet_hdr_check. */
void vnet_csum_complete(uint8_t *frame, uint32_t len, uint16_t csum_start, uint16_t csum_offset);
/* Segment i (0..gso->segs-1) of a checked GSO TCPV4 frame into out (at
 * least hdrs + mss bytes): the headers with the IP length, id (+i) and
 * checksum and the TCP sequence number (+i * mss) of that segment, FIN and
 * PSH only on the last, CWR only on the first, and a full TCP checksum.
 * Returns its length. */
uint32_t vnet_tso_segment(const uint8_t *frame, const struct vnet_gso *gso, uint32_t i, uint8_t *out);
/* The TCP checksum field as a TSO engine wants it: the pseudo-header sum
 * of the addresses and protocol, without the length (each segment's is
 * added by the engine). */
void vnet_tso_seed(uint8_t *frame, const struct vnet_gso *gso);

#endif
