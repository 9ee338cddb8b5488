/* test=rng: the virtio entropy device (rng=on), driven as 3.10's
 * virtio-rng does: one queue, a write-only buffer per request. Checks that
 * the bytes come back, differ between requests, look balanced, that the
 * host caps a request's length, and that a request with a readable buffer
 * breaks only the device, which a reset brings back. */
#include <string.h>
#include "guest/irq.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/timer.h"
#include "guest/virtio.h"
#include "guest/x86.h"

#define RNG_WAIT_US 3000000

static struct vdev *dev;
static struct vq *q;
static volatile int done;
static volatile u32 used_len;
static u8 buf_a[64], buf_b[64];
static u8 big[8192] __attribute__((aligned(4096)));

static void got(struct vq *vq)
{
    do {
        vq_disable_cb(vq);
        u32 len;
        while (vq_get_used(vq, &len)) {
            used_len = len;
            done = 1;
        }
    } while (!vq_enable_cb(vq));
}

static int attach(void)
{
    if (vdev_status(dev) != VIRTIO_S_ACK) {
        vdev_reset(dev);
        vdev_set_status(dev, VIRTIO_S_ACK, 0);
    }
    vdev_negotiate(dev, 0);
    if (vq_setup(dev, 0, got) != 0)
        return -1;
    q = &dev->vqs[0];
    vdev_driver_ok(dev);
    return 0;
}

/* Submits segs and waits: the length the host used, or -1. */
static int request(const struct vseg *segs, unsigned nout, unsigned nin)
{
    done = 0;
    used_len = 0;
    if (vq_add(q, segs, nout, nin, (void *)1) != 0)
        return -1;
    vq_kick(q);
    u64 end = rdtsc() + us_to_cycles(RNG_WAIT_US);
    irq_disable();
    while (!done && !vdev_broken(dev) && rdtsc() < end) {
        timer_set(10000000);
        halt();
        irq_disable();
    }
    irq_enable();
    return done ? (int)used_len : -1;
}

static int fill(u8 *b, u32 len)
{
    struct vseg seg = { __pa(b), len, 1 };
    return request(&seg, 0, 1);
}

static unsigned ones(const u8 *b, u32 len)
{
    unsigned n = 0;
    for (u32 i = 0; i < len; i++)
        n += __builtin_popcount(b[i]);
    return n;
}

void test_rng(void)
{
    if (!vbus_count)
        vbus_scan();
    dev = vbus_find(VIRTIO_ID_RNG, 0);
    if (!check(dev != 0, "rng/device", "no entropy device on the bus (rng=on?)"))
        return;
    check(attach() == 0, "rng/attach", "queue setup failed");
    int a = fill(buf_a, sizeof buf_a), b = fill(buf_b, sizeof buf_b);
    static const u8 zero[64];
    check(a == 64 && memcmp(buf_a, zero, 64) != 0, "rng/filled", "used %d, first bytes %02x %02x %02x %02x", a,
          buf_a[0], buf_a[1], buf_a[2], buf_a[3]);
    check(b == 64 && memcmp(buf_a, buf_b, 64) != 0, "rng/differs", "used %d; the two requests are %s", b,
          memcmp(buf_a, buf_b, 64) ? "different" : "the same");
    /* Two pages in one request: the host gives at most 4096 bytes. */
    struct vseg two[2] = { { __pa(big), 4096, 1 }, { __pa(big + 4096), 4096, 1 } };
    int n = request(two, 0, 2);
    check(n == 4096, "rng/capped", "an 8 KiB request got %d bytes, wanted 4096", n);
    /* 32768 bits: a standard deviation of about 90 ones from 16384. */
    unsigned bits = ones(big, 4096);
    check(bits > 16384 - 600 && bits < 16384 + 600, "rng/balanced", "%u ones in 32768 bits", bits);
    printf("rng: first bytes %02x %02x %02x %02x, %u ones in 32768 bits\n", buf_a[0], buf_a[1], buf_a[2],
           buf_a[3], bits);

    /* A readable buffer: the host must refuse the request and stop only
     * this device. */
    struct vseg bad[2] = { { __pa(buf_a), 16, 0 }, { __pa(buf_b), 16, 1 } };
    int r = request(bad, 1, 1);
    check(r < 0 && vdev_broken(dev), "rng/readable-refused", "used %d, status 0x%x", r, vdev_status(dev));
    vq_release(q);
    check(attach() == 0 && fill(buf_a, 32) == 32, "rng/recovers", "no bytes after a reset");
}
