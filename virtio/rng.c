/* virtio entropy (device ID 4; the 3.10 Launcher's --rng): one queue of
 * buffers the guest wants filled. Each request is write-only; its bytes
 * come from kernel/entropy.c. Served inside the kick, like the ramdisk. */
#include "virtio/device.h"
#include "kernel/entropy.h"
#include "kernel/lguest/guest.h"

#define RNG_REQ_MAX  4096u           /* bytes given per request, at most */
#define RNG_KICK_MAX (64u * 1024)    /* per kick: a greedy guest waits for the next one */

static struct vring_req req;

static void kick(struct guest *g, struct vdevice *d, uint32_t queue)
{
    uint32_t given = 0;
    bool any = false;
    int got;
    while (given < RNG_KICK_MAX && (got = vdev_pop(g, d, 0, &req)) > 0) {
        any = true;
        if (req.nread) {
            vdev_broken(g, d, "entropy request with a buffer the host would read");
            return;
        }
        uint32_t want = req.write_len < RNG_REQ_MAX ? req.write_len : RNG_REQ_MAX, done = 0;
        uint8_t chunk[256];
        while (done < want) {
            uint32_t n = want - done < sizeof(chunk) ? want - done : sizeof(chunk);
            entropy_fill(chunk, n);
            vring_copy_to(&g->mem, &req, done, chunk, n);
            done += n;
        }
        __builtin_memset(chunk, 0, sizeof(chunk));
        given += done;
        vdev_push(g, d, 0, req.head, done);
    }
    if (any)
        vdev_signal(g, d, 0);
}

const struct vdev_ops vrng_ops = { "entropy", 0, 0, kick };
