/* test=diskpat: a pattern on the block device, for the tests of disks that
 * outlive the machine (tests/sata_tests.py). Word j of sector s is
 * pat(s, j, SEED). Options, done in this order:
 *   sectors=N     the capacity the device must have
 *   verify=SEED   the first count sectors must hold SEED's pattern
 *   write=SEED    write them with SEED's pattern, FLUSH, then say
 *                 "diskpat: flush completed"
 *   bounds=1      reads and writes at the capacity and across it: IOERR
 *   ioerr=S       a read of sector S must fail with IOERR (the host makes it fail)
 *   retried=S     a read of sector S must succeed (the host fails it once)
 *   abandon=1     phase 1: a marker in the last sector, then 32 reads of
 *                 128 KiB submitted and the guest restarted at once, with
 *                 them on the disk; phase 2 (the marker found): the disk
 *                 still works, the marker is cleared
 *   count=N       sectors (default 2048)
 *   then=spin     after all that, keep writing past count without a
 *                 flush until killed (default: power off) */
#include <stdio.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/hcall.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/vblk.h"

#define CHUNK 128                       /* sectors: 64 KiB requests */
#define WORDS (VBLK_SECTOR / 4)
static u32 buf[CHUNK * WORDS] __attribute__((aligned(4096)));

static u32 pat(u32 s, u32 j, u32 seed) { return (s * 2654435761u) ^ (j * 2246822519u) ^ seed; }

static int rw_range(int write, u32 count, u32 seed, u32 *bad, int *status)
{
    *bad = 0;
    *status = VIRTIO_BLK_S_OK;
    for (u32 s = 0; s < count; s += CHUNK) {
        u32 n = count - s < CHUNK ? count - s : CHUNK;
        if (write)
            for (u32 k = 0; k < n * WORDS; k++)
                buf[k] = pat(s + k / WORDS, k % WORDS, seed);
        int r = write ? vblk_write(s, buf, n * VBLK_SECTOR) : vblk_read(s, buf, n * VBLK_SECTOR);
        if (r != VIRTIO_BLK_S_OK) {
            *status = r;
            return -1;
        }
        if (!write)
            for (u32 k = 0; k < n * WORDS; k++)
                if (buf[k] != pat(s + k / WORDS, k % WORDS, seed)) {
                    if (!(*bad)++)
                        printf("diskpat: first difference in sector %u word %u: 0x%08x\n",
                               (unsigned)(s + k / WORDS), (unsigned)(k % WORDS), (unsigned)buf[k]);
                    k = (k / WORDS + 1) * WORDS - 1;        /* next sector */
                }
    }
    return *bad ? -1 : 0;
}

#define ABANDON_MARK "LGTEST ABANDONED"
#define ABANDON_N 32

static void abandon(u64 cap)
{
    static struct vblk_req reqs[ABANDON_N];
    u64 mark = cap - 1;
    int r = vblk_read(mark, buf, VBLK_SECTOR);
    if (r == VIRTIO_BLK_S_OK && memcmp(buf, ABANDON_MARK, sizeof ABANDON_MARK) == 0) {
        memset(buf, 0, VBLK_SECTOR);
        r = vblk_write(mark, buf, VBLK_SECTOR);
        int r2 = vblk_read(0, buf, 64 * 1024);
        check(r == VIRTIO_BLK_S_OK && r2 == VIRTIO_BLK_S_OK && vblk_flush() == VIRTIO_BLK_S_OK,
              "diskpat/after-abandon", "write %d, read %d", r, r2);
        return;
    }
    memset(buf, 0, VBLK_SECTOR);
    memcpy(buf, ABANDON_MARK, sizeof ABANDON_MARK);
    r = vblk_write(mark, buf, VBLK_SECTOR);
    if (!check(r == VIRTIO_BLK_S_OK && vblk_flush() == VIRTIO_BLK_S_OK, "diskpat/abandon-mark", "write %d", r))
        return;
    u32 n = 0;
    for (; n < ABANDON_N; n++) {
        struct vseg seg = { pages_alloc(32), 32 * 4096, 1 };
        if (vblk_submit(&reqs[n], VIRTIO_BLK_T_IN, (n * 256) % (cap - 256), &seg, 1))
            break;
    }
    printf("diskpat: %u reads of 128 KiB submitted, restarting with them in flight\n", (unsigned)n);
    vblk_kick();
    shutdown("abandoning requests", LGUEST_SHUTDOWN_RESTART);
}

