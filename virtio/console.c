/* virtio console, one port (lguest-abi.md 9.3): queue 0 carries input to
 * the guest, queue 1 its output. A 3.10 guest spins with interrupts off
 * until its output buffer is used, so output is consumed inside the kick,
 * before the guest runs again. Input comes from the serial port while the
 * guest has the focus, and waits in a small buffer for receive buffers. */
#include "virtio/device.h"
#include "kernel/lguest/guest.h"

#define RXQ 0
#define TXQ 1

static struct vring_req req;        /* under the big lock, never re-entered */

static void deliver_input(struct guest *g, struct vdevice *d)
{
    struct cons_input *in = &g->cons_in;
    bool any = false;
    while (in->head != in->tail) {
        int got = vdev_pop(g, d, RXQ, &req);
        if (got <= 0)
            break;
        if (req.nread || !req.write_len) {
            vdev_broken(g, d, "queue 0: receive buffer the device cannot write");
            return;
        }
        uint32_t n = 0;
        /* the bytes are contiguous in the circular buffer in at most two runs */
        while (in->head != in->tail && n < req.write_len) {
            uint32_t at = in->tail % sizeof(in->buf);
            uint32_t run = sizeof(in->buf) - at;
            if (run > in->head - in->tail)
                run = in->head - in->tail;
            if (run > req.write_len - n)
                run = req.write_len - n;
            uint32_t done = vring_copy_to(&g->mem, &req, n, in->buf + at, run);
            in->tail += done;
            n += done;
            if (done < run)
                break;
        }
        vdev_push(g, d, RXQ, req.head, n);
        any = true;
    }
    if (any)
        vdev_signal(g, d, RXQ);
}

static void transmit(struct guest *g, struct vdevice *d)
{
    char chunk[256];
    int got;
    while ((got = vdev_pop(g, d, TXQ, &req)) > 0) {
        for (uint32_t off = 0; off < req.read_len;) {
            uint32_t n = vring_copy_from(&g->mem, &req, off, chunk, sizeof(chunk));
            if (!n)
                break;
            guest_console_write(g, chunk, n);
            off += n;
        }
        vdev_push(g, d, TXQ, req.head, 0);
    }
    guest_console_output_done(g);
    vdev_signal(g, d, TXQ);
}

static void kick(struct guest *g, struct vdevice *d, uint32_t queue)
{
    if (queue == TXQ)
        transmit(g, d);
    else
        deliver_input(g, d);
}

/* Input typed before the driver came keeps waiting for its buffers. */
const struct vdev_ops vcons_ops = { "console", 0, 0, kick };

void vcons_input(struct guest *g, const char *s, uint32_t n)
{
    struct cons_input *in = &g->cons_in;
    for (uint32_t i = 0; i < n; i++)
        if (in->head - in->tail < sizeof(in->buf))     /* full: drop, as a UART would */
            in->buf[in->head++ % sizeof(in->buf)] = (uint8_t)s[i];
    struct vdevice *d = vbus_active(g, VIRTIO_ID_CONSOLE);
    if (d)
        deliver_input(g, d);
}
