/* sources: drivers/nvme_prp.c */
/* NVMe PRPs for request segments: one page, two pages, a list, an offset
 * first page, the transfer limit and the list's, segments joined at page
 * boundaries, pieces PRPs cannot follow (a shorter command, or 0 for the
 * bounce page), misaligned addresses, starting mid-request; and the
 * bounce copy both ways. Addresses are made up: nothing is dereferenced
 * but in the copy test. */
#include <stdint.h>
#include <string.h>
#include "drivers/nvme_prp.h"
#include "tests/unit/check.h"

#define LIST_PHYS 0x00900000u
static uint64_t list[64];
static uint64_t prp1, prp2;

static uint32_t build(const struct blk_seg *s, uint32_t n, uint32_t off, uint32_t max)
{
    memset(list, 0, sizeof(list));
    prp1 = prp2 = 0xDEAD;
    return nvme_prp_build(s, n, off, max, list, 64, LIST_PHYS, &prp1, &prp2);
}

static void one_page(void)
{
    struct blk_seg s[] = { { 0x100000, 4096 } };
    CHECK_EQ(build(s, 1, 0, 262144), 4096);
    CHECK_EQ(prp1, 0x100000);
    CHECK_EQ(prp2, 0);
    struct blk_seg small[] = { { 0x100200, 1024 } };   /* inside one page, at an offset */
    CHECK_EQ(build(small, 1, 0, 262144), 1024);
    CHECK_EQ(prp1, 0x100200);
    CHECK_EQ(prp2, 0);
}

static void two_pages(void)
{
    struct blk_seg s[] = { { 0x100000, 8192 } };
    CHECK_EQ(build(s, 1, 0, 262144), 8192);
    CHECK_EQ(prp1, 0x100000);
    CHECK_EQ(prp2, 0x101000);
    struct blk_seg o[] = { { 0x100E00, 1024 } };        /* crosses one page boundary */
    CHECK_EQ(build(o, 1, 0, 262144), 1024);
    CHECK_EQ(prp1, 0x100E00);
    CHECK_EQ(prp2, 0x101000);
}

static void list_with_offset(void)
{
    struct blk_seg s[] = { { 0x100200, 65536 } };       /* 3584, 15 x 4096, 512: 17 pages */
    CHECK_EQ(build(s, 1, 0, 262144), 65536);
    CHECK_EQ(prp1, 0x100200);
    CHECK_EQ(prp2, LIST_PHYS);
    for (uint32_t i = 0; i < 16; i++)
        CHECK_EQ(list[i], 0x101000 + i * 4096);
}

static void transfer_limit(void)
{
    struct blk_seg s[] = { { 0x100000, 65536 } };
    CHECK_EQ(build(s, 1, 0, 16384), 16384);
    CHECK_EQ(prp2, LIST_PHYS);
    CHECK_EQ(list[2], 0x103000);
    CHECK_EQ(build(s, 1, 16384, 16384), 16384);         /* the next command */
    CHECK_EQ(prp1, 0x104000);
    CHECK_EQ(build(s, 1, 0, 256), 0);                   /* less than a sector allowed */
}

static void list_limit(void)
{
    struct blk_seg s[] = { { 0x100000, 1u << 20 } };
    uint64_t small_list[4];
    uint32_t n = nvme_prp_build(s, 1, 0, 1u << 20, small_list, 4, LIST_PHYS, &prp1, &prp2);
    CHECK_EQ(n, 5 * 4096);                              /* PRP1 and 4 list entries */
    CHECK_EQ(small_list[3], 0x104000);
}

static void scattered_pages_joined(void)
{
    struct blk_seg s[] = { { 0x200000, 4096 }, { 0x300000, 4096 }, { 0x250000, 8192 } };
    CHECK_EQ(build(s, 3, 0, 262144), 16384);
    CHECK_EQ(prp1, 0x200000);
    CHECK_EQ(prp2, LIST_PHYS);
    CHECK_EQ(list[0], 0x300000);
    CHECK_EQ(list[1], 0x250000);
    CHECK_EQ(list[2], 0x251000);
    /* a first piece that ends at its page's end, then a page */
    struct blk_seg e[] = { { 0x200E00, 512 }, { 0x300000, 4096 } };
    CHECK_EQ(build(e, 2, 0, 262144), 4608);
    CHECK_EQ(prp1, 0x200E00);
    CHECK_EQ(prp2, 0x300000);
}

