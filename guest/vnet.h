/* The virtio-net driver (lguest-abi.md 9.5), shaped like Linux 3.10's
 * virtio_net with small receive buffers: queue 0 receives, queue 1
 * transmits, every frame has the 10-byte header in front of it (12 bytes
 * with MRG_RXBUF, whose receive buffers are single 2 KiB segments that a
 * large frame spans).
 *
 * Receive: the ring is kept full of [header 10][frame 1518] buffers; the
 * RX interrupt only turns itself off and flags work, and the poll path
 * (vnet_poll, called by the stack outside interrupt context) hands the
 * frames up and refills the ring, like NAPI.
 * Transmit: each frame is copied into a buffer of its own; finished
 * buffers are reclaimed on the next transmit, and the TX interrupt is on
 * only while the queue is nearly full. */
#ifndef GUEST_VNET_H
#define GUEST_VNET_H
#include "guest/layout.h"

/* The header without num_buffers. On the ring it is 12 bytes with
 * MRG_RXBUF, and always in the 4.x build: virtio 1.0 (virtio-pci,
 * VERSION_1) has num_buffers even without MRG_RXBUF, and the device sets
 * it to 1 (vnet.c's hlen). */
#define VNET_HDR_LEN     10
#define VNET_FRAME_MAX   1518       /* 14 + 4 (VLAN tag) + 1500 */
#define VNET_F_CSUM       0
#define VNET_F_GUEST_CSUM 1
#define VNET_F_MAC        5
#define VNET_F_GUEST_TSO4 7
#define VNET_F_HOST_TSO4  11
#define VNET_F_MRG_RXBUF  15
#define VNET_F_STATUS     16
#define VNET_OFFLOADS     (1u << VNET_F_CSUM | 1u << VNET_F_GUEST_CSUM | 1u << VNET_F_HOST_TSO4 | \
                           1u << VNET_F_GUEST_TSO4 | 1u << VNET_F_MRG_RXBUF)
#define VNET_HDR_NEEDS_CSUM 1
#define VNET_HDR_DATA_VALID 2
#define VNET_GSO_TCPV4    1
#define VNET_LARGE_MAX    (14 + 65535)      /* a large TCP segment (HOST_TSO4) */

struct vnet_stats {
    u32 rx_frames, rx_bytes;
    u32 rx_short, rx_long;          /* dropped: used.len below 24 or above the buffer */
    u32 rx_bad_hdr;                 /* a header we did not allow (GSO, unknown flags, offsets outside) */
    u32 rx_partial, rx_valid;       /* NEEDS_CSUM completed here; DATA_VALID seen */
    u32 tx_large;                   /* large TCP segments sent (HOST_TSO4) */
    u32 rx_gso, rx_merged;          /* large segments received (GUEST_TSO4); frames over several buffers */
    u32 rx_irqs, rx_polls, rx_refills;
    u32 tx_frames, tx_bytes;
    u32 tx_full;                    /* a transmit found no room and had to wait */
    u32 tx_irqs, tx_timeouts;       /* timeouts: frames dropped after waiting 2 s for room */
    u32 rx_posted;                  /* RX buffers in the ring now */
};
extern struct vnet_stats vnet_stats;
extern u8 vnet_mac[6];

/* Finds the first net device, negotiates MAC and STATUS (and INDIRECT /
 * EVENT_IDX unless the command line says virtio=plain; CSUM, GUEST_CSUM,
 * HOST_TSO4, GUEST_TSO4 and MRG_RXBUF unless it says offload=off;
 * offload=nomrg: all but MRG_RXBUF, with small receive buffers all the
 * same, which a large segment does not fit), sets up both
 * queues, fills the receive ring, sets DRIVER_OK. 0, or -1 with a reason
 * printed. */
int vnet_init(void);
u32 vnet_features(void);            /* accepted feature bits */
int vnet_link_up(void);             /* config status bit 0 (up when STATUS is not negotiated) */
int vnet_broken(void);              /* the host stopped the device (status 0x40) */
int vnet_plain(void);               /* virtio=plain was given */

/* Hands up to budget received frames (Ethernet header first) to rx, then
 * refills the ring. Returns the number handed up. Not reentrant: rx must
 * not call vnet_poll. */
typedef void (*vnet_rx_fn)(const u8 *frame, unsigned len);
unsigned vnet_poll(vnet_rx_fn rx, unsigned budget);
/* Received frames are waiting (the RX interrupt came). */
int vnet_rx_pending(void);

/* Queues one frame (at most VNET_FRAME_MAX bytes) for transmission,
 * waiting (halted, up to 2 s) while the queue is full. 0, or -1. Called
 * with interrupts enabled (it may halt); returns with them enabled. */
int vnet_send(const void *frame, unsigned len);
/* The same with a virtio-net header of our own (NEEDS_CSUM; GSO for a
 * frame up to VNET_LARGE_MAX bytes, which goes in a large buffer). */
int vnet_send_hdr(const void *frame, unsigned len, const u8 hdr[VNET_HDR_LEN]);
/* Which offloads were accepted (VNET_F_* bits). */
int vnet_csum_offload(void);        /* CSUM: partial checksums may be sent */
int vnet_tso_offload(void);         /* HOST_TSO4: large TCP segments may be sent */
/* Tests only: when vnet_tx_hdr_on, transmitted frames carry this header
 * instead of the zero one (a driver claiming offloads it did not get). */
extern u8 vnet_tx_hdr[VNET_HDR_LEN];
extern int vnet_tx_hdr_on;

/* Sleeps until an interrupt (received frames, the TX queue waking, the
 * timer) or the TSC deadline; returns at once when frames are pending or
 * the deadline has passed. Called and returns with interrupts enabled. */
void vnet_wait(u64 deadline_tsc);

#endif
