#ifndef VIRTIO_NET_H
#define VIRTIO_NET_H
#include <stdbool.h>
#include <stdint.h>
struct guest;
struct netsw_pkt;
/* A frame from the switch for g's network device: written into a receive
 * buffer now, or queued until the guest posts one, or dropped (counted by
 * why) when the queue is full or the device is not running. The guest's
 * interrupt is raised by vnet_flush_rx, once per batch. */
void vnet_receive(struct guest *g, struct netsw_pkt *p);
void vnet_flush_rx(void);
/* Whether g can take one more frame now (a buffer or backlog room). */
bool vnet_has_room(struct guest *g);
/* Room has come on a switch port: guests whose transmit queue was held
 * for it go on. */
void vnet_room(uint32_t port);
/* Releases guests held longer than a receiver may take (netsw_poll_wire
 * calls it on every pass). */
void vnet_check_held(void);
/* After each exit of g (kernel/lguest/run.c): frames it queued without a
 * kick (EVENT_IDX lets it skip most) go now. */
void vnet_exit(struct guest *g);
/* vnet_exit has work to look for after g's exits (a read without the lock). */
bool vnet_watching(const struct guest *g);
/* What guests are told in VIRTIO_NET_S_LINK_UP: the uplink's link. */
bool vnet_link_up(void);
/* The uplink's link changed: every guest's config says so. */
void vnet_link_changed(void);
/* The monitor's `net` (virtio/net_report.c). */
void net_report(void);
/* The stable default address of a guest without mac=: 02:4c:47 ("LG",
 * locally administered) and three bytes hashed from its name. */
void vnet_default_mac(const char *name, uint8_t mac[6]);
#endif
