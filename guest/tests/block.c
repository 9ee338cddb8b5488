/* test=block: the virtio block device against a disk image whose content
 * the harness made (word j of sector s = pat(s, j, SEED_IMAGE), see
 * tests/device_tests.py). Options: sectors=N (the image's size), id=TEXT
 * (what GET_ID must say), virtio=plain (no INDIRECT/EVENT_IDX).
 *
 * Phase 1 (the disk holds the image): config and GET_ID, the image read
 * back, the whole disk rewritten with another pattern in request shapes
 * that cover one 4 KiB segment, scattered pages, a long contiguous
 * segment, odd segment sizes and seg_max segments (chains or indirect
 * tables), read back and compared word by word, many requests in flight
 * at once, used.len, the error statuses, FLUSH; then a marker in sector 0
 * and SHUTDOWN(restart).
 * Phase 2 (the marker is there): everything written must have survived
 * the restart. */
#include <stdio.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/hcall.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/vblk.h"

#define SEED_IMAGE  0x1D15C000u
#define SEED_WRITE  0x5EED0002u
#define WORDS       (VBLK_SECTOR / 4)
#define BIG_PAGES   32                  /* one contiguous 128 KiB buffer */
#define SCATTER     32                  /* single pages, never adjacent */
#define DEPTH       64                  /* requests in flight at once */
#define MARKER      "LGTEST BLOCK PHASE 2"

static u32 pat(u32 s, u32 j, u32 seed) { return (s * 2654435761u) ^ (j * 2246822519u) ^ seed; }

static u64 cap;
static u32 *big;                        /* BIG_PAGES contiguous pages */
static u32 scatter[SCATTER];            /* physical addresses */
static u32 depth_pages[DEPTH];

static void fill(u32 *buf, u32 sector, u32 count, u32 seed)
{
    for (u32 s = 0; s < count; s++)
        for (u32 j = 0; j < WORDS; j++)
            buf[s * WORDS + j] = pat(sector + s, j, seed);
}

/* Sectors of buf that do not hold the pattern; the first one in *first. */
static u32 mismatches(const u32 *buf, u32 sector, u32 count, u32 seed, u32 *first)
{
    u32 bad = 0;
    for (u32 s = 0; s < count; s++) {
        for (u32 j = 0; j < WORDS; j++) {
            if (buf[s * WORDS + j] != pat(sector + s, j, seed)) {
                if (!bad++ && first)
                    *first = sector + s;
                break;
            }
        }
    }
    return bad;
}

static const char *st(int s)
{
    static char b[16];
    switch (s) {
    case VIRTIO_BLK_S_OK: return "OK";
    case VIRTIO_BLK_S_IOERR: return "IOERR";
    case VIRTIO_BLK_S_UNSUPP: return "UNSUPP";
    case VBLK_E_NOROOM: return "no room";
    case VBLK_E_TIMEOUT: return "timeout";
    case VBLK_E_BROKEN: return "device broken";
    case VBLK_E_NODEV: return "no device";
    }
    snprintf(b, sizeof b, "%d", s);
    return b;
}

/* Reads sectors [from, to) in 64 KiB requests and checks them against
 * seed; FNV-1a of all the bytes in *hash. Returns the bad sectors (a
 * failed request counts all its sectors). */
static u32 verify_range(u32 from, u32 to, u32 seed, u32 *hash, int *status)
{
    u32 bad = 0, first = 0, h = 2166136261u;
    *status = VIRTIO_BLK_S_OK;
    for (u32 s = from; s < to;) {
        u32 n = to - s < 128 ? to - s : 128;
        int r = vblk_read(s, big, n * VBLK_SECTOR);
        if (r != VIRTIO_BLK_S_OK) {
            *status = r;
            bad += n;
        } else {
            bad += mismatches(big, s, n, seed, &first);
        }
        const u8 *b = (const u8 *)big;
        for (u32 i = 0; i < n * VBLK_SECTOR; i++)
            h = (h ^ b[i]) * 16777619u;
        s += n;
    }
    if (bad)
        printf("block: %u bad sectors in [%u, %u), first %u\n", (unsigned)bad, (unsigned)from, (unsigned)to,
               (unsigned)first);
    if (hash)
        *hash = h;
    return bad;
}

/* ---- the write shapes ---- */

