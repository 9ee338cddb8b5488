/* virtio block (lguest-abi.md 9.4): what the kick (block.c) and its two
 * backends share. A guest's disk is either a ramdisk, served inside the
 * kick at memory speed (block.c), or a GPT partition of a SATA disk,
 * served asynchronously: the kick hands requests to the AHCI driver and
 * the completion, from its interrupt, writes the status byte, returns the
 * request and signals the guest (block_sata.c). */
#ifndef VIRTIO_BLOCK_H
#define VIRTIO_BLOCK_H
#include <stdint.h>
#include "virtio/device.h"

#define VBLK_T_IN     0
#define VBLK_T_OUT    1
#define VBLK_T_FLUSH  4
#define VBLK_T_GET_ID 8
#define VBLK_S_OK     0
#define VBLK_S_IOERR  1
#define VBLK_S_UNSUPP 2
#define VBLK_ID_LEN   20
#define VBLK_SATA_DEPTH 32          /* a guest's requests on a SATA disk at once */

struct guest;
struct vring_req;

struct vblk_hdr { uint32_t type, ioprio; uint64_t sector; } __attribute__((packed));

/* Checks a data request against the disk's capacity and its shape (data
 * segments of the right direction, whole sectors, inside the disk): 0, or
 * the status to answer. *len is its data bytes. */
uint8_t vblk_check_rw(const struct vring_req *r, uint32_t type, uint64_t sector, uint64_t capacity,
                      uint32_t *len);
/* GET_ID's answer written into the request; the bytes written. */
uint32_t vblk_get_id(struct guest *g, const struct vring_req *r);

/* The SATA backend (block_sata.c). */
int vblk_sata_setup(struct guest *g);   /* at guest creation: 0 or -1 (logged) */
void vblk_sata_kick(struct guest *g, struct vdevice *d);
/* After each exit of a guest with requests on its disk: takes what it
 * posted without a kick (the ring asks for none while requests are in
 * flight). */
void vblk_sata_exit(struct guest *g);
void vblk_sata_reset(struct guest *g, struct vdevice *d);

#endif
