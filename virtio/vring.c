/* Legacy virtqueues, device side: see vring.h. Indexes in the ring are
 * free-running u16s; the guest owns the avail side and the descriptor
 * table, we own the used side. */
#include <stdio.h>
#include <string.h>
#include "virtio/vring.h"

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
} __attribute__((packed));

#define barrier() __asm__ __volatile__("" ::: "memory")
/* Our used entries must be visible before the index that publishes them,
 * and the guest's flags read after it: a full fence, as the guest uses. */
#define mb() __asm__ __volatile__("lock; addl $0, (%%esp)" ::: "memory")

static uint32_t used_off(uint32_t num)
{
    return (16 * num + 2 * (3 + num) + VRING_ALIGN - 1) & ~(VRING_ALIGN - 1);
}

uint32_t vring_size(uint32_t num)
{
    return used_off(num) + 2 * 3 + 8 * num;
}

void vring_init(struct vring *vr, uint32_t gpa, uint32_t num, bool indirect, bool event_idx)
{
    *vr = (struct vring){ .gpa = gpa, .num = num, .indirect = indirect, .event_idx = event_idx };
}

void vring_init_split(struct vring *vr, uint32_t desc, uint32_t avail, uint32_t used, uint32_t num,
                      bool indirect, bool event_idx)
{
    *vr = (struct vring){ .num = num, .split = true, .desc = desc, .avail = avail, .used = used,
                          .indirect = indirect, .event_idx = event_idx };
}

#define AVAIL_FLAGS 0
#define AVAIL_IDX 1
#define AVAIL_RING(i) (2 + (i))
#define USED_EVENT(num) (2 + (num))
#define USED_FLAGS 0
#define USED_IDX 1
#define AVAIL_EVENT(num) (2 + 4 * (num))

/* Where the three parts are in host memory: the ring lies where the host
 * (legacy) or the driver (split) put it, inside guest memory; only the
 * values read through these pointers are the guest's. */
struct ring {
    const uint8_t *desc;
    volatile uint16_t *avail;
    volatile uint16_t *used;
};

/* The whole ring, or false when it is not set up or does not fit. The
 * legacy layout is one range, so one check, as before split rings. */
static bool ring(const struct gmem *m, const struct vring *vr, struct ring *r)
{
    if (__builtin_expect(!vr->split, 1)) {
        uint8_t *base = vr->gpa ? gmem_ptr(m, vr->gpa, vring_size(vr->num)) : 0;
        if (!base)
            return false;
        r->desc = base;
        r->avail = (volatile uint16_t *)(base + 16 * vr->num);
        r->used = (volatile uint16_t *)(base + used_off(vr->num));
        return true;
    }
    if (!vr->num)
        return false;
    r->desc = gmem_ptr(m, vr->desc, vring_desc_bytes(vr->num));
    r->avail = gmem_ptr(m, vr->avail, vring_avail_bytes(vr->num));
    r->used = gmem_ptr(m, vr->used, vring_used_bytes(vr->num));
    return r->desc && r->avail && r->used;
}

bool vring_has_avail(const struct gmem *m, const struct vring *vr)
{
    struct ring r;
    return ring(m, vr, &r) && r.avail[AVAIL_IDX] != vr->last_avail;
}

static bool add_seg(struct vring_req *r, const struct vring_desc *d, char *err)
{
    bool write = d->flags & VRING_DESC_F_WRITE;
    if (r->nseg == VRING_SEGS_MAX) {
        snprintf(err, VRING_ERR_MAX, "request of more than %u segments", VRING_SEGS_MAX);
        return false;
    }
    if (!write && r->nseg > r->nread) {
        snprintf(err, VRING_ERR_MAX, "readable buffer after a writable one (head %u)", r->head);
        return false;
    }
    uint32_t *total = write ? &r->write_len : &r->read_len;
    if (*total + d->len < *total) {
        snprintf(err, VRING_ERR_MAX, "request lengths wrap around (head %u)", r->head);
        return false;
    }
    *total += d->len;
    r->seg[r->nseg++] = (struct vring_seg){ (uint32_t)d->addr, d->len, write };
    if (!write)
        r->nread++;
    return true;
}

