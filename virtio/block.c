/* virtio block: the kick, the checks every backend shares, and the
 * ramdisk backend. A ramdisk request is served inside the kick: a ramdisk
 * answers at memory speed, so there is nothing to wait for. Every request
 * is checked against the disk's end and its own shape; a bad one gets an
 * error status, never a partial transfer past the end. A SATA partition
 * is block_sata.c. */
#include <stdio.h>
#include <string.h>
#include "virtio/block.h"
#include "drivers/ramdisk.h"
#include "kernel/lguest/guest.h"

static struct vring_req req;

uint8_t vblk_check_rw(const struct vring_req *r, uint32_t type, uint64_t sector, uint64_t capacity,
                      uint32_t *len)
{
    uint32_t data_in = r->read_len - 16;            /* for OUT */
    uint32_t data_out = r->write_len - 1;           /* for IN */
    *len = type == VBLK_T_IN ? data_out : data_in;
    if ((type == VBLK_T_IN && data_in) || (type == VBLK_T_OUT && data_out) || *len % 512)
        return VBLK_S_IOERR;
    if (sector > capacity || *len / 512 > capacity - sector)
        return VBLK_S_IOERR;
    return VBLK_S_OK;
}

uint32_t vblk_get_id(struct guest *g, const struct vring_req *r)
{
    char id[VBLK_ID_LEN + 1] = { 0 };  /* all 20 bytes may be used: no NUL needed */
    uint32_t room = r->write_len - 1;
    snprintf(id, sizeof(id), "lgvisor:%s", g->name);
    return vring_copy_to(&g->mem, r, 0, id, room < VBLK_ID_LEN ? room : VBLK_ID_LEN);
}

static uint8_t serve(struct guest *g, uint32_t type, uint64_t sector, uint32_t *written)
{
    struct ramdisk *disk = g->disk;
    switch (type) {
    case VBLK_T_IN:
    case VBLK_T_OUT: {
        uint32_t len;
        uint8_t bad = vblk_check_rw(&req, type, sector, disk->size / 512, &len);
        if (bad)
            return bad;
        uint8_t *at = disk->data + sector * 512;
        if (type == VBLK_T_IN) {
            *written = vring_copy_to(&g->mem, &req, 0, at, len);
            disk->reads++;
            disk->read_bytes += len;
        } else {
            vring_copy_from(&g->mem, &req, 16, at, len);
            disk->writes++;
            disk->written_bytes += len;
        }
        return VBLK_S_OK;
    }
    case VBLK_T_FLUSH:
        disk->flushes++;                            /* memory: always on "stable storage" */
        return VBLK_S_OK;
    case VBLK_T_GET_ID:
        *written = vblk_get_id(g, &req);
        return VBLK_S_OK;
    default:
        return VBLK_S_UNSUPP;
    }
}

static void kick(struct guest *g, struct vdevice *d, uint32_t queue)
{
    (void)queue;
    if (g->part) {
        vblk_sata_kick(g, d);
        return;
    }
    int got;
    bool any = false;
    while ((got = vdev_pop(g, d, 0, &req)) > 0) {
        any = true;
        /* header readable, status writable and last: otherwise there is
         * nowhere to say what went wrong */
        if (!req.nseg || !req.seg[req.nseg - 1].write || !req.seg[req.nseg - 1].len) {
            vdev_broken(g, d, "request without a status byte");
            return;
        }
        struct vblk_hdr hdr;
        vring_copy_from(&g->mem, &req, 0, &hdr, sizeof(hdr));
        uint32_t written = 0;
        /* the status byte is the last writable byte; the data stops before it */
        uint8_t status = req.read_len < 16 ? VBLK_S_IOERR : serve(g, hdr.type, hdr.sector, &written);
        vring_copy_to(&g->mem, &req, req.write_len - 1, &status, 1);
        vdev_push(g, d, 0, req.head, written + 1);
    }
    if (any)
        vdev_signal(g, d, 0);
}

static void reset(struct guest *g, struct vdevice *d)
{
    if (g->part)
        vblk_sata_reset(g, d);
}

const struct vdev_ops vblk_ops = { "block", 0, reset, kick };