enum { ONE_PAGE, SCATTERED, CONTIGUOUS, ODD_SIZES, SEG_MAX, NSHAPES };
static const char *const shape_names[NSHAPES] = { "4k-one-segment", "scattered-pages", "contiguous-64k",
                                                  "odd-segments", "seg-max" };
static struct vseg segs[256];

/* Builds segments for a write at sector of up to *count sectors (shape's
 * own size, cut to what is left), filling the data; returns the segment
 * count and sets *count. */
static unsigned build(int shape, u32 sector, u32 *count)
{
    u32 want[NSHAPES] = { 8, SCATTER * 8, 128, 7, vblk_seg_max() };
    u32 n = want[shape] < *count ? want[shape] : *count;
    unsigned k = 0;
    *count = n;
    switch (shape) {
    case ONE_PAGE:
    case CONTIGUOUS:
        /* One segment: a page, or 64 KiB of the contiguous buffer. */
        fill(big, sector, n, SEED_WRITE);
        segs[k++] = (struct vseg){ __pa(big), n * VBLK_SECTOR, 0 };
        break;
    case SCATTERED:
        for (u32 done = 0; done < n; done += 8) {
            u32 c = n - done < 8 ? n - done : 8;
            fill(__va(scatter[k]), sector + done, c, SEED_WRITE);
            segs[k] = (struct vseg){ scatter[k], c * VBLK_SECTOR, 0 };
            k++;
        }
        break;
    case ODD_SIZES: {
        /* 1, 2, 3, 1 sectors, each from a different page, at odd offsets. */
        static const u32 sizes[] = { 1, 2, 3, 1 };
        for (u32 done = 0, i = 0; done < n; i++) {
            u32 c = sizes[i] < n - done ? sizes[i] : n - done;
            u32 pa = scatter[i] + (i + 1) * VBLK_SECTOR;
            fill(__va(pa), sector + done, c, SEED_WRITE);
            segs[k++] = (struct vseg){ pa, c * VBLK_SECTOR, 0 };
            done += c;
        }
        break;
    }
    case SEG_MAX:
        /* One sector per segment, seg_max of them. */
        fill(big, sector, n, SEED_WRITE);
        for (u32 i = 0; i < n; i++)
            segs[k++] = (struct vseg){ __pa(big) + i * VBLK_SECTOR, VBLK_SECTOR, 0 };
        break;
    }
    return k;
}

static void write_whole_disk(void)
{
    u32 requests[NSHAPES] = { 0 }, failed = 0;
    int shape = 0, last = VIRTIO_BLK_S_OK;
    for (u32 s = 0; s < cap;) {
        u32 count = (u32)cap - s;
        unsigned k = build(shape, s, &count);
        int r = vblk_request(VIRTIO_BLK_T_OUT, s, segs, k, 0);
        requests[shape]++;
        if (r != VIRTIO_BLK_S_OK) {
            failed++;
            last = r;
        }
        s += count;
        shape = (shape + 1) % NSHAPES;
    }
    printf("block: wrote %u sectors:", (unsigned)cap);
    for (int i = 0; i < NSHAPES; i++)
        printf(" %s x%u", shape_names[i], (unsigned)requests[i]);
    printf("\n");
    check(failed == 0, "block/write-shapes", "%u requests failed, last %s", (unsigned)failed, st(last));
}

/* DEPTH single-page reads in flight, one kick, then wait for each. */
static void queue_depth(void)
{
    static struct vblk_req reqs[DEPTH];
    u32 n = 0, bad = 0, base = 1000 % (u32)(cap - DEPTH * 8);
    int status = VIRTIO_BLK_S_OK;
    for (; n < DEPTH; n++) {
        memset(__va(depth_pages[n]), 0, PAGE_SIZE);
        struct vseg seg = { depth_pages[n], PAGE_SIZE, 1 };
        if (vblk_submit(&reqs[n], VIRTIO_BLK_T_IN, base + n * 8, &seg, 1) != 0)
            break;
    }
    vblk_kick();
    for (u32 i = 0; i < n; i++) {
        int r = vblk_wait(&reqs[i]);
        if (r != VIRTIO_BLK_S_OK)
            status = r;
        else
            bad += mismatches(__va(depth_pages[i]), base + i * 8, 8, SEED_WRITE, 0);
    }
    check(n == DEPTH && status == VIRTIO_BLK_S_OK && bad == 0, "block/queue-depth",
          "%u of %u submitted, status %s, %u bad sectors", (unsigned)n, DEPTH, st(status), (unsigned)bad);
}

