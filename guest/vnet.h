/* The virtio-net driver (lguest-abi.md 9.5), shaped like Linux 3.10's
 * virtio_net with small receive buffers: queue 0 receives, queue 1
 * transmits, every frame has the 10-byte header in front of it.
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

/* virtio 1.0 (the 4.x build's virtio-pci, VERSION_1) adds num_buffers to
 * the header even without MRG_RXBUF; the device sets it to 1. */
#ifdef LG_GEN4
#define VNET_HDR_LEN     12
#else
#define VNET_HDR_LEN     10
#endif
#define VNET_FRAME_MAX   1518       /* 14 + 4 (VLAN tag) + 1500 */
#define VNET_F_MAC       5
#define VNET_F_STATUS    16

struct vnet_stats {
    u32 rx_frames, rx_bytes;
    u32 rx_short, rx_long;          /* dropped: used.len below 24 or above the buffer */
    u32 rx_bad_hdr;                 /* header not all zero, num_buffers 1 with VERSION_1 (no offloads) */
    u32 rx_irqs, rx_polls, rx_refills;
    u32 tx_frames, tx_bytes;
    u32 tx_full;                    /* a transmit found no room and had to wait */
    u32 tx_irqs, tx_timeouts;       /* timeouts: frames dropped after waiting 2 s for room */
    u32 rx_posted;                  /* RX buffers in the ring now */
};
extern struct vnet_stats vnet_stats;
extern u8 vnet_mac[6];

/* Finds the first net device, negotiates MAC and STATUS (and INDIRECT /
 * EVENT_IDX unless the command line says virtio=plain), sets up both
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
/* Tests only: when vnet_tx_hdr_on, transmitted frames carry this header
 * instead of the zero one (a driver claiming offloads it did not get). */
extern u8 vnet_tx_hdr[VNET_HDR_LEN];
extern int vnet_tx_hdr_on;

/* Sleeps until an interrupt (received frames, the TX queue waking, the
 * timer) or the TSC deadline; returns at once when frames are pending or
 * the deadline has passed. Called and returns with interrupts enabled. */
void vnet_wait(u64 deadline_tsc);

#endif
