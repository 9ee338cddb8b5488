/* The legacy virtqueue (lguest-abi.md 9.1, 9.2), device side. The ring
 * itself sits at a host-chosen place in the guest's memory, but everything
 * in it is written by the guest: every index, address, length and flag is
 * checked here before anything is read through it. A ring the guest cannot
 * have produced honestly yields an error text and no request. */
#ifndef VIRTIO_VRING_H
#define VIRTIO_VRING_H
#include <stdbool.h>
#include <stdint.h>
#include "kernel/lguest/gmem.h"

#define VRING_DESC_F_NEXT     1
#define VRING_DESC_F_WRITE    2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY     1
#define VRING_ALIGN 4096u
/* No request has more segments: a chain in a ring of 256, or an indirect
 * table of 256 entries (4 KiB). */
#define VRING_SEGS_MAX 256u
#define VRING_ERR_MAX 112

struct vring {
    uint32_t gpa;               /* legacy layout: the whole ring; 0 = not set up */
    uint32_t num;               /* a power of two */
    bool split;                 /* virtio 1.0: three parts at their own addresses */
    uint32_t desc, avail, used; /* GPAs of the parts when split */
    uint16_t last_avail;        /* next avail entry we take */
    uint16_t used_idx;          /* next used entry we fill */
    uint16_t signalled_used;    /* used_idx at the last interrupt decision */
    uint16_t event_ahead;       /* EVENT_IDX: an empty ring asks for a kick only after this many more */
    bool quiet;                 /* the device will look again by itself (requests in flight): ask for
                                   no kick (avail_event left behind, or NO_NOTIFY without EVENT_IDX) */
    bool indirect, event_idx;   /* negotiated */
};

struct vring_seg {
    uint32_t gpa, len;
    bool write;                 /* device writes it */
};

/* One request: a chain taken from the avail ring, flattened. Readable
 * segments come first (the ring rules require it). */
struct vring_req {
    uint16_t head;
    uint32_t nseg, nread;       /* segments, of which the first nread readable */
    uint32_t read_len, write_len;
    struct vring_seg seg[VRING_SEGS_MAX];
};

/* Bytes the ring of num entries occupies (aligned layout, 9.1). */
uint32_t vring_size(uint32_t num);
/* Points vr at zeroed ring memory of num entries at gpa. */
void vring_init(struct vring *vr, uint32_t gpa, uint32_t num, bool indirect, bool event_idx);
/* Virtio 1.0: the descriptor table, avail and used rings where the driver
 * put them (num any power of two up to 32768; the parts are checked
 * against guest memory at every use, like the legacy ring). */
void vring_init_split(struct vring *vr, uint32_t desc, uint32_t avail, uint32_t used, uint32_t num,
                      bool indirect, bool event_idx);
/* Bytes of each part of a ring of num entries, event index words included. */
static inline uint32_t vring_desc_bytes(uint32_t num) { return 16 * num; }
static inline uint32_t vring_avail_bytes(uint32_t num) { return 6 + 2 * num; }
static inline uint32_t vring_used_bytes(uint32_t num) { return 6 + 8 * num; }

/* Takes the next available request into r: 1 when one was taken, 0 when
 * the ring is empty, -1 when the ring is malformed (err says how). */
int vring_pop(const struct gmem *m, struct vring *vr, struct vring_req *r, char err[VRING_ERR_MAX]);
/* Gives back the request just taken (not yet pushed): the next pop takes
 * it again. For a device that found no room for it downstream. */
void vring_unpop(const struct gmem *m, struct vring *vr);
/* Returns a request as used, with the bytes written into it. */
void vring_push(const struct gmem *m, struct vring *vr, uint16_t head, uint32_t len);
/* Whether the guest wants an interrupt for the entries pushed since the
 * last call (NO_INTERRUPT, or used_event with EVENT_IDX). */
bool vring_should_interrupt(const struct gmem *m, struct vring *vr);
/* Whether the guest has posted anything we have not taken. */
bool vring_has_avail(const struct gmem *m, const struct vring *vr);

/* Copies between a request's segments and the host, starting at byte off
 * of its readable (from) or writable (to) part. Return the bytes copied. */
uint32_t vring_copy_from(const struct gmem *m, const struct vring_req *r, uint32_t off, void *dst,
                         uint32_t len);
uint32_t vring_copy_to(const struct gmem *m, const struct vring_req *r, uint32_t off, const void *src,
                       uint32_t len);

#endif
