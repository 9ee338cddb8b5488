/* The virtio console driver, shaped like 3.10's virtio_console + hvc:
 * RX buffers are whole pages, posted with a kick each; output is one
 * device-readable buffer per write, kicked, then waited for with
 * interrupts off (the host completes console TX inside the kick). Input
 * is copied out of each used RX buffer into a small ring in the interrupt
 * and the page goes straight back to the device. */
#include <string.h>
#include "guest/console.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/vcons.h"
#include "guest/x86.h"

#define TX_WAIT_US  2000000     /* a TX buffer not back by then: the device is gone */
#define INPUT_SIZE  4096

volatile u32 vcons_tx_bufs, vcons_rx_bufs, vcons_rx_bytes, vcons_rx_dropped;

static struct vdev *dev;
static int attached;
static u32 rx_page[VCONS_RX_BUFS];
static char tx_buf[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static char input[INPUT_SIZE];
static volatile u32 in_head, in_tail;       /* free-running */

struct vdev *vcons_device(void) { return dev; }
int vcons_attached(void) { return attached; }

static int post_rx(struct vq *q, u32 pa)
{
    struct vseg seg = { pa, PAGE_SIZE, 1 };
    /* The token is the page's direct-map address: never 0. */
    return vq_add(q, &seg, 0, 1, __va(pa));
}

/* Interrupt context: take every filled page, keep its bytes, give it back. */
static void rx_done(struct vq *q)
{
    int reposted = 0;
    do {
        vq_disable_cb(q);
        void *page;
        u32 len;
        while ((page = vq_get_used(q, &len)) != 0) {
            if (len > PAGE_SIZE)
                len = PAGE_SIZE;
            for (u32 i = 0; i < len; i++) {
                if (in_head - in_tail < INPUT_SIZE)
                    input[in_head++ % INPUT_SIZE] = ((char *)page)[i];
                else
                    vcons_rx_dropped++;
            }
            vcons_rx_bufs++;
            vcons_rx_bytes += len;
            if (post_rx(q, __pa(page)) == 0)
                reposted = 1;
        }
    } while (!vq_enable_cb(q));
    if (reposted)
        vq_kick(q);
}

/* Waits, interrupts off, for the TX buffer to come back. */
static int tx_wait(struct vq *q)
{
    u64 end = rdtsc() + us_to_cycles(TX_WAIT_US);
    for (;;) {
        if (vq_get_used(q, 0) == tx_buf)
            return 0;
        if (vdev_broken(dev) || q->broken || rdtsc() > end)
            return -1;
        __asm__ __volatile__("pause");
    }
}

static int tx_segs(const struct vseg *segs, unsigned n)
{
    struct vq *q = &dev->vqs[1];
    if (vq_add(q, segs, n, 0, tx_buf) != 0)
        return -1;
    vq_kick(q);
    if (tx_wait(q) != 0)
        return -1;
    vcons_tx_bufs++;
    return 0;
}

int vcons_write(const char *s, size_t n)
{
    if (!attached)
        return -1;
    u32 flags = irq_save();
    int r = 0;
    while (n && r == 0) {
        size_t chunk = n < sizeof tx_buf ? n : sizeof tx_buf;
        memcpy(tx_buf, s, chunk);
        struct vseg seg = { __pa(tx_buf), (u32)chunk, 0 };
        r = tx_segs(&seg, 1);
        s += chunk;
        n -= chunk;
    }
    irq_restore(flags);
    return r;
}

int vcons_write_segs(const char *const *parts, unsigned nparts)
{
    struct vseg segs[16];
    if (!attached || !nparts || nparts > 16)
        return -1;
    u32 flags = irq_save();
    /* Each part at its own place in the page, a gap between them, so the
     * host cannot get the right text by reading one run of bytes. */
    u32 off = 0;
    for (unsigned i = 0; i < nparts; i++) {
        size_t len = strlen(parts[i]);
        if (off + len + 16 > sizeof tx_buf) {
            irq_restore(flags);
            return -1;
        }
        memcpy(tx_buf + off, parts[i], len);
        memset(tx_buf + off + len, '#', 16);
        segs[i] = (struct vseg){ __pa(tx_buf + off), (u32)len, 0 };
        off += len + 16;
    }
    int r = tx_segs(segs, nparts);
    irq_restore(flags);
    return r;
}

/* console.c's hook: finished chunks of output. */
static int sink(const char *s, size_t n) { return vcons_write(s, n); }

int vcons_attach(void)
{
    if (attached)
        return 0;
    if (!vbus_count)
        vbus_scan();
    dev = vbus_find(VIRTIO_ID_CONSOLE, 0);
    if (!dev || dev->num_vq < 2)
        return -1;
    if (vdev_status(dev) != VIRTIO_S_ACK) {
        vdev_reset(dev);
        vdev_set_status(dev, VIRTIO_S_ACK, 0);
    }
    /* No SIZE, no MULTIPORT: one port, as on the 3.10 lguest bus. */
    vdev_negotiate(dev, 0);
    if (vq_setup(dev, 0, rx_done) != 0 || vq_setup(dev, 1, 0) != 0) {
        vdev_set_status(dev, vdev_status(dev) | VIRTIO_S_FAILED, 1);
        return -1;
    }
    in_head = in_tail = 0;
    for (unsigned i = 0; i < VCONS_RX_BUFS; i++) {
        if (!rx_page[i])
            rx_page[i] = page_alloc();
        if (post_rx(&dev->vqs[0], rx_page[i]) == 0)
            vq_kick(&dev->vqs[0]);
    }
    vdev_driver_ok(dev);
    /* What the early console still holds goes out its own way first. */
    console_flush();
    attached = 1;
    console_sink = sink;
    return 0;
}

void vcons_detach(void)
{
    if (!attached)
        return;
    console_flush();
    console_sink = 0;
    attached = 0;
    vdev_reset(dev);
}

int vcons_getc(void)
{
    if (in_tail == in_head)
        return -1;
    return (unsigned char)input[in_tail++ % INPUT_SIZE];
}

/* Work to do while waiting for input (the network answers pings at the
 * shell prompt): nothing unless someone provides it. */
__attribute__((weak)) void vcons_idle(void)
{
}

int vcons_read_line(char *buf, unsigned n, int echo)
{
    unsigned len = 0;
    if (!attached)
        return -1;
    for (;;) {
        int c = vcons_getc();
        if (c < 0) {
            vcons_idle();
            /* Check again with interrupts off, then sleep: no lost wake-up. */
            irq_disable();
            if (in_tail == in_head)
                halt();
            irq_enable();
            if (!attached)
                return -1;
            continue;
        }
        if (c == '\r' || c == '\n') {
            buf[len] = 0;
            if (echo)
                console_write("\n", 1);
            return (int)len;
        }
        /* Echo as typed: the host shows the focused guest's unfinished
         * line at once. */
        if (c == 0x7F || c == 0x08) {
            if (len) {
                len--;
                if (echo)
                    console_write("\b \b", 3);
            }
            continue;
        }
        if (c >= 0x20 && c < 0x7F && len + 1 < n) {
            buf[len++] = (char)c;       /* other control characters are dropped */
            if (echo)
                console_write(&buf[len - 1], 1);
        }
    }
}
