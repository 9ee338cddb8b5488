/* The virtio block driver (lguest-abi.md 9.4): one queue of requests,
 * each [16-byte header][data segments][status byte]. The API is
 * synchronous: submit, kick, sleep (HALT) until the queue's interrupt
 * says the request is back. */
#ifndef GUEST_VBLK_H
#define GUEST_VBLK_H
#include "guest/virtio.h"

#define VIRTIO_BLK_T_IN         0
#define VIRTIO_BLK_T_OUT        1
#define VIRTIO_BLK_T_FLUSH      4
#define VIRTIO_BLK_T_GET_ID     8

#define VIRTIO_BLK_S_OK         0
#define VIRTIO_BLK_S_IOERR      1
#define VIRTIO_BLK_S_UNSUPP     2

#define VIRTIO_BLK_F_SIZE_MAX   1
#define VIRTIO_BLK_F_SEG_MAX    2
#define VIRTIO_BLK_F_GEOMETRY   4
#define VIRTIO_BLK_F_RO         5
#define VIRTIO_BLK_F_BLK_SIZE   6
#define VIRTIO_BLK_F_FLUSH      9       /* also called WCE */

#define VBLK_SECTOR     512
#define VBLK_ID_BYTES   20

/* Driver-side errors (the device's statuses are 0-2). */
#define VBLK_E_NOROOM   (-1)            /* the ring has no room */
#define VBLK_E_TIMEOUT  (-2)            /* no completion within VBLK_WAIT_US */
#define VBLK_E_BROKEN   (-3)            /* the host stopped the device */
#define VBLK_E_NODEV    (-4)
#define VBLK_E_ARGS     (-5)            /* not whole, aligned sectors */
#define VBLK_WAIT_US    20000000

struct vblk_hdr {
    u32 type, ioprio;
    u64 sector;
};

/* One request in flight: header and status live here (so in RAM), done
 * is set by the interrupt. */
struct vblk_req {
    struct vblk_hdr hdr;
    u8 status;
    volatile int done;
    u32 used_len;                       /* what the device said it wrote */
};

/* Finds the first block device (scanning the bus if nobody has),
 * negotiates SEG_MAX, SIZE_MAX, BLK_SIZE, FLUSH (+ 28/29 unless
 * virtio=plain), sets up the queue, DRIVER_OK. 0 on success. */
int vblk_attach(void);
struct vdev *vblk_device(void);
struct vq *vblk_queue(void);
u64 vblk_capacity(void);                /* 512-byte sectors */
u32 vblk_seg_max(void);                 /* data segments per request */

/* Whole sectors from/to a 512-byte aligned buffer in RAM (split at page
 * boundaries into segments and into as many requests as seg_max needs).
 * The device's status, or a VBLK_E_ error. */
int vblk_read(u64 sector, void *buf, u32 bytes);
int vblk_write(u64 sector, const void *buf, u32 bytes);
int vblk_flush(void);
/* The 20-byte serial (not NUL-terminated when all 20 are used). */
int vblk_get_id(char id[VBLK_ID_BYTES]);

/* Lower level. A request of any type: header, the data segments as given
 * (device-readable ones first, whatever their order here), status byte.
 * Not kicked; 0 or VBLK_E_NOROOM. */
int vblk_submit(struct vblk_req *r, u32 type, u64 sector, const struct vseg *data, unsigned nseg);
/* The data segments of one request from *bytes at *buf (both advanced
 * past what they cover): one per physically contiguous run of pages, up
 * to size_max each and seg_max in all. Their number. */
unsigned vblk_segs(u32 *buf, u32 *bytes, int write, struct vseg *segs);
void vblk_kick(void);
/* Sleeps until r is back: its status, or VBLK_E_TIMEOUT / VBLK_E_BROKEN.
 * Anyone may put a request on vblk_queue() by hand with the vblk_req as
 * token and wait for it here. */
int vblk_wait(struct vblk_req *r);
/* submit + kick + wait. */
int vblk_request(u32 type, u64 sector, const struct vseg *data, unsigned nseg, u32 *used_len);

#endif
