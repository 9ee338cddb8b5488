/* A virtio device on a guest's lguest bus (lguest-abi.md 8): its
 * descriptor in the device page, its queues, its state, and the backend
 * that serves it. One guest has at most one device of each type. */
#ifndef VIRTIO_DEVICE_H
#define VIRTIO_DEVICE_H
#include <stdbool.h>
#include <stdint.h>
#include "virtio/vring.h"

#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG     4

#define VIRTIO_S_DRIVER_OK 0x04
#define VIRTIO_S_FAILED  0x80
#define VIRTIO_S_BROKEN  0x40   /* ours (virtio 1.0's NEEDS_RESET): we stopped it */

#define VIRTIO_F_INDIRECT  28
#define VIRTIO_F_EVENT_IDX 29

#define VDEV_QUEUES_MAX 2
#define VDEV_CONFIG_MAX 16
#define VIRTIO_F_VERSION_1 32      /* bit 0 of the high feature word */
#define VQ_NUM 256              /* entries per ring, as the reference Launcher */

struct guest;
struct vdevice;

struct vdev_ops {
    const char *name;
    void (*start)(struct guest *g, struct vdevice *d);      /* features are final */
    void (*reset)(struct guest *g, struct vdevice *d);      /* forget everything in flight */
    void (*kick)(struct guest *g, struct vdevice *d, uint32_t queue);
};

struct vqueue {
    struct vring ring;
    uint32_t gpa;               /* where the ring is: fixed when the page is built */
    uint32_t irq;
};

/* Virtio 1.0 over PCI (4.x guests, virtio/vpci.c): what the common
 * configuration holds for a queue and for the device. */
struct vqueue_modern {
    uint16_t size;              /* the driver may shrink it; a power of two */
    bool enabled;
    uint32_t desc[2], avail[2], used[2];    /* low and high halves as written */
};

struct vdev_modern {
    bool on;                    /* served through virtio-pci: status and config live here */
    uint8_t status, isr, config_gen;
    uint8_t slot, irq;
    uint32_t dfselect, gfselect;
    uint16_t qselect;
    uint32_t offered_hi;        /* device feature bits 32..63 (VERSION_1) */
    uint32_t driver[2];         /* accepted feature bits, low and high */
    struct vqueue_modern q[VDEV_QUEUES_MAX];
    uint8_t config[VDEV_CONFIG_MAX];
    uint8_t config_len;
};

struct vdevice {
    uint8_t type, nvq, config_len;
    uint32_t desc_off;          /* offset of the descriptor in the device page */
    uint32_t offered;           /* host feature bits 0..31 */
    uint32_t features;          /* accepted, read at start */
    bool started, broken;
    struct vqueue vq[VDEV_QUEUES_MAX];
    const struct vdev_ops *ops;
    struct vdev_modern modern;
};

struct vbus {
    uint32_t page_gpa;          /* = RAM size */
    uint32_t ndev;
    struct vdevice dev[4];
};

/* Builds the device page and rings after RAM (memory already zeroed) with
 * the devices g's configuration asks for. Returns the pages used. */
uint32_t vbus_build(struct guest *g);
/* Stops every device's backend (the guest stops or restarts). */
void vbus_teardown(struct guest *g);
/* NOTIFY of an address in the device area: status change or kick. False
 * when gpa is neither a descriptor nor a ring. */
bool vbus_notify(struct guest *g, uint32_t gpa);
/* Rewrites the config space of g's device of a type (its contents
 * changed, e.g. the network link). The lguest bus has no config-change
 * interrupt: a driver sees it when it next reads the field. */
void vbus_config_changed(struct guest *g, uint8_t type);
/* The device-specific configuration bytes of d (MAC and link, capacity
 * and seg_max; the console has none on the lguest bus), into buf[len]. */
void vdev_config_bytes(struct guest *g, const struct vdevice *d, uint8_t *buf, uint32_t len);
/* The device of a type, started and not broken, or NULL. */
struct vdevice *vbus_active(struct guest *g, uint8_t type);
/* The guest broke the device: log why, set the BROKEN status bit, ignore
 * it until the guest resets it. */
void vdev_broken(struct guest *g, struct vdevice *d, const char *why);
/* Takes the next request of a queue: 1, 0 when empty, -1 when the ring is
 * malformed (the device is then broken). */
int vdev_pop(struct guest *g, struct vdevice *d, uint32_t queue, struct vring_req *r);
/* Returns a request; vdev_signal afterwards raises the queue's interrupt
 * if the guest wants one. */
void vdev_push(struct guest *g, struct vdevice *d, uint32_t queue, uint16_t head, uint32_t len);
void vdev_signal(struct guest *g, struct vdevice *d, uint32_t queue);
bool vdev_has_avail(struct guest *g, struct vdevice *d, uint32_t queue);

/* Backends. */
extern const struct vdev_ops vcons_ops, vblk_ops, vnet_ops, vrng_ops;

#endif