/* ROLL_DEPTH single-page reads kept in flight for ROLL_REQUESTS in all,
 * each slot refilled (and kicked, if the ring asks for it) as soon as its
 * read is back and checked. A disk that works asynchronously takes what
 * is posted while others are in flight without a kick: the kicks sent
 * are printed for the host test to compare. */
#define ROLL_DEPTH 8u
#define ROLL_REQUESTS 256u
static void rolling(void)
{
    static struct vblk_req reqs[ROLL_DEPTH];
    u32 span = (u32)cap / 8 - 1, issued = 0, done = 0, bad = 0, kicks = vblk_queue()->kicks;
    int status = VIRTIO_BLK_S_OK;
    for (; issued < ROLL_DEPTH; issued++) {
        struct vseg seg = { depth_pages[issued], PAGE_SIZE, 1 };
        if (vblk_submit(&reqs[issued], VIRTIO_BLK_T_IN, (issued * 37 % span) * 8, &seg, 1) != 0)
            break;
    }
    vblk_kick();
    u32 live = issued;
    for (u32 i = 0; live && done < issued; i = (i + 1) % live) {
        u32 n = done;       /* this slot's request number: slots are waited for in turn */
        int r = vblk_wait(&reqs[i]);
        done++;
        if (r != VIRTIO_BLK_S_OK)
            status = r;
        else
            bad += mismatches(__va(depth_pages[i]), (n * 37 % span) * 8, 8, SEED_WRITE, 0);
        if (issued < ROLL_REQUESTS) {
            memset(__va(depth_pages[i]), 0, PAGE_SIZE);
            struct vseg seg = { depth_pages[i], PAGE_SIZE, 1 };
            if (vblk_submit(&reqs[i], VIRTIO_BLK_T_IN, (issued * 37 % span) * 8, &seg, 1) == 0)
                issued++;
            vblk_kick();
        }
    }
    kicks = vblk_queue()->kicks - kicks;
    printf("block: rolling: %u reads, %u in flight, %u kicks\n", (unsigned)done, (unsigned)live,
           (unsigned)kicks);
    check(done == ROLL_REQUESTS && status == VIRTIO_BLK_S_OK && bad == 0, "block/rolling",
          "%u of %u reads back, status %s, %u bad sectors", (unsigned)done, ROLL_REQUESTS, st(status),
          (unsigned)bad);
}

static int raw_request(u32 type, u64 sector, u32 count, int write_data)
{
    struct vseg seg = { __pa(big), count * VBLK_SECTOR, write_data };
    return vblk_request(type, sector, &seg, count ? 1 : 0, 0);
}

