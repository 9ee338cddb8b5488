/* The learning switch between guests' network devices and the wire (the
 * e1000): unicast goes to the port its destination was last seen on,
 * broadcast, multicast and unknown destinations to every other port. */
#ifndef VIRTIO_NETSWITCH_H
#define VIRTIO_NETSWITCH_H
#include <stdbool.h>
#include <stdint.h>

#define NETSW_WIRE 0u
#define ETH_MIN 14u
#define ETH_MAX 1514u           /* no FCS, no VLAN tag room: 1500-byte MTU */

struct guest;
/* Port n + 1 belongs to guests[n]. */

/* A frame entering the switch on port (NETSW_WIRE or a guest's port). A
 * frame for the wire is queued on the e1000; netsw_flush hands the batch
 * over. */
void netsw_input(uint32_t port, const uint8_t *frame, uint32_t len);
void netsw_flush(void);
/* Whether a frame from port can be delivered now: false when it is
 * unicast to a port whose ring (the e1000's TX ring, or a guest's receive
 * buffers and backlog) is full. Then *dest says which port to wait for. */
bool netsw_room(uint32_t port, const uint8_t *frame, uint32_t *dest);
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