static void pieces_prps_cannot_follow(void)
{
    /* guest/tests/block.c's odd shape: 1, 2, 3, 1 sectors at offsets in different pages */
    struct blk_seg s[] = { { 0x200200, 512 }, { 0x301400, 1024 }, { 0x402600, 1536 }, { 0x503800, 512 } };
    CHECK_EQ(build(s, 4, 0, 262144), 512);              /* the first piece does not reach its page's end */
    CHECK_EQ(prp1, 0x200200);
    CHECK_EQ(build(s, 4, 512, 262144), 1024);
    CHECK_EQ(prp1, 0x301400);
    CHECK_EQ(build(s, 4, 1536, 262144), 1536);
    CHECK_EQ(build(s, 4, 3072, 262144), 512);
    CHECK_EQ(build(s, 4, 3584, 262144), 0);             /* past the end */
    /* a page-aligned start after a piece that stops mid-page */
    struct blk_seg m[] = { { 0x200000, 1024 }, { 0x300000, 4096 } };
    CHECK_EQ(build(m, 2, 0, 262144), 1024);
    /* a sector split over two pieces: nothing expressible, bounce */
    struct blk_seg split[] = { { 0x200000, 256 }, { 0x300000, 768 } };
    CHECK_EQ(build(split, 2, 0, 262144), 0);
    /* whole sectors of a piece that then cannot go on: cut to them */
    struct blk_seg cut[] = { { 0x200D00, 768 }, { 0x300100, 256 } };
    CHECK_EQ(build(cut, 2, 0, 262144), 512);
    CHECK_EQ(build(cut, 2, 512, 262144), 0);
}

static void misaligned(void)
{
    struct blk_seg s[] = { { 0x200001, 4096 } };
    CHECK_EQ(build(s, 1, 0, 262144), 0);
    struct blk_seg w[] = { { 0x200002, 512 } };         /* word- but not dword-aligned */
    CHECK_EQ(build(w, 1, 0, 262144), 0);
    struct blk_seg d[] = { { 0x200004, 512 } };
    CHECK_EQ(build(d, 1, 0, 262144), 512);
    /* a later piece not at a page start */
    struct blk_seg l[] = { { 0x200000, 4096 }, { 0x300200, 4096 } };
    CHECK_EQ(build(l, 2, 0, 262144), 4096);
    CHECK_EQ(prp2, 0);
}

static void seg_copy(void)
{
    static uint8_t a[700], b[300], flat[1000], back[1000];
    for (uint32_t i = 0; i < sizeof(flat); i++)
        flat[i] = (uint8_t)(i * 7 + 3);
    struct blk_seg s[] = { { (uint32_t)(uintptr_t)a, sizeof(a) }, { (uint32_t)(uintptr_t)b, sizeof(b) } };
    nvme_seg_copy(s, 2, 0, flat, 1000, true);
    CHECK(memcmp(a, flat, 700) == 0);
    CHECK(memcmp(b, flat + 700, 300) == 0);
    memset(back, 0, sizeof(back));
    nvme_seg_copy(s, 2, 600, back, 200, false);         /* across the segments' boundary */
    CHECK(memcmp(back, flat + 600, 200) == 0);
    CHECK_EQ(back[200], 0);
    nvme_seg_copy(s, 2, 900, back, 500, false);         /* past the end: only what is there */
    CHECK(memcmp(back, flat + 900, 100) == 0);
}

int main(void)
{
    RUN(one_page);
    RUN(two_pages);
    RUN(list_with_offset);
    RUN(transfer_limit);
    RUN(list_limit);
    RUN(scattered_pages_joined);
    RUN(pieces_prps_cannot_follow);
    RUN(misaligned);
    RUN(seg_copy);
    return CHECK_EXIT_STATUS();
}
