/* sources: virtio/vring.c kernel/lguest/gmem.c */
/* The legacy virtqueue, device side (lguest-abi.md 9.1, 9.2). The driver
 * side is written here as a 3.10 Linux guest drives it: descriptors, then
 * avail.ring[avail.idx % num], then avail.idx++. Every offset the test uses
 * comes from the table in 9.1, not from vring.c. Guest memory is a malloc
 * block of exactly its size, so a read through an unchecked guest value is
 * caught by AddressSanitizer when it is available. Every refused ring must
 * give an error, no request, and leave last_avail where it was. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/lguest/gmem.h"
#include "virtio/vring.h"
#include "tests/unit/check.h"

#define MEM  (1u << 20)         /* guest memory */
#define RING 0x10000u           /* page-aligned ring */
#define BUF  0x40000u           /* buffers from here on */

/* The layout of 9.1, from the guest's point of view. */
static uint32_t o_avail(uint32_t num) { return 16 * num; }
static uint32_t o_avail_idx(uint32_t num) { return 16 * num + 2; }
static uint32_t o_avail_ring(uint32_t num) { return 16 * num + 4; }
static uint32_t o_used_event(uint32_t num) { return 16 * num + 4 + 2 * num; }
static uint32_t o_used(uint32_t num) { return (18 * num + 6 + 4095) & ~4095u; }
static uint32_t o_used_idx(uint32_t num) { return o_used(num) + 2; }
static uint32_t o_used_ring(uint32_t num) { return o_used(num) + 4; }
static uint32_t o_avail_event(uint32_t num) { return o_used(num) + 4 + 8 * num; }
static uint32_t o_total(uint32_t num) { return o_used(num) + 6 + 8 * num; }

struct guest {
    struct gmem m;
    struct vring vr;
    uint32_t num;
};

static struct vring_req req;            /* 3 KiB: not on the stack */
static char err[VRING_ERR_MAX];

static void setup(struct guest *g, uint32_t num, bool indirect, bool event_idx)
{
    g->m.base = calloc(MEM, 1);
    g->m.size = MEM;
    g->m.unzeroed = NULL;
    g->num = num;
    vring_init(&g->vr, RING, num, indirect, event_idx);
}

static void done(struct guest *g)
{
    free(g->m.base);
}

/* Little-endian guest stores and loads (the host is x86 too). */
static void w16(struct guest *g, uint32_t gpa, uint16_t v) { memcpy(g->m.base + gpa, &v, 2); }
static void w32(struct guest *g, uint32_t gpa, uint32_t v) { memcpy(g->m.base + gpa, &v, 4); }
static void w64(struct guest *g, uint32_t gpa, uint64_t v) { memcpy(g->m.base + gpa, &v, 8); }
static uint16_t r16(struct guest *g, uint32_t gpa) { uint16_t v; memcpy(&v, g->m.base + gpa, 2); return v; }
static uint32_t r32(struct guest *g, uint32_t gpa) { uint32_t v; memcpy(&v, g->m.base + gpa, 4); return v; }

/* Entry i of a descriptor table at gpa table (the ring's or an indirect one). */
static void tdesc(struct guest *g, uint32_t table, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags,
                  uint16_t next)
{
    uint32_t at = table + 16 * i;
    w64(g, at, addr);
    w32(g, at + 8, len);
    w16(g, at + 12, flags);
    w16(g, at + 14, next);
}

static void desc(struct guest *g, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    tdesc(g, RING, i, addr, len, flags, next);
}

static uint16_t avail_idx(struct guest *g) { return r16(g, RING + o_avail_idx(g->num)); }
static void set_avail_idx(struct guest *g, uint16_t v) { w16(g, RING + o_avail_idx(g->num), v); }
static uint16_t used_idx(struct guest *g) { return r16(g, RING + o_used_idx(g->num)); }
static void set_used_idx(struct guest *g, uint16_t v) { w16(g, RING + o_used_idx(g->num), v); }
static void set_avail_flags(struct guest *g, uint16_t v) { w16(g, RING + o_avail(g->num), v); }
static void set_used_event(struct guest *g, uint16_t v) { w16(g, RING + o_used_event(g->num), v); }
static uint16_t avail_event(struct guest *g) { return r16(g, RING + o_avail_event(g->num)); }
static uint32_t used_id(struct guest *g, uint32_t slot) { return r32(g, RING + o_used_ring(g->num) + 8 * slot); }
static uint32_t used_len(struct guest *g, uint32_t slot) { return r32(g, RING + o_used_ring(g->num) + 8 * slot + 4); }

/* Publishes head: ring entry first, then the index. */
static void post(struct guest *g, uint16_t head)
{
    uint16_t idx = avail_idx(g);
    w16(g, RING + o_avail_ring(g->num) + 2 * (idx % g->num), head);
    set_avail_idx(g, (uint16_t)(idx + 1));
}

static int pop(struct guest *g)
{
    err[0] = 0;
    return vring_pop(&g->m, &g->vr, &req, err);
}

/* A refused ring: an error naming what, no request, the cursor unmoved. */
#define EXPECT_BAD(g, what) do { \
    uint16_t la_ = (g)->vr.last_avail; \
    int rc_ = pop(g); \
    CHECK_EQ(rc_, -1); \
    CHECK_EQ((g)->vr.last_avail, la_); \
    CHECK(err[0] != 0); \
    CHECK_CONTAINS(err, what); \
} while (0)

#define CHECK_SEG(i, gpa_, len_, write_) do { \
    CHECK_EQ(req.seg[i].gpa, gpa_); \
    CHECK_EQ(req.seg[i].len, len_); \
    CHECK_EQ(req.seg[i].write, write_); \
} while (0)

/* ---- layout ---- */

static void layout_matches_table(void)
{
    static const struct { uint32_t num, avail, used_event, used, avail_event, total, pages; } t[] = {
        { 32, 0x200, 0x244, 0x1000, 0x1104, 4358, 2 },
        { 64, 0x400, 0x484, 0x1000, 0x1204, 4614, 2 },
        { 128, 0x800, 0x904, 0x1000, 0x1404, 5126, 2 },
        { 256, 0x1000, 0x1204, 0x2000, 0x2804, 10246, 3 },
        { 512, 0x2000, 0x2404, 0x3000, 0x4004, 16390, 5 },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        CHECK_EQ(o_avail(t[i].num), t[i].avail);
        CHECK_EQ(o_used_event(t[i].num), t[i].used_event);
        CHECK_EQ(o_used(t[i].num), t[i].used);
        CHECK_EQ(o_avail_event(t[i].num), t[i].avail_event);
        CHECK_EQ(o_total(t[i].num), t[i].total);
        CHECK_EQ(vring_size(t[i].num), t[i].total);
        CHECK_EQ((vring_size(t[i].num) + 4095) / 4096, t[i].pages);
    }
    CHECK_EQ(vring_size(8), o_total(8));
    CHECK_EQ(vring_size(16), o_total(16));
}

