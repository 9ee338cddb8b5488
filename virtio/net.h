#ifndef VIRTIO_NET_H
#define VIRTIO_NET_H
#include <stdint.h>
struct guest;
/* A frame from the switch for g's network device: delivered into a
 * receive buffer now, or queued until the guest posts one, or dropped
 * (counted) when the queue is full or the device is not running. */
void vnet_receive(struct guest *g, const uint8_t *frame, uint32_t len);
/* The stable default address of a guest without mac=: 02:4c:47 ("LG",
 * locally administered) and three bytes hashed from its name. */
void vnet_default_mac(const char *name, uint8_t mac[6]);
#endif