static void errors(void)
{
    int r = raw_request(VIRTIO_BLK_T_IN, cap, 1, 1);
    check(r == VIRTIO_BLK_S_IOERR, "block/past-end", "read at the capacity: %s", st(r));
    r = raw_request(VIRTIO_BLK_T_IN, cap - 1, 2, 1);
    check(r == VIRTIO_BLK_S_IOERR, "block/straddle-end", "2 sectors at capacity - 1: %s", st(r));
    /* A write reaching past the end must not write its first sector. */
    memset(big, 0xEE, 2 * VBLK_SECTOR);
    r = raw_request(VIRTIO_BLK_T_OUT, cap - 1, 2, 0);
    int r2 = vblk_read(cap - 1, big, VBLK_SECTOR);
    u32 bad = r2 == VIRTIO_BLK_S_OK ? mismatches(big, (u32)cap - 1, 1, SEED_WRITE, 0) : 1;
    check(r == VIRTIO_BLK_S_IOERR && bad == 0, "block/straddle-write-untouched",
          "write of 2 sectors at capacity - 1: %s; last sector read %s, %s", st(r), st(r2),
          bad ? "changed" : "unchanged");
    r = raw_request(VIRTIO_BLK_T_IN, 1ull << 63, 1, 1);
    r2 = raw_request(VIRTIO_BLK_T_IN, ~0ull, 1, 1);
    check(r == VIRTIO_BLK_S_IOERR && r2 == VIRTIO_BLK_S_IOERR, "block/huge-sector",
          "sector 2^63: %s, sector 2^64-1: %s", st(r), st(r2));
    r = raw_request(2, 0, 1, 1);                /* SCSI command, not offered */
    r2 = raw_request(0x77, 0, 0, 1);
    check(r == VIRTIO_BLK_S_UNSUPP && r2 == VIRTIO_BLK_S_UNSUPP, "block/unsupported",
          "type 2: %s, type 0x77: %s", st(r), st(r2));
    /* Data segments of the wrong direction. */
    r = raw_request(VIRTIO_BLK_T_IN, 0, 1, 0);
    r2 = raw_request(VIRTIO_BLK_T_OUT, 0, 1, 1);
    check(r == VIRTIO_BLK_S_IOERR && r2 == VIRTIO_BLK_S_IOERR, "block/wrong-direction",
          "read into a readable segment: %s, write from a writable one: %s", st(r), st(r2));
    /* None of that broke the device. */
    r = vblk_read(1, big, VBLK_SECTOR);
    bad = r == VIRTIO_BLK_S_OK ? mismatches(big, 1, 1, SEED_WRITE, 0) : 1;
    check(r == VIRTIO_BLK_S_OK && bad == 0 && !vdev_broken(vblk_device()), "block/still-works",
          "read after the errors: %s, data %s, status 0x%x", st(r), bad ? "wrong" : "right", vdev_status(vblk_device()));
    /* A header shorter than 16 bytes with a good status byte: an error
     * status, not a stopped device (put on the queue by hand). Last, and
     * if the host stopped the device anyway, attach again. */
    static struct vblk_req req;
    req.hdr = (struct vblk_hdr){ VIRTIO_BLK_T_IN, 0, 0 };
    req.status = 0xFF;
    req.done = 0;
    struct vseg short_hdr[3] = { { __pa(&req.hdr), 8, 0 }, { __pa(big), VBLK_SECTOR, 1 }, { __pa(&req.status), 1, 1 } };
    r = vq_add(vblk_queue(), short_hdr, 1, 2, &req) == 0 ? (vblk_kick(), vblk_wait(&req)) : VBLK_E_NOROOM;
    check(r == VIRTIO_BLK_S_IOERR, "block/short-header", "8-byte header: %s", st(r));
    if (r < 0 || vdev_broken(vblk_device())) {
        r = vblk_attach();
        printf("block: attached again after the short header: %d\n", r);
    }
}

struct marker {
    char text[24];
    u32 seed;
    u32 hash;                           /* of sectors 1 .. cap-1 after phase 1 */
};

static void phase2(const struct marker *m)
{
    pass("block/marker-found");
    u32 hash;
    int status;
    u32 bad = verify_range(1, (u32)cap, SEED_WRITE, &hash, &status);
    check(bad == 0 && status == VIRTIO_BLK_S_OK, "block/persisted", "%u sectors differ after the restart, read %s",
          (unsigned)bad, st(status));
    check(hash == m->hash, "block/persisted-checksum", "FNV-1a 0x%08x after the restart, 0x%08x before",
          (unsigned)hash, (unsigned)m->hash);
}