static void init_state(void)
{
    struct vring vr;
    memset(&vr, 0xA5, sizeof(vr));
    vring_init(&vr, RING, 256, true, false);
    CHECK_EQ(vr.gpa, RING);
    CHECK_EQ(vr.num, 256);
    CHECK_EQ(vr.last_avail, 0);
    CHECK_EQ(vr.used_idx, 0);
    CHECK_EQ(vr.signalled_used, 0);
    CHECK(vr.indirect);
    CHECK(!vr.event_idx);
}

/* A queue not set up, or one that does not fit in guest memory, is never
 * read or written. */
static void ring_not_usable(void)
{
    struct guest g;
    setup(&g, 256, false, false);
    vring_init(&g.vr, 0, 256, false, false);
    EXPECT_BAD(&g, "set up");
    CHECK(!vring_has_avail(&g.m, &g.vr));
    vring_init(&g.vr, MEM - 0x2000, 256, false, false);    /* needs 3 pages */
    EXPECT_BAD(&g, "set up");
    CHECK(!vring_has_avail(&g.m, &g.vr));
    vring_push(&g.m, &g.vr, 0, 1);
    CHECK_EQ(g.vr.used_idx, 0);
    CHECK(!vring_should_interrupt(&g.m, &g.vr));
    /* the last place a ring of 256 fits */
    vring_init(&g.vr, MEM - 0x3000, 256, false, false);
    CHECK_EQ(pop(&g), 0);
    done(&g);
}

/* ---- well-formed requests ---- */

static void empty_ring(void)
{
    struct guest g;
    setup(&g, 256, false, false);
    CHECK(!vring_has_avail(&g.m, &g.vr));
    CHECK_EQ(pop(&g), 0);
    CHECK_EQ(g.vr.last_avail, 0);
    CHECK_EQ(g.vr.used_idx, 0);
    done(&g);
}

static void pop_single_readable(void)
{
    struct guest g;
    setup(&g, 256, false, false);
    desc(&g, 17, BUF, 100, 0, 0);
    post(&g, 17);
    CHECK(vring_has_avail(&g.m, &g.vr));
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.head, 17);
    CHECK_EQ(req.nseg, 1);
    CHECK_EQ(req.nread, 1);
    CHECK_EQ(req.read_len, 100);
    CHECK_EQ(req.write_len, 0);
    CHECK_SEG(0, BUF, 100, false);
    CHECK_EQ(g.vr.last_avail, 1);
    CHECK(!vring_has_avail(&g.m, &g.vr));
    CHECK_EQ(pop(&g), 0);
    CHECK_EQ(g.vr.last_avail, 1);
    done(&g);
}

static void pop_single_writable(void)
{
    struct guest g;
    setup(&g, 256, false, false);
    desc(&g, 255, BUF + 0x1000, 4096, VRING_DESC_F_WRITE, 0);
    post(&g, 255);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.head, 255);
    CHECK_EQ(req.nseg, 1);
    CHECK_EQ(req.nread, 0);
    CHECK_EQ(req.read_len, 0);
    CHECK_EQ(req.write_len, 4096);
    CHECK_SEG(0, BUF + 0x1000, 4096, true);
    done(&g);
}

/* A block request as virtio_blk builds it: header, data, status byte;
 * descriptors taken from anywhere in the table. */
static void pop_chain_read_then_write(void)
{
    struct guest g;
    setup(&g, 16, false, false);
    desc(&g, 5, BUF, 16, VRING_DESC_F_NEXT, 2);
    desc(&g, 2, BUF + 0x100, 512, VRING_DESC_F_NEXT, 15);
    desc(&g, 15, BUF + 0x400, 1024, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0);
    desc(&g, 0, BUF + 0x900, 1, VRING_DESC_F_WRITE, 9);      /* next ignored without NEXT */
    post(&g, 5);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.head, 5);
    CHECK_EQ(req.nseg, 4);
    CHECK_EQ(req.nread, 2);
    CHECK_EQ(req.read_len, 16 + 512);
    CHECK_EQ(req.write_len, 1024 + 1);
    CHECK_SEG(0, BUF, 16, false);
    CHECK_SEG(1, BUF + 0x100, 512, false);
    CHECK_SEG(2, BUF + 0x400, 1024, true);
    CHECK_SEG(3, BUF + 0x900, 1, true);
    CHECK_EQ(g.vr.last_avail, 1);
    done(&g);
}

/* Several requests come out in avail order, not descriptor order; a
 * request may reuse the fields of the previous one. */
static void pop_in_avail_order(void)
{
    struct guest g;
    setup(&g, 256, false, false);
    desc(&g, 9, BUF, 10, VRING_DESC_F_NEXT, 10);
    desc(&g, 10, BUF + 0x100, 20, VRING_DESC_F_WRITE, 0);
    desc(&g, 3, BUF + 0x200, 30, VRING_DESC_F_WRITE, 0);
    desc(&g, 200, BUF + 0x300, 40, 0, 0);
    post(&g, 9);
    post(&g, 3);
    post(&g, 200);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.head, 9);
    CHECK_EQ(req.nseg, 2);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.head, 3);
    CHECK_EQ(req.nseg, 1);
    CHECK_EQ(req.nread, 0);
    CHECK_EQ(req.read_len, 0);
    CHECK_EQ(req.write_len, 30);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.head, 200);
    CHECK_EQ(req.nseg, 1);
    CHECK_EQ(req.nread, 1);
    CHECK_EQ(req.read_len, 40);
    CHECK_EQ(req.write_len, 0);
    CHECK_EQ(pop(&g), 0);
    CHECK_EQ(g.vr.last_avail, 3);
    done(&g);
}

/* A full ring: num requests outstanding at once is legal. */
static void exactly_num_outstanding(void)
{
    struct guest g;
    setup(&g, 8, false, false);
    for (uint16_t i = 0; i < 8; i++) {
        desc(&g, i, BUF + 0x100 * i, i + 1, 0, 0);
        post(&g, (uint16_t)(7 - i));
    }
    CHECK_EQ(avail_idx(&g), 8);
    for (uint16_t i = 0; i < 8; i++) {
        CHECK_EQ(pop(&g), 1);
        CHECK_EQ(req.head, 7 - i);
        CHECK_EQ(req.read_len, 8 - i);
    }
    CHECK_EQ(pop(&g), 0);
    CHECK_EQ(g.vr.last_avail, 8);
    done(&g);
}

/* A chain using every descriptor of the ring is not a loop. */
static void chain_of_num_descriptors(void)
{
    struct guest g;
    setup(&g, 8, false, false);
    for (uint16_t i = 0; i < 8; i++)
        desc(&g, i, BUF + 0x10 * i, 0x10, i < 7 ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    post(&g, 0);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.nseg, 8);
    CHECK_EQ(req.nread, 8);
    CHECK_EQ(req.read_len, 0x80);
    CHECK_SEG(7, BUF + 0x70, 0x10, false);
    done(&g);
}

/* A buffer ending at the last byte of guest memory is inside. */
static void buffer_at_end_of_memory(void)
{
    struct guest g;
    setup(&g, 16, false, false);
    desc(&g, 0, MEM - 8, 8, VRING_DESC_F_WRITE, 0);
    post(&g, 0);
    CHECK_EQ(pop(&g), 1);
    CHECK_SEG(0, MEM - 8, 8, true);
    done(&g);
}