static bool buffer_ok(const struct gmem *m, const struct vring_desc *d, const char *what, uint32_t i,
                      char *err)
{
    /* newlib here formats no 64-bit integers: print the halves */
    if (d->addr >> 32 || !gmem_ok(m, (uint32_t)d->addr, d->len)) {
        snprintf(err, VRING_ERR_MAX, "%s %lu: buffer 0x%lx%08lx+%lu outside guest memory", what,
                 (unsigned long)i, (unsigned long)(d->addr >> 32), (unsigned long)d->addr,
                 (unsigned long)d->len);
        return false;
    }
    return true;
}

/* Walks an indirect table: entries chained by NEXT, indexes relative to
 * the table, no nesting, at most one lap. */
static bool walk_indirect(const struct gmem *m, const struct vring_desc *top, struct vring_req *r,
                          char *err)
{
    uint32_t n = top->len / 16;
    if (top->len % 16 || n == 0 || n > VRING_SEGS_MAX) {
        snprintf(err, VRING_ERR_MAX, "indirect table of %lu bytes (head %u)", (unsigned long)top->len,
                 r->head);
        return false;
    }
    if (!buffer_ok(m, top, "indirect table at head", r->head, err))
        return false;
    const struct vring_desc *t = gmem_ptr(m, (uint32_t)top->addr, top->len);
    uint32_t i = 0;
    for (uint32_t steps = 0;; steps++) {
        struct vring_desc d;
        memcpy(&d, &t[i], sizeof(d));      /* read once: the guest may change it */
        if (steps == n) {
            snprintf(err, VRING_ERR_MAX, "descriptor loop in an indirect table (head %u)", r->head);
            return false;
        }
        if (d.flags & VRING_DESC_F_INDIRECT) {
            snprintf(err, VRING_ERR_MAX, "nested indirect table (head %u)", r->head);
            return false;
        }
        if (!buffer_ok(m, &d, "indirect entry", i, err) || !add_seg(r, &d, err))
            return false;
        if (!(d.flags & VRING_DESC_F_NEXT))
            return true;
        if (d.next >= n) {
            snprintf(err, VRING_ERR_MAX, "indirect entry %lu: next %u beyond a table of %lu",
                     (unsigned long)i, d.next, (unsigned long)n);
            return false;
        }
        i = d.next;
    }
}

int vring_pop(const struct gmem *m, struct vring *vr, struct vring_req *r, char err[VRING_ERR_MAX])
{
    struct ring rg;
    if (!ring(m, vr, &rg)) {
        snprintf(err, VRING_ERR_MAX, "queue used before it was set up");
        return -1;
    }
    uint16_t avail = rg.avail[AVAIL_IDX];
    uint16_t waiting = (uint16_t)(avail - vr->last_avail);
    if (!waiting) {
        if (vr->quiet) {
            if (vr->event_idx)
                rg.used[AVAIL_EVENT(vr->num)] = (uint16_t)(vr->last_avail - 1);    /* passed: no kick */
            else
                rg.used[USED_FLAGS] |= VRING_USED_F_NO_NOTIFY;
            return 0;
        }
        /* kick us for the next one, or (a device that also looks at the
         * ring by itself) only once event_ahead more are waiting */
        if (vr->event_idx)
            rg.used[AVAIL_EVENT(vr->num)] = (uint16_t)(vr->last_avail + vr->event_ahead);
        else if (rg.used[USED_FLAGS] & VRING_USED_F_NO_NOTIFY)
            rg.used[USED_FLAGS] &= (uint16_t)~VRING_USED_F_NO_NOTIFY;
        /* A guest on another CPU may have posted after we read the index
         * and before it could see that wish: look once more, after it. */
        mb();
        avail = rg.avail[AVAIL_IDX];
        waiting = (uint16_t)(avail - vr->last_avail);
        if (!waiting)
            return 0;
    }
    if (waiting > vr->num) {
        snprintf(err, VRING_ERR_MAX, "avail index moved from %u to %u in a ring of %lu", vr->last_avail,
                 avail, (unsigned long)vr->num);
        return -1;
    }
    barrier();                  /* entries after the index that published them */
    uint16_t head = rg.avail[AVAIL_RING(vr->last_avail & (vr->num - 1))];
    r->head = head;
    r->nseg = r->nread = r->read_len = r->write_len = 0;
    if (head >= vr->num) {
        snprintf(err, VRING_ERR_MAX, "avail entry names descriptor %u in a ring of %lu", head,
                 (unsigned long)vr->num);
        return -1;
    }
    const struct vring_desc *table = (const struct vring_desc *)rg.desc;
    uint32_t i = head;
    for (uint32_t steps = 0;; steps++) {
        struct vring_desc d;
        memcpy(&d, &table[i], sizeof(d));
        if (steps == vr->num) {
            snprintf(err, VRING_ERR_MAX, "descriptor loop (head %u)", head);
            return -1;
        }
        if (d.flags & VRING_DESC_F_INDIRECT) {
            if (!vr->indirect) {
                snprintf(err, VRING_ERR_MAX, "indirect descriptor without the feature (head %u)", head);
                return -1;
            }
            if (steps || (d.flags & VRING_DESC_F_NEXT)) {
                snprintf(err, VRING_ERR_MAX, "indirect descriptor inside a chain (head %u)", head);
                return -1;
            }
            if (!walk_indirect(m, &d, r, err))
                return -1;
            break;
        }
        if (!buffer_ok(m, &d, "descriptor", i, err) || !add_seg(r, &d, err))
            return -1;
        if (!(d.flags & VRING_DESC_F_NEXT))
            break;
        if (d.next >= vr->num) {
            snprintf(err, VRING_ERR_MAX, "descriptor %lu: next %u beyond a ring of %lu", (unsigned long)i,
                     d.next, (unsigned long)vr->num);
            return -1;
        }
        i = d.next;
    }
    vr->last_avail++;
    if (vr->event_idx)
        rg.used[AVAIL_EVENT(vr->num)] = (uint16_t)(vr->last_avail - (vr->quiet ? 1 : 0));
    return 1;
}

