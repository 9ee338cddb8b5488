/* virtio block on a ramdisk (lguest-abi.md 9.4). Requests are served
 * inside the kick: a ramdisk answers at memory speed, so there is nothing
 * to wait for. Every request is checked against the disk's end and its
 * own shape; a bad one gets an error status, never a partial transfer
 * past the end. */
#include <stdio.h>
#include <string.h>
#include "virtio/device.h"
#include "drivers/ramdisk.h"
#include "kernel/lguest/guest.h"

#define T_IN     0
#define T_OUT    1
#define T_FLUSH  4
#define T_GET_ID 8
#define S_OK     0
#define S_IOERR  1
#define S_UNSUPP 2
#define ID_LEN   20

static struct vring_req req;

/* Bytes a request moves: its data segments, between the 16-byte header
 * and the status byte. */
static uint8_t serve(struct guest *g, uint32_t type, uint64_t sector, uint32_t *written)
{
    struct ramdisk *disk = g->disk;
    uint32_t data_in = req.read_len - 16;           /* for OUT */
    uint32_t data_out = req.write_len - 1;          /* for IN and GET_ID */
    switch (type) {
    case T_IN:
    case T_OUT: {
        uint32_t len = type == T_IN ? data_out : data_in;
        if ((type == T_IN && data_in) || (type == T_OUT && data_out) || len % 512)
            return S_IOERR;
        if (sector > disk->size / 512 || len > disk->size - sector * 512)
            return S_IOERR;
        uint8_t *at = disk->data + sector * 512;
        if (type == T_IN) {
            *written = vring_copy_to(&g->mem, &req, 0, at, len);
            disk->reads++;
            disk->read_bytes += len;
        } else {
            vring_copy_from(&g->mem, &req, 16, at, len);
            disk->writes++;
            disk->written_bytes += len;
        }
        return S_OK;
    }
    case T_FLUSH:
        disk->flushes++;                            /* memory: always on "stable storage" */
        return S_OK;
    case T_GET_ID: {
        char id[ID_LEN + 1] = { 0 };    /* all 20 bytes may be used: no NUL needed */
        snprintf(id, sizeof(id), "lgvisor:%s", g->name);
        *written = vring_copy_to(&g->mem, &req, 0, id, data_out < ID_LEN ? data_out : ID_LEN);
        return S_OK;
    }
    default:
        return S_UNSUPP;
    }
}

static void kick(struct guest *g, struct vdevice *d, uint32_t queue)
{
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
        struct { uint32_t type, ioprio; uint64_t sector; } __attribute__((packed)) hdr;
        vring_copy_from(&g->mem, &req, 0, &hdr, sizeof(hdr));
        uint32_t written = 0;
        /* the status byte is the last writable byte; the data stops before it */
        uint8_t status = req.read_len < 16 ? S_IOERR : serve(g, hdr.type, hdr.sector, &written);
        vring_copy_to(&g->mem, &req, req.write_len - 1, &status, 1);
        vdev_push(g, d, 0, req.head, written + 1);
    }
    if (any)
        vdev_signal(g, d, 0);
}

const struct vdev_ops vblk_ops = { "block", 0, 0, kick };