/* Lengths add up to just under 4 GiB: fine. The guest is declared huge
 * (buffers are not read when a request is taken, only the ring). */
static void lengths_up_to_4g(void)
{
    struct guest g;
    setup(&g, 16, false, false);
    g.m.size = 0xFFFFF000;
    desc(&g, 0, 0x100000, 0x80000000, VRING_DESC_F_NEXT, 1);
    desc(&g, 1, 0x100000, 0x7FFFFFFF, VRING_DESC_F_NEXT, 2);
    desc(&g, 2, 0x100000, 0xC0000000, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 3);
    desc(&g, 3, 0x100000, 0x3FFFFFFF, VRING_DESC_F_WRITE, 0);
    post(&g, 0);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.read_len, 0xFFFFFFFF);
    CHECK_EQ(req.write_len, 0xFFFFFFFF);
    CHECK_EQ(req.nseg, 4);
    CHECK_EQ(req.nread, 2);
    g.m.size = MEM;
    done(&g);
}

/* ---- indirect tables ---- */

static void indirect_ok(void)
{
    struct guest g;
    setup(&g, 256, true, false);
    uint32_t t = BUF + 0x8000;
    /* chained out of order inside the table: 0 -> 2 -> 1 */
    tdesc(&g, t, 0, BUF, 16, VRING_DESC_F_NEXT, 2);
    tdesc(&g, t, 2, BUF + 0x100, 512, VRING_DESC_F_NEXT, 1);
    tdesc(&g, t, 1, BUF + 0x400, 1, VRING_DESC_F_WRITE, 0);
    desc(&g, 40, t, 3 * 16, VRING_DESC_F_INDIRECT, 0);
    post(&g, 40);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.head, 40);
    CHECK_EQ(req.nseg, 3);
    CHECK_EQ(req.nread, 2);
    CHECK_EQ(req.read_len, 528);
    CHECK_EQ(req.write_len, 1);
    CHECK_SEG(0, BUF, 16, false);
    CHECK_SEG(1, BUF + 0x100, 512, false);
    CHECK_SEG(2, BUF + 0x400, 1, true);
    CHECK_EQ(g.vr.last_avail, 1);
    /* a table of one entry, ending at the last byte of memory */
    tdesc(&g, MEM - 16, 0, BUF, 7, VRING_DESC_F_WRITE, 0);
    desc(&g, 41, MEM - 16, 16, VRING_DESC_F_INDIRECT, 0);
    post(&g, 41);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.head, 41);
    CHECK_EQ(req.nseg, 1);
    CHECK_EQ(req.nread, 0);
    CHECK_EQ(req.write_len, 7);
    done(&g);
}

/* The largest table, 256 entries (4 KiB), fills the request exactly, even
 * in a ring of 8. */
static void indirect_256_entries(void)
{
    struct guest g;
    setup(&g, 8, true, false);
    uint32_t t = BUF + 0x10000;
    for (uint32_t i = 0; i < 256; i++)
        tdesc(&g, t, i, BUF + i, 1, (uint16_t)((i < 255 ? VRING_DESC_F_NEXT : 0) | (i >= 200 ? VRING_DESC_F_WRITE : 0)),
              (uint16_t)(i + 1));
    desc(&g, 3, t, 4096, VRING_DESC_F_INDIRECT, 0);
    post(&g, 3);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.nseg, 256);
    CHECK_EQ(req.nread, 200);
    CHECK_EQ(req.read_len, 200);
    CHECK_EQ(req.write_len, 56);
    CHECK_SEG(255, BUF + 255, 1, true);
    done(&g);
}

static void indirect_not_negotiated(void)
{
    struct guest g;
    setup(&g, 256, false, false);
    uint32_t t = BUF + 0x8000;
    tdesc(&g, t, 0, BUF, 16, 0, 0);
    desc(&g, 0, t, 16, VRING_DESC_F_INDIRECT, 0);
    post(&g, 0);
    EXPECT_BAD(&g, "indirect");
    done(&g);
}

