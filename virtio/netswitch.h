/* The learning switch between guests' network devices and the wire (the
 * e1000): unicast goes to the port its destination was last seen on,
 * broadcast, multicast and unknown destinations to every other port. */
#ifndef VIRTIO_NETSWITCH_H
#define VIRTIO_NETSWITCH_H
#include <stdbool.h>
#include <stdint.h>
#include "virtio/net_offload.h"

#define NETSW_WIRE 0u
#define ETH_MIN 14u
#define ETH_MAX 1514u           /* no FCS, no VLAN tag room: 1500-byte MTU */

struct guest;
/* Port n + 1 belongs to guests[n]. */

/* A frame crossing the switch and the work it still needs: h is the
 * sending guest's checked header (all zero from the wire), gso what
 * vnet_hdr_check found when h.gso_type is TCPV4 (then the frame may be up
 * to VNET_GSO_MAX bytes). Each output does what its port cannot: the
 * e1000's offloads or software for the wire (virtio/net_wire.c), the
 * receiving guest's features decide for a guest (virtio/net.c). frame is
 * the switch's to change for a moment, never for good (it may be flooded). */
struct netsw_pkt {
    uint8_t *frame;
    uint32_t len;
    struct vnet_hdr h;
    struct vnet_gso gso;
    bool csum_ok;               /* from the wire: the NIC found its TCP/UDP checksum right */
};
/* Sends a packet on the e1000, doing the work it asks for (virtio/net_wire.c);
 * 0 or -1 (ring full). net_wire_need: the e1000 descriptors it takes. */
int net_wire_send(struct netsw_pkt *p, struct guest *src);
uint32_t net_wire_need(const struct netsw_pkt *p);

/* A frame entering the switch on port (NETSW_WIRE or a guest's port). A
 * frame for the wire is queued on the e1000; netsw_flush hands the batch
 * over. */
void netsw_input(uint32_t port, struct netsw_pkt *p);
void netsw_flush(void);
/* Whether a frame from port can be delivered now: false when it is
 * unicast to a port whose ring (the e1000's TX ring, or a guest's receive
 * buffers and backlog) is full. Then *dest says which port to wait for. */
bool netsw_room(uint32_t port, const struct netsw_pkt *p, uint32_t *dest);
/* A port has room again (a guest posted receive buffers): whatever waits
 * for it, the wire or other guests' transmit queues, goes on. */
void netsw_room_on(uint32_t port);
/* Takes what the wire has brought (the scheduler calls it when the NIC
 * interrupted), and passes on a link change or room in the TX ring. */
void netsw_poll_wire(void);
/* Forgets what was learned on a port (its guest stopped or restarted). */
void netsw_forget(uint32_t port);

struct netsw_stats {
    uint64_t switched, flooded, to_wire, from_wire;
    uint64_t bad_len, no_uplink, wire_full;     /* dropped, by why */
    uint64_t wire_held;                         /* polls that left frames in the NIC's ring */
};
extern struct netsw_stats netsw_stats;

#endif