void vring_unpop(const struct gmem *m, struct vring *vr)
{
    struct ring rg;
    vr->last_avail--;
    if (ring(m, vr, &rg) && vr->event_idx)
        rg.used[AVAIL_EVENT(vr->num)] = vr->last_avail;
}

void vring_push(const struct gmem *m, struct vring *vr, uint16_t head, uint32_t len)
{
    struct ring rg;
    if (!ring(m, vr, &rg))
        return;
    volatile uint32_t *used = (volatile uint32_t *)(rg.used + 2 + 4 * (vr->used_idx & (vr->num - 1)));
    used[0] = head;
    used[1] = len;
    barrier();                  /* entry before index (x86 keeps stores in order) */
    rg.used[USED_IDX] = ++vr->used_idx;
}

bool vring_should_interrupt(const struct gmem *m, struct vring *vr)
{
    struct ring rg;
    if (!ring(m, vr, &rg))
        return false;
    uint16_t old = vr->signalled_used, now = vr->used_idx;
    if (old == now)
        return false;
    mb();                       /* our index out before we read their wishes */
    vr->signalled_used = now;
    if (vr->event_idx) {
        uint16_t event = rg.avail[USED_EVENT(vr->num)];
        return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
    }
    return !(rg.avail[AVAIL_FLAGS] & VRING_AVAIL_F_NO_INTERRUPT);
}

static uint32_t copy(const struct gmem *m, const struct vring_req *r, bool write, uint32_t off,
                     uint8_t *host, uint32_t len)
{
    uint32_t done = 0;
    uint32_t first = write ? r->nread : 0, last = write ? r->nseg : r->nread;
    for (uint32_t i = first; i < last && done < len; i++) {
        const struct vring_seg *s = &r->seg[i];
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        uint32_t n = s->len - off;
        if (n > len - done)
            n = len - done;
        /* checked when taken; checked again because the check is cheap
         * and a request may be handled later than it was taken */
        uint8_t *g = gmem_ptr(m, s->gpa + off, n);
        if (!g)
            break;
        if (write)
            memcpy(g, host + done, n);
        else
            memcpy(host + done, g, n);
        done += n;
        off = 0;
    }
    return done;
}

uint32_t vring_copy_from(const struct gmem *m, const struct vring_req *r, uint32_t off, void *dst,
                         uint32_t len)
{
    return copy(m, r, false, off, dst, len);
}

uint32_t vring_copy_to(const struct gmem *m, const struct vring_req *r, uint32_t off, const void *src,
                       uint32_t len)
{
    return copy(m, r, true, off, (uint8_t *)src, len);
}