static void indirect_nested(void)
{
    struct guest g;
    setup(&g, 256, true, false);
    uint32_t t = BUF + 0x8000, t2 = BUF + 0x9000;
    tdesc(&g, t2, 0, BUF, 16, 0, 0);
    tdesc(&g, t, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
    tdesc(&g, t, 1, t2, 16, VRING_DESC_F_INDIRECT, 0);
    desc(&g, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
    post(&g, 0);
    EXPECT_BAD(&g, "nested");
    /* and as the first entry of the table */
    tdesc(&g, t, 0, t2, 16, VRING_DESC_F_INDIRECT, 0);
    EXPECT_BAD(&g, "nested");
    done(&g);
}

static void indirect_inside_chain(void)
{
    struct guest g;
    setup(&g, 256, true, false);
    uint32_t t = BUF + 0x8000;
    tdesc(&g, t, 0, BUF, 16, 0, 0);
    /* after a plain descriptor */
    desc(&g, 0, BUF + 0x100, 16, VRING_DESC_F_NEXT, 1);
    desc(&g, 1, t, 16, VRING_DESC_F_INDIRECT, 0);
    post(&g, 0);
    EXPECT_BAD(&g, "chain");
    /* at the head but with NEXT */
    desc(&g, 0, t, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 2);
    desc(&g, 2, BUF + 0x100, 16, VRING_DESC_F_WRITE, 0);
    EXPECT_BAD(&g, "chain");
    done(&g);
}

static void indirect_bad_length(void)
{
    static const uint32_t lens[] = { 0, 1, 8, 15, 17, 24, 4080 + 8, 257 * 16, 0x10000, 0xFFFFFFF0 };
    struct guest g;
    setup(&g, 256, true, false);
    uint32_t t = BUF + 0x8000;
    for (uint32_t i = 0; i < 258; i++)
        tdesc(&g, t, i, BUF, 1, 0, 0);
    post(&g, 0);
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        desc(&g, 0, t, lens[i], VRING_DESC_F_INDIRECT, 0);
        EXPECT_BAD(&g, "indirect table");
    }
    done(&g);
}

static void indirect_table_outside_memory(void)
{
    struct guest g;
    setup(&g, 256, true, false);
    post(&g, 0);
    desc(&g, 0, MEM - 16, 32, VRING_DESC_F_INDIRECT, 0);      /* straddles the end */
    EXPECT_BAD(&g, "outside");
    desc(&g, 0, MEM, 16, VRING_DESC_F_INDIRECT, 0);
    EXPECT_BAD(&g, "outside");
    desc(&g, 0, 0xFFFFFFF0, 32, VRING_DESC_F_INDIRECT, 0);    /* wraps past 4 GiB */
    EXPECT_BAD(&g, "outside");
    desc(&g, 0, 0x100000000ull | (BUF + 0x8000), 16, VRING_DESC_F_INDIRECT, 0);  /* high bits */
    EXPECT_BAD(&g, "outside");
    done(&g);
}

static void indirect_loop(void)
{
    struct guest g;
    setup(&g, 256, true, false);
    uint32_t t = BUF + 0x8000;
    tdesc(&g, t, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
    tdesc(&g, t, 1, BUF, 16, VRING_DESC_F_NEXT, 0);
    tdesc(&g, t, 2, BUF, 16, 0, 0);
    desc(&g, 0, t, 48, VRING_DESC_F_INDIRECT, 0);
    post(&g, 0);
    EXPECT_BAD(&g, "loop");
    /* an entry naming itself */
    tdesc(&g, t, 0, BUF, 16, VRING_DESC_F_NEXT, 2);
    tdesc(&g, t, 2, BUF, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    EXPECT_BAD(&g, "loop");
    /* a one-entry table naming itself */
    tdesc(&g, t, 0, BUF, 16, VRING_DESC_F_NEXT, 0);
    desc(&g, 0, t, 16, VRING_DESC_F_INDIRECT, 0);
    EXPECT_BAD(&g, "loop");
    done(&g);
}

static void indirect_next_beyond_table(void)
{
    struct guest g;
    setup(&g, 256, true, false);
    uint32_t t = BUF + 0x8000;
    tdesc(&g, t, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
    tdesc(&g, t, 1, BUF, 16, VRING_DESC_F_NEXT, 2);     /* a table of 2 */
    tdesc(&g, t, 2, BUF, 16, 0, 0);                     /* exists in memory, not in the table */
    desc(&g, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
    post(&g, 0);
    EXPECT_BAD(&g, "beyond");
    tdesc(&g, t, 1, BUF, 16, VRING_DESC_F_NEXT, 0xFFFF);
    EXPECT_BAD(&g, "beyond");
    done(&g);
}

static void indirect_entry_bad(void)
{
    struct guest g;
    setup(&g, 256, true, false);
    uint32_t t = BUF + 0x8000;
    desc(&g, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
    post(&g, 0);
    tdesc(&g, t, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
    tdesc(&g, t, 1, MEM - 4, 8, VRING_DESC_F_WRITE, 0);
    EXPECT_BAD(&g, "outside");
    tdesc(&g, t, 1, 0xFFFFFFFF, 2, VRING_DESC_F_WRITE, 0);
    EXPECT_BAD(&g, "outside");
    tdesc(&g, t, 1, 0x200000000ull | BUF, 2, VRING_DESC_F_WRITE, 0);
    EXPECT_BAD(&g, "outside");
    /* readable after writable inside the table */
    tdesc(&g, t, 0, BUF, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
    tdesc(&g, t, 1, BUF, 16, 0, 0);
    EXPECT_BAD(&g, "readable");
    done(&g);
}

/* ---- malformed rings ---- */

static void loop_two(void)
{
    struct guest g;
    setup(&g, 256, false, false);
    desc(&g, 4, BUF, 16, VRING_DESC_F_NEXT, 9);
    desc(&g, 9, BUF + 0x10, 16, VRING_DESC_F_NEXT, 4);
    post(&g, 4);
    EXPECT_BAD(&g, "loop");
    /* all writable, small ring */
    struct guest h;
    setup(&h, 8, false, false);
    desc(&h, 1, BUF, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 6);
    desc(&h, 6, BUF, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
    post(&h, 1);
    EXPECT_BAD(&h, "loop");
    done(&h);
    done(&g);
}

static void loop_self(void)
{
    struct guest g;
    setup(&g, 256, false, false);
    desc(&g, 7, BUF, 16, VRING_DESC_F_NEXT, 7);
    post(&g, 7);
    EXPECT_BAD(&g, "loop");
    /* a loop after a good start */
    desc(&g, 7, BUF, 16, VRING_DESC_F_NEXT, 8);
    desc(&g, 8, BUF, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 8);
    EXPECT_BAD(&g, "loop");
    done(&g);
}

static void next_beyond_ring(void)
{
    struct guest g;
    setup(&g, 16, false, false);
    desc(&g, 0, BUF, 16, VRING_DESC_F_NEXT, 16);
    post(&g, 0);
    EXPECT_BAD(&g, "beyond");
    desc(&g, 0, BUF, 16, VRING_DESC_F_NEXT, 0xFFFF);
    EXPECT_BAD(&g, "beyond");
    done(&g);
}

static void head_beyond_ring(void)
{
    struct guest g;
    setup(&g, 16, false, false);
    post(&g, 16);
    EXPECT_BAD(&g, "descriptor 16");
    struct guest h;
    setup(&h, 256, false, false);
    post(&h, 0xFFFF);
    EXPECT_BAD(&h, "descriptor 65535");
    done(&h);
    done(&g);
}

/* More posted than the ring holds, or the index running backwards. */
static void avail_idx_jumps(void)
{
    struct guest g;
    setup(&g, 256, false, false);
    desc(&g, 0, BUF, 16, 0, 0);
    set_avail_idx(&g, 257);
    EXPECT_BAD(&g, "avail index");
    set_avail_idx(&g, 0x8000);
    EXPECT_BAD(&g, "avail index");
    set_avail_idx(&g, 0xFFFF);          /* one behind */
    EXPECT_BAD(&g, "avail index");
    /* from a cursor that has moved */
    set_avail_idx(&g, 1);
    CHECK_EQ(pop(&g), 1);
    set_avail_idx(&g, (uint16_t)(1 + 257));
    EXPECT_BAD(&g, "avail index");
    set_avail_idx(&g, 0x8001);
    EXPECT_BAD(&g, "avail index");
    set_avail_idx(&g, 0);
    EXPECT_BAD(&g, "avail index");
    set_avail_idx(&g, 1 + 256);         /* full: fine */
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(g.vr.last_avail, 2);
    struct guest h;
    setup(&h, 8, false, false);
    set_avail_idx(&h, 9);
    EXPECT_BAD(&h, "avail index");
    done(&h);
    done(&g);
}

static void buffer_outside_memory(void)
{
    struct guest g;
    setup(&g, 16, false, false);
    post(&g, 0);
    desc(&g, 0, MEM, 1, 0, 0);
    EXPECT_BAD(&g, "outside");
    desc(&g, 0, MEM - 4, 8, VRING_DESC_F_WRITE, 0);
    EXPECT_BAD(&g, "outside");
    desc(&g, 0, 0, MEM + 1, 0, 0);
    EXPECT_BAD(&g, "outside");
    desc(&g, 0, MEM + 1, 0, 0, 0);                      /* empty, but not inside */
    EXPECT_BAD(&g, "outside");
    /* the bad one later in a chain */
    desc(&g, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
    desc(&g, 1, 0x80000000, 16, VRING_DESC_F_WRITE, 0);
    EXPECT_BAD(&g, "outside");
    done(&g);
}

static void buffer_wraps_4g(void)
{
    struct guest g;
    setup(&g, 16, false, false);
    post(&g, 0);
    desc(&g, 0, 0xFFFFFFF0, 0x20, 0, 0);                /* would wrap onto gpa 0x10 */
    EXPECT_BAD(&g, "outside");
    desc(&g, 0, 0x10, 0xFFFFFFF0, VRING_DESC_F_WRITE, 0);
    EXPECT_BAD(&g, "outside");
    desc(&g, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0);
    EXPECT_BAD(&g, "outside");
    done(&g);
}

static void buffer_high_bits(void)
{
    struct guest g;
    setup(&g, 16, false, false);
    post(&g, 0);
    desc(&g, 0, 0x100000000ull | BUF, 16, 0, 0);        /* low half is inside */
    EXPECT_BAD(&g, "outside");
    desc(&g, 0, 0x8000000000000000ull, 16, VRING_DESC_F_WRITE, 0);
    EXPECT_BAD(&g, "outside");
    desc(&g, 0, 0xFFFFFFFF00000000ull, 0, 0, 0);
    EXPECT_BAD(&g, "outside");
    done(&g);
}

static void readable_after_writable(void)
{
    struct guest g;
    setup(&g, 16, false, false);
    desc(&g, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
    desc(&g, 1, BUF + 0x100, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    desc(&g, 2, BUF + 0x200, 16, 0, 0);
    post(&g, 0);
    EXPECT_BAD(&g, "readable");
    /* writable first, then readable */
    desc(&g, 0, BUF, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    EXPECT_BAD(&g, "readable");
    done(&g);
}

static void lengths_past_4g(void)
{
    struct guest g;
    setup(&g, 16, false, false);
    g.m.size = 0xFFFFF000;                              /* see lengths_up_to_4g */
    desc(&g, 0, 0x100000, 0x80000000, VRING_DESC_F_NEXT, 1);
    desc(&g, 1, 0x100000, 0x80000000, 0, 0);            /* exactly 2^32 */
    post(&g, 0);
    EXPECT_BAD(&g, "wrap");
    desc(&g, 0, 0x100000, 0xFFFFFFF, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
    desc(&g, 1, 0x100000, 0xF0000001, VRING_DESC_F_WRITE, 0);
    EXPECT_BAD(&g, "wrap");
    /* three readable pieces, wrapping only at the third */
    desc(&g, 0, 0x100000, 0x70000000, VRING_DESC_F_NEXT, 1);
    desc(&g, 1, 0x100000, 0x70000000, VRING_DESC_F_NEXT, 2);
    desc(&g, 2, 0x100000, 0x20000000, 0, 0);
    EXPECT_BAD(&g, "wrap");
    g.m.size = MEM;
    done(&g);
}

/* ---- used ring ---- */

static void push_writes_used(void)
{
    struct guest g;
    setup(&g, 8, false, false);
    vring_push(&g.m, &g.vr, 3, 100);
    CHECK_EQ(used_id(&g, 0), 3);
    CHECK_EQ(used_len(&g, 0), 100);
    CHECK_EQ(used_idx(&g), 1);
    CHECK_EQ(g.vr.used_idx, 1);
    CHECK_EQ(r16(&g, RING + o_used(8)), 0);            /* used.flags untouched */
    /* around the ring: entry idx % num */
    for (uint32_t i = 1; i < 11; i++) {
        vring_push(&g.m, &g.vr, (uint16_t)(i % 8), 0x1000 + i);
        CHECK_EQ(used_id(&g, i % 8), i % 8);
        CHECK_EQ(used_len(&g, i % 8), 0x1000 + i);
        CHECK_EQ(used_idx(&g), i + 1);
    }
    CHECK_EQ(used_id(&g, 3), 3);                        /* 11 entries: slot 3 holds i = 3 */
    CHECK_EQ(used_len(&g, 3), 0x1003);
    CHECK_EQ(used_len(&g, 2), 0x100A);                  /* slot 2 rewritten by i = 10 */
    /* a large length goes in whole */
    vring_push(&g.m, &g.vr, 7, 0xFFFFFFFF);
    CHECK_EQ(used_id(&g, 3), 7);
    CHECK_EQ(used_len(&g, 3), 0xFFFFFFFF);
    done(&g);
}

/* The free-running u16 indexes wrap past 65535. */
static void index_wrap(void)
{
    struct guest g;
    setup(&g, 8, false, false);
    set_avail_idx(&g, 65530);
    set_used_idx(&g, 65530);
    g.vr.last_avail = g.vr.used_idx = g.vr.signalled_used = 65530;
    for (uint32_t i = 0; i < 20; i++) {
        uint16_t head = (uint16_t)((i * 3) % 8);
        desc(&g, head, BUF + 0x100 * i, i + 1, VRING_DESC_F_WRITE, 0);
        post(&g, head);
        CHECK_EQ(pop(&g), 1);
        CHECK_EQ(req.head, head);
        CHECK_EQ(req.write_len, i + 1);
        CHECK_EQ(g.vr.last_avail, (uint16_t)(65531 + i));
        vring_push(&g.m, &g.vr, head, i);
        CHECK_EQ(used_id(&g, (65530 + i) % 8), head);
        CHECK_EQ(used_len(&g, (65530 + i) % 8), i);
        CHECK_EQ(used_idx(&g), (uint16_t)(65531 + i));
    }
    CHECK_EQ(avail_idx(&g), 14);
    CHECK_EQ(g.vr.last_avail, 14);
    CHECK_EQ(g.vr.used_idx, 14);
    CHECK_EQ(pop(&g), 0);
    /* a full ring straddling the wrap */
    set_avail_idx(&g, 65532);
    g.vr.last_avail = 65532;
    for (uint16_t i = 0; i < 8; i++) {
        desc(&g, i, BUF, 1, 0, 0);
        post(&g, i);
    }
    CHECK_EQ(avail_idx(&g), 4);
    for (uint16_t i = 0; i < 8; i++) {
        CHECK_EQ(pop(&g), 1);
        CHECK_EQ(req.head, i);
    }
    CHECK_EQ(pop(&g), 0);
    CHECK_EQ(g.vr.last_avail, 4);
    /* and too many across the wrap */
    g.vr.last_avail = 65532;
    set_avail_idx(&g, (uint16_t)(65532 + 9));
    EXPECT_BAD(&g, "avail index");
    done(&g);
}

/* ---- interrupts ---- */

static void interrupt_without_event_idx(void)
{
    struct guest g;
    setup(&g, 16, false, false);
    CHECK(!vring_should_interrupt(&g.m, &g.vr));       /* nothing pushed */
    vring_push(&g.m, &g.vr, 0, 1);
    CHECK(vring_should_interrupt(&g.m, &g.vr));
    CHECK(!vring_should_interrupt(&g.m, &g.vr));       /* nothing new */
    set_avail_flags(&g, VRING_AVAIL_F_NO_INTERRUPT);
    vring_push(&g.m, &g.vr, 1, 1);
    vring_push(&g.m, &g.vr, 2, 1);
    CHECK(!vring_should_interrupt(&g.m, &g.vr));
    set_avail_flags(&g, 0);
    CHECK(!vring_should_interrupt(&g.m, &g.vr));       /* those were decided */
    /* used_event means nothing without EVENT_IDX */
    set_used_event(&g, 100);
    vring_push(&g.m, &g.vr, 3, 1);
    CHECK(vring_should_interrupt(&g.m, &g.vr));
    CHECK_EQ(g.vr.signalled_used, 4);
    done(&g);
}

static void interrupt_event_idx_window(void)
{
    struct guest g;
    setup(&g, 16, false, true);
    set_used_event(&g, 2);                              /* "interrupt when entry 2 is used" */
    CHECK(!vring_should_interrupt(&g.m, &g.vr));
    vring_push(&g.m, &g.vr, 0, 1);                      /* used 0 -> 1 */
    CHECK(!vring_should_interrupt(&g.m, &g.vr));
    vring_push(&g.m, &g.vr, 1, 1);                      /* 1 -> 2 */
    CHECK(!vring_should_interrupt(&g.m, &g.vr));
    vring_push(&g.m, &g.vr, 2, 1);                      /* 2 -> 3: entry 2 is out */
    CHECK(vring_should_interrupt(&g.m, &g.vr));
    /* nothing new: no interrupt, even with used_event behind */
    CHECK(!vring_should_interrupt(&g.m, &g.vr));
    set_used_event(&g, 0);
    CHECK(!vring_should_interrupt(&g.m, &g.vr));
    /* a batch 3 -> 6 crossing used_event 4 */
    set_used_event(&g, 4);
    vring_push(&g.m, &g.vr, 3, 1);
    vring_push(&g.m, &g.vr, 4, 1);
    vring_push(&g.m, &g.vr, 5, 1);
    CHECK(vring_should_interrupt(&g.m, &g.vr));
    /* event at the first entry of the batch (6 -> 8, event 6) */
    set_used_event(&g, 6);
    vring_push(&g.m, &g.vr, 6, 1);
    vring_push(&g.m, &g.vr, 7, 1);
    CHECK(vring_should_interrupt(&g.m, &g.vr));
    /* event already passed before the batch (8 -> 9, event 7) */
    set_used_event(&g, 7);
    vring_push(&g.m, &g.vr, 8, 1);
    CHECK(!vring_should_interrupt(&g.m, &g.vr));
    /* event ahead of the batch (9 -> 11, event 11) */
    set_used_event(&g, 11);
    vring_push(&g.m, &g.vr, 9, 1);
    vring_push(&g.m, &g.vr, 10, 1);
    CHECK(!vring_should_interrupt(&g.m, &g.vr));
    /* NO_INTERRUPT is not looked at with EVENT_IDX */
    set_avail_flags(&g, VRING_AVAIL_F_NO_INTERRUPT);
    vring_push(&g.m, &g.vr, 11, 1);                     /* 11 -> 12, event 11 */
    CHECK(vring_should_interrupt(&g.m, &g.vr));
    done(&g);
}

static void interrupt_event_idx_wrap(void)
{
    struct guest g;
    setup(&g, 16, false, true);
    set_used_idx(&g, 65534);
    g.vr.used_idx = g.vr.signalled_used = 65534;
    set_used_event(&g, 65535);
    vring_push(&g.m, &g.vr, 0, 1);                      /* 65534 -> 65535 */
    CHECK(!vring_should_interrupt(&g.m, &g.vr));
    vring_push(&g.m, &g.vr, 1, 1);                      /* 65535 -> 0 */
    CHECK(vring_should_interrupt(&g.m, &g.vr));
    CHECK_EQ(used_idx(&g), 0);
    set_used_event(&g, 65535);                          /* stale: long gone */
    vring_push(&g.m, &g.vr, 2, 1);
    CHECK(!vring_should_interrupt(&g.m, &g.vr));
    set_used_event(&g, 1);
    vring_push(&g.m, &g.vr, 3, 1);                      /* 1 -> 2 */
    CHECK(vring_should_interrupt(&g.m, &g.vr));
    done(&g);
}

/* ---- avail_event ---- */

/* A device that also looks at the ring by itself (virtio/net.c's TX) asks
 * for a kick only event_ahead entries later once the ring runs empty; a
 * 3.10 guest (vring_need_event) then kicks exactly at that entry. */
static void empty_ring_asks_ahead(void)
{
    struct guest g;
    setup(&g, 256, false, true);
    g.vr.event_ahead = 31;
    desc(&g, 0, BUF, 16, 0, 0);
    post(&g, 0);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(avail_event(&g), 1);                   /* while taking: the next one */
    CHECK_EQ(pop(&g), 0);
    CHECK_EQ(avail_event(&g), 32);                  /* empty: 31 further on */
    /* the guest's rule: kick when new - event - 1 < new - old */
    uint16_t event = avail_event(&g), kicks = 0;
    for (uint16_t old = 1, i = 0; i < 40; i++, old++)
        if ((uint16_t)(old + 1 - event - 1) < (uint16_t)1)
            kicks++;
    CHECK_EQ(kicks, 1);
    /* near the u16 wrap */
    struct guest h;
    setup(&h, 16, false, true);
    h.vr.event_ahead = 31;
    h.vr.last_avail = 0xFFF0;
    set_avail_idx(&h, 0xFFF0);
    CHECK_EQ(pop(&h), 0);
    CHECK_EQ(avail_event(&h), (uint16_t)(0xFFF0 + 31));
    done(&g);
    done(&h);
}

/* A device with requests in flight (virtio/block_sata.c) asks for no kick:
 * with EVENT_IDX avail_event stays one behind what it took, so a 3.10
 * guest's rule never fires; without, NO_NOTIFY is set in the used flags,
 * and cleared again (with avail_event caught up) once it is not quiet. */
static void quiet_ring_asks_no_kick(void)
{
    struct guest g;
    setup(&g, 16, false, true);
    desc(&g, 0, BUF, 16, 0, 0);
    desc(&g, 1, BUF, 16, 0, 0);
    g.vr.quiet = true;
    post(&g, 0);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(avail_event(&g), 0);                   /* taken 1, event behind it */
    CHECK_EQ(pop(&g), 0);
    CHECK_EQ(avail_event(&g), 0);
    uint16_t event = avail_event(&g), kicks = 0;
    for (uint16_t old = 1, i = 0; i < 40; i++, old++)   /* the guest posting 40 more, one at a time */
        if ((uint16_t)(old + 1 - event - 1) < (uint16_t)1)
            kicks++;
    CHECK_EQ(kicks, 0);
    g.vr.quiet = false;
    CHECK_EQ(pop(&g), 0);
    CHECK_EQ(avail_event(&g), 1);                   /* the next one kicks again */
    post(&g, 1);                                    /* and one posted is taken */
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.head, 1);

    struct guest h;
    setup(&h, 16, false, false);
    desc(&h, 0, BUF, 16, 0, 0);
    h.vr.quiet = true;
    CHECK_EQ(pop(&h), 0);
    CHECK_EQ(r16(&h, RING + o_used(16)) & VRING_USED_F_NO_NOTIFY, VRING_USED_F_NO_NOTIFY);
    h.vr.quiet = false;
    CHECK_EQ(pop(&h), 0);
    CHECK_EQ(r16(&h, RING + o_used(16)) & VRING_USED_F_NO_NOTIFY, 0);
    done(&g);
    done(&h);
}

/* A request given back is taken again, whole, and EVENT_IDX's avail_event
 * asks for it again. */
static void unpop_takes_again(void)
{
    struct guest g;
    setup(&g, 16, false, true);
    desc(&g, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
    desc(&g, 1, BUF + 64, 32, VRING_DESC_F_WRITE, 0);
    desc(&g, 2, BUF + 128, 8, 0, 0);
    post(&g, 0);
    post(&g, 2);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.head, 0);
    CHECK_EQ(avail_event(&g), 1);
    vring_unpop(&g.m, &g.vr);
    CHECK_EQ(g.vr.last_avail, 0);
    CHECK_EQ(avail_event(&g), 0);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.head, 0);
    CHECK_EQ(req.nseg, 2);
    CHECK_SEG(1, BUF + 64, 32, true);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.head, 2);
    CHECK_EQ(pop(&g), 0);
    CHECK_EQ(used_idx(&g), 0);                      /* nothing was returned meanwhile */
    done(&g);
}

static void pop_writes_avail_event(void)
{
    static const uint32_t nums[] = { 8, 16, 256 };
    for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
        struct guest g;
        setup(&g, nums[k], false, true);
        w16(&g, RING + o_avail_event(g.num), 0xBEEF);
        desc(&g, 0, BUF, 16, 0, 0);
        post(&g, 0);
        post(&g, 0);
        CHECK_EQ(pop(&g), 1);
        CHECK_EQ(avail_event(&g), 1);
        CHECK_EQ(pop(&g), 1);
        CHECK_EQ(avail_event(&g), 2);
        w16(&g, RING + o_avail_event(g.num), 0xBEEF);
        CHECK_EQ(pop(&g), 0);                           /* empty: still asks for the next */
        CHECK_EQ(avail_event(&g), 2);
        done(&g);
    }
    /* without EVENT_IDX it is left alone */
    struct guest h;
    setup(&h, 16, false, false);
    w16(&h, RING + o_avail_event(16), 0xBEEF);
    desc(&h, 0, BUF, 16, 0, 0);
    post(&h, 0);
    CHECK_EQ(pop(&h), 1);
    CHECK_EQ(pop(&h), 0);
    CHECK_EQ(avail_event(&h), 0xBEEF);
    done(&h);
}

/* Taking a request changes nothing in the ring but avail_event. */
static void pop_writes_nothing_else(void)
{
    static const uint32_t nums[] = { 8, 256, 512 };
    static uint8_t before[16390];
    for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
        uint32_t num = nums[k], size = o_total(num), ev = o_avail_event(num);
        struct guest g;
        setup(&g, num, false, true);
        desc(&g, 1, BUF, 16, 0, 0);
        post(&g, 1);
        /* the used ring already holds an entry the guest has yet to read */
        vring_push(&g.m, &g.vr, 5, 0x55);
        memcpy(before, g.m.base + RING, size);
        CHECK_EQ(pop(&g), 1);
        CHECK_EQ(pop(&g), 0);
        for (uint32_t i = 0; i < size; i++)
            if (i != ev && i != ev + 1)
                CHECK_EQ(g.m.base[RING + i], before[i]);
        CHECK_EQ(used_id(&g, 0), 5);
        CHECK_EQ(used_len(&g, 0), 0x55);
        done(&g);
    }
}

/* ---- copying ---- */

/* Readable 5 + 7 + 4 ("ABCDEFGHIJKLMNOP"), writable 6 + 10, scattered,
 * with guard bytes around each. */
static void copy_request(struct guest *g)
{
    setup(g, 16, false, false);
    memset(g->m.base + BUF, '#', 0x1000);
    memcpy(g->m.base + BUF + 0x000, "ABCDE", 5);
    memcpy(g->m.base + BUF + 0x100, "FGHIJKL", 7);
    memcpy(g->m.base + BUF + 0x200, "MNOP", 4);
    memset(g->m.base + BUF + 0x300, 'w', 6);
    memset(g->m.base + BUF + 0x400, 'w', 10);
    desc(g, 3, BUF + 0x000, 5, VRING_DESC_F_NEXT, 8);
    desc(g, 8, BUF + 0x100, 7, VRING_DESC_F_NEXT, 1);
    desc(g, 1, BUF + 0x200, 4, VRING_DESC_F_NEXT, 12);
    desc(g, 12, BUF + 0x300, 6, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0);
    desc(g, 0, BUF + 0x400, 10, VRING_DESC_F_WRITE, 0);
    post(g, 3);
}

static void copy_from_segments(void)
{
    struct guest g;
    char buf[64];
    copy_request(&g);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.read_len, 16);
    CHECK_EQ(req.write_len, 16);
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(vring_copy_from(&g.m, &req, 0, buf, 16), 16);
    CHECK_STR(buf, "ABCDEFGHIJKLMNOP");
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(vring_copy_from(&g.m, &req, 3, buf, 6), 6);       /* across 0|1 */
    CHECK_STR(buf, "DEFGHI");
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(vring_copy_from(&g.m, &req, 5, buf, 7), 7);       /* exactly segment 1 */
    CHECK_STR(buf, "FGHIJKL");
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(vring_copy_from(&g.m, &req, 4, buf, 10), 10);     /* across 0|1|2 */
    CHECK_STR(buf, "EFGHIJKLMN");
    /* stops at the end of the readable part, not going on into the writable */
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(vring_copy_from(&g.m, &req, 10, buf, 100), 6);
    CHECK_STR(buf, "KLMNOP");
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(vring_copy_from(&g.m, &req, 0, buf, 64), 16);
    CHECK_STR(buf, "ABCDEFGHIJKLMNOP");
    CHECK_EQ(vring_copy_from(&g.m, &req, 16, buf, 4), 0);
    CHECK_EQ(vring_copy_from(&g.m, &req, 17, buf, 4), 0);
    CHECK_EQ(vring_copy_from(&g.m, &req, 0xFFFFFFFF, buf, 4), 0);
    CHECK_EQ(vring_copy_from(&g.m, &req, 2, buf, 0), 0);
    done(&g);
}

static void copy_to_segments(void)
{
    struct guest g;
    uint8_t src[64];
    for (int i = 0; i < 64; i++)
        src[i] = (uint8_t)('a' + i % 26);
    copy_request(&g);
    CHECK_EQ(pop(&g), 1);
    uint8_t *w0 = g.m.base + BUF + 0x300, *w1 = g.m.base + BUF + 0x400;
    CHECK_EQ(vring_copy_to(&g.m, &req, 4, src, 10), 10);       /* across 0|1 */
    CHECK(memcmp(w0, "wwwwab", 6) == 0);
    CHECK(memcmp(w1, "cdefghijww", 10) == 0);
    /* stops at the end of the writable part */
    CHECK_EQ(vring_copy_to(&g.m, &req, 12, src, 64), 4);
    CHECK(memcmp(w1, "cdefghabcd", 10) == 0);
    CHECK_EQ(w1[10], '#');
    CHECK_EQ(vring_copy_to(&g.m, &req, 0, src, 64), 16);
    CHECK(memcmp(w0, "abcdef", 6) == 0);
    CHECK(memcmp(w1, "ghijklmnop", 10) == 0);
    CHECK_EQ(vring_copy_to(&g.m, &req, 16, src, 1), 0);
    CHECK_EQ(vring_copy_to(&g.m, &req, 0xFFFFFFF0, src, 64), 0);
    /* guards and the readable part untouched */
    CHECK_EQ(w0[-1], '#');
    CHECK_EQ(w0[6], '#');
    CHECK_EQ(w1[-1], '#');
    CHECK(memcmp(g.m.base + BUF, "ABCDE#", 6) == 0);
    CHECK(memcmp(g.m.base + BUF + 0x100, "FGHIJKL#", 8) == 0);
    CHECK(memcmp(g.m.base + BUF + 0x200, "MNOP#", 5) == 0);
    done(&g);
}

/* A request with one side only: the other side copies nothing. */
static void copy_one_sided(void)
{
    struct guest g;
    uint8_t buf[8] = { 0 };
    setup(&g, 16, false, false);
    memset(g.m.base + BUF, 'r', 8);
    memset(g.m.base + BUF + 0x100, 'w', 8);
    desc(&g, 0, BUF, 8, 0, 0);
    desc(&g, 1, BUF + 0x100, 8, VRING_DESC_F_WRITE, 0);
    post(&g, 0);
    post(&g, 1);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(vring_copy_to(&g.m, &req, 0, "xxxxxxxx", 8), 0);
    CHECK_EQ(g.m.base[BUF], 'r');
    CHECK_EQ(g.m.base[BUF + 0x100], 'w');
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(vring_copy_from(&g.m, &req, 0, buf, 8), 0);
    CHECK_EQ(buf[0], 0);
    CHECK_EQ(vring_copy_to(&g.m, &req, 2, "xy", 2), 2);
    CHECK(memcmp(g.m.base + BUF + 0x100, "wwxywwww", 8) == 0);
    done(&g);
}

/* Segments of an indirect request copy the same way. */
static void copy_indirect(void)
{
    struct guest g;
    char buf[16] = { 0 };
    setup(&g, 16, true, false);
    uint32_t t = BUF + 0x800;
    memcpy(g.m.base + BUF, "0123", 4);
    memcpy(g.m.base + BUF + 0x40, "4567", 4);
    tdesc(&g, t, 0, BUF, 4, VRING_DESC_F_NEXT, 1);
    tdesc(&g, t, 1, BUF + 0x40, 4, VRING_DESC_F_NEXT, 2);
    tdesc(&g, t, 2, BUF + 0x80, 3, VRING_DESC_F_WRITE, 0);
    desc(&g, 2, t, 48, VRING_DESC_F_INDIRECT, 0);
    post(&g, 2);
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(vring_copy_from(&g.m, &req, 2, buf, 15), 6);
    CHECK_STR(buf, "234567");
    CHECK_EQ(vring_copy_to(&g.m, &req, 1, "ab", 2), 2);
    CHECK(memcmp(g.m.base + BUF + 0x80, "\0ab", 3) == 0);
    done(&g);
}

/* Virtio 1.0: the three parts where the driver put them, in any order
 * and alignment; each part is checked against memory on its own. */
static void split_ring(void)
{
    struct guest g;
    setup(&g, 64, false, true);
    uint32_t d = 0x20000, a = 0x30002, u = 0x18004;      /* used before desc, avail 2-aligned */
    vring_init_split(&g.vr, d, a, u, 64, false, true);
    tdesc(&g, d, 5, BUF, 300, VRING_DESC_F_WRITE, 0);
    w16(&g, a + 4, 5);                                  /* avail.ring[0] */
    w16(&g, a + 2, 1);                                  /* avail.idx */
    w16(&g, a + 4 + 2 * 64, 0);                         /* used_event */
    CHECK(vring_has_avail(&g.m, &g.vr));
    CHECK_EQ(pop(&g), 1);
    CHECK_EQ(req.head, 5);
    CHECK_EQ(req.write_len, 300);
    CHECK_EQ(r16(&g, u + 4 + 8 * 64), 1);               /* avail_event after the used ring */
    vring_push(&g.m, &g.vr, 5, 42);
    CHECK_EQ(r16(&g, u + 2), 1);
    CHECK_EQ(r32(&g, u + 4), 5);
    CHECK_EQ(r32(&g, u + 8), 42);
    CHECK(vring_should_interrupt(&g.m, &g.vr));
    CHECK_EQ(pop(&g), 0);
    /* any part past the end of memory: the ring is not usable */
    vring_init_split(&g.vr, d, a, MEM - vring_used_bytes(64) + 1, 64, false, false);
    CHECK_EQ(pop(&g), -1);
    CHECK_CONTAINS(err, "set up");
    vring_init_split(&g.vr, MEM - 16, a, u, 64, false, false);
    CHECK(!vring_has_avail(&g.m, &g.vr));
    vring_push(&g.m, &g.vr, 0, 1);
    CHECK_EQ(g.vr.used_idx, 0);
    vring_init_split(&g.vr, d, a, u, 0, false, false);  /* never enabled */
    CHECK_EQ(pop(&g), -1);
    done(&g);
}

int main(void)
{
    RUN(layout_matches_table);
    RUN(init_state);
    RUN(ring_not_usable);
    RUN(empty_ring);
    RUN(pop_single_readable);
    RUN(pop_single_writable);
    RUN(pop_chain_read_then_write);
    RUN(pop_in_avail_order);
    RUN(exactly_num_outstanding);
    RUN(chain_of_num_descriptors);
    RUN(buffer_at_end_of_memory);
    RUN(lengths_up_to_4g);
    RUN(indirect_ok);
    RUN(indirect_256_entries);
    RUN(indirect_not_negotiated);
    RUN(indirect_nested);
    RUN(indirect_inside_chain);
    RUN(indirect_bad_length);
    RUN(indirect_table_outside_memory);
    RUN(indirect_loop);
    RUN(indirect_next_beyond_table);
    RUN(indirect_entry_bad);
    RUN(loop_two);
    RUN(loop_self);
    RUN(next_beyond_ring);
    RUN(head_beyond_ring);
    RUN(avail_idx_jumps);
    RUN(buffer_outside_memory);
    RUN(buffer_wraps_4g);
    RUN(buffer_high_bits);
    RUN(readable_after_writable);
    RUN(lengths_past_4g);
    RUN(push_writes_used);
    RUN(index_wrap);
    RUN(interrupt_without_event_idx);
    RUN(interrupt_event_idx_window);
    RUN(interrupt_event_idx_wrap);
    RUN(pop_writes_avail_event);
    RUN(empty_ring_asks_ahead);
    RUN(unpop_takes_again);
    RUN(pop_writes_nothing_else);
    RUN(copy_from_segments);
    RUN(copy_to_segments);
    RUN(copy_one_sided);
    RUN(copy_indirect);
    RUN(split_ring);
    RUN(quiet_ring_asks_no_kick);
    return CHECK_EXIT_STATUS();
}