void test_block(void)
{
    vbus_scan();
    int r = vblk_attach();
    struct vdev *d = vblk_device();
    check(r == 0 && vdev_status(d) == VIRTIO_S_LIVE, "block/attach",
          "attach %d, status 0x%x", r, d ? vdev_status(d) : 0);
    if (r != 0)
        return;
    u32 offered = vdev_offered(d);
    u32 want = ((offered & ((1u << VIRTIO_BLK_F_SEG_MAX) | (1u << VIRTIO_BLK_F_FLUSH))) |
                (offered & ((1u << VIRTIO_F_INDIRECT) | (1u << VIRTIO_F_EVENT_IDX)))) & ~vbus_feature_mask;
    check(d->features == want && (offered & (1u << VIRTIO_BLK_F_SEG_MAX)), "block/features",
          "offered 0x%x, accepted 0x%x, expected 0x%x", (unsigned)offered, (unsigned)d->features, (unsigned)want);
    printf("block: features 0x%x (%s, %s)\n", (unsigned)d->features, vblk_queue()->indirect ? "indirect" : "chains",
           vblk_queue()->event_idx ? "event index" : "flags");

    cap = vblk_capacity();
    u32 want_cap = boot_option_u32("sectors", 0), seg_max_cfg = 0;
    check(cap && cap == want_cap, "block/capacity", "capacity %u sectors, the image has %u", (unsigned)cap,
          (unsigned)want_cap);
    vdev_config_read(d, 12, &seg_max_cfg, 4);
    check(d->config_len >= 16 && seg_max_cfg == 254, "block/config", "config %u bytes, seg_max %u", d->config_len,
          (unsigned)seg_max_cfg);
    if (cap < 2 * 128 || cap != want_cap)
        return;

    big = __va(pages_alloc(BIG_PAGES));
    for (unsigned i = 0; i < SCATTER; i++) {
        scatter[i] = page_alloc();
        page_alloc();                   /* a gap: never physically adjacent */
    }
    for (unsigned i = 0; i < DEPTH; i++)
        depth_pages[i] = page_alloc();

    /* Which phase: sector 0 says. */
    static struct marker m;
    r = vblk_read(0, big, VBLK_SECTOR);
    memcpy(&m, big, sizeof m);
    if (r == VIRTIO_BLK_S_OK && strcmp(m.text, MARKER) == 0 && m.seed == SEED_WRITE) {
        phase2(&m);
        return;
    }
    if (r != VIRTIO_BLK_S_OK || mismatches(big, 0, 1, SEED_IMAGE, 0)) {
        fail("block/disk-state", "sector 0 holds neither the image nor the marker (read %s)", st(r));
        return;
    }

    char id[VBLK_ID_BYTES + 1] = { 0 }, want_id[VBLK_ID_BYTES + 1] = { 0 };
    memset(id, 0x55, VBLK_ID_BYTES);
    boot_option("id", want_id, sizeof want_id);
    r = vblk_get_id(id);
    int padded = 1;
    for (unsigned i = strlen(want_id); i < VBLK_ID_BYTES; i++)
        padded &= id[i] == 0;
    id[VBLK_ID_BYTES] = 0;
    check(r == VIRTIO_BLK_S_OK && memcmp(id, want_id, strlen(want_id)) == 0 && padded && want_id[0],
          "block/get-id", "GET_ID %s: '%.20s'%s, expected '%s'", st(r), id, padded ? "" : " (not zero padded)",
          want_id);

    int status;
    u32 bad = verify_range(0, (u32)cap, SEED_IMAGE, 0, &status);
    check(bad == 0 && status == VIRTIO_BLK_S_OK, "block/read-image", "%u sectors differ from the image, read %s",
          (unsigned)bad, st(status));

    /* used.len of a read: the data and the status byte. */
    u32 used_len = 0;
    struct vseg seg = { __pa(big), PAGE_SIZE, 1 };
    r = vblk_request(VIRTIO_BLK_T_IN, 8, &seg, 1, &used_len);
    check(r == VIRTIO_BLK_S_OK && used_len == PAGE_SIZE + 1, "block/used-len", "4 KiB read: %s, used.len %u",
          st(r), (unsigned)used_len);

    write_whole_disk();
    u32 hash;
    bad = verify_range(0, (u32)cap, SEED_WRITE, 0, &status);
    check(bad == 0 && status == VIRTIO_BLK_S_OK, "block/readback", "%u sectors differ after the rewrite, read %s",
          (unsigned)bad, st(status));
    queue_depth();
    rolling();
    errors();
    r = vblk_flush();
    check(r == VIRTIO_BLK_S_OK, "block/flush", "FLUSH: %s", st(r));

    /* The checksum to find again after the restart, then the marker. */
    verify_range(1, (u32)cap, SEED_WRITE, &hash, &status);
    memset(big, 0, VBLK_SECTOR);
    memset(&m, 0, sizeof m);
    strcpy(m.text, MARKER);
    m.seed = SEED_WRITE;
    m.hash = hash;
    memcpy(big, &m, sizeof m);
    r = vblk_write(0, big, VBLK_SECTOR);
    int r2 = vblk_flush();
    check(r == VIRTIO_BLK_S_OK && r2 == VIRTIO_BLK_S_OK, "block/marker-written", "write %s, flush %s", st(r),
          st(r2));
    /* Even after failed checks: persistence is worth knowing about (the
     * FAIL lines are out; phase 2 prints its own DONE). */
    if (r != VIRTIO_BLK_S_OK) {
        printf("block: no marker, no restart\n");
        return;
    }
    printf("block: phase 1 done (checksum 0x%08x), restarting\n", (unsigned)hash);
    shutdown("block phase 1 done", LGUEST_SHUTDOWN_RESTART);
}