void test_diskpat(void)
{
    vbus_scan();
    int r = vblk_attach();
    check(r == 0, "diskpat/attach", "attach %d", r);
    if (r)
        return;
    u64 cap = vblk_capacity();
    u32 want = boot_option_u32("sectors", 0), count = boot_option_u32("count", 2048);
    check(cap == want, "diskpat/capacity", "capacity %u, expected %u", (unsigned)cap, (unsigned)want);
    if (count > cap)
        count = (u32)cap;
    u32 bad;
    int status;
    u32 seed = boot_option_u32("verify", 0);
    if (seed) {
        rw_range(0, count, seed, &bad, &status);
        check(!bad && status == VIRTIO_BLK_S_OK, "diskpat/verify", "seed 0x%x: %u bad sectors, status %d",
              (unsigned)seed, (unsigned)bad, status);
    }
    seed = boot_option_u32("write", 0);
    if (seed) {
        rw_range(1, count, seed, &bad, &status);
        int f = vblk_flush();
        check(status == VIRTIO_BLK_S_OK && f == VIRTIO_BLK_S_OK, "diskpat/write", "write %d, flush %d", status, f);
        printf("diskpat: flush completed (seed 0x%x, %u sectors)\n", (unsigned)seed, (unsigned)count);
    }
    if (boot_option_u32("bounds", 0)) {
        int a = vblk_read(cap, buf, VBLK_SECTOR);
        int b = vblk_read(cap - 1, buf, 2 * VBLK_SECTOR);
        memset(buf, 0x5A, 2 * VBLK_SECTOR);
        int c = vblk_write(cap, buf, VBLK_SECTOR);
        int d = vblk_write(cap - 1, buf, 2 * VBLK_SECTOR);
        int e = vblk_write(cap + 2048, buf, VBLK_SECTOR);
        check(a == VIRTIO_BLK_S_IOERR && b == VIRTIO_BLK_S_IOERR && c == VIRTIO_BLK_S_IOERR &&
              d == VIRTIO_BLK_S_IOERR && e == VIRTIO_BLK_S_IOERR, "diskpat/bounds",
              "read at end %d, across %d; write at end %d, across %d, beyond %d", a, b, c, d, e);
    }
    char v[16];
    if (boot_option_u32("abandon", 0))
        abandon(cap);
    if (boot_option("ioerr", v, sizeof v)) {
        r = vblk_read(boot_option_u32("ioerr", 0), buf, VBLK_SECTOR);
        check(r == VIRTIO_BLK_S_IOERR, "diskpat/ioerr", "read of a failing sector: %d", r);
        r = vblk_read(0, buf, VBLK_SECTOR);
        check(r == VIRTIO_BLK_S_OK, "diskpat/after-ioerr", "read of sector 0 afterwards: %d", r);
    }
    if (boot_option("retried", v, sizeof v)) {
        u32 s = boot_option_u32("retried", 0);
        r = vblk_read(s, buf, VBLK_SECTOR);
        u32 wrong = 0;
        for (u32 j = 0; j < WORDS; j++)
            wrong += buf[j] != pat(s, j, 0x1D15C000u);
        check(r == VIRTIO_BLK_S_OK && !wrong, "diskpat/retried", "read of a sector failing once: %d, %u wrong words",
              r, (unsigned)wrong);
    }
    if (boot_option("then", v, sizeof v) && strcmp(v, "spin") == 0) {
        printf("diskpat: spinning\n");
        for (u32 s = count;; s = s + CHUNK < cap ? s + CHUNK : count) {
            memset(buf, 0x77, sizeof buf);
            vblk_write(s, buf, (cap - s < CHUNK ? (u32)(cap - s) : CHUNK) * VBLK_SECTOR);
        }
    }
}
