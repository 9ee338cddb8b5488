/* test=console: the virtio console as 3.10's hvc uses it. Attach (after
 * which every line we print goes through TX, none by NOTIFY), some output
 * shapes the harness checks in the host's log (several lines in one
 * buffer, one buffer in segments, more buffers than the ring has
 * entries), then READY and an echo loop: each line typed into the serial
 * port comes back as "ECHO <line>"; the line "done" ends the test.
 * Harness: tests/device_tests.py. */
#include <stdio.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/console.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/timer.h"
#include "guest/vcons.h"

#define F_28_29 ((1u << VIRTIO_F_INDIRECT) | (1u << VIRTIO_F_EVENT_IDX))

void test_console(void)
{
    int n = vbus_scan();
    struct vdev *d = vbus_find(VIRTIO_ID_CONSOLE, 0);
    check(n > 0 && d, "console/bus-scan", "%d devices, console %s", n, d ? "found" : "missing");
    if (!d)
        return;
    /* A 3.10 guest's early console is freed after boot and its virtio
     * console keeps calling it until a port exists: the host must offer a
     * console even when it offers nothing else (devices=N: what to expect). */
    u32 expected = boot_option_u32("devices", 0);
    if (expected)
        check(vbus_count == expected, "console/device-count", "%u devices on the bus, expected %u",
              vbus_count, (unsigned)expected);
    /* The host puts the console last on the lguest bus, first (00:01.0,
     * where 4.x's early console looks) on virtio-pci; RX and TX queues. */
#ifdef LG_GEN4
    struct vdev *where = &vbus_devs[0];
#else
    struct vdev *where = &vbus_devs[vbus_count - 1];
#endif
    check(d == where && d->num_vq == 2, "console/device",
          "console is device %d of %u with %u queues", (int)(d - vbus_devs), vbus_count, d->num_vq);

    /* Input typed now (the harness types when it sees the banner) must
     * wait in the host until our RX buffers come: give it time to arrive. */
    printf("console: attaching in 1 s\n");
    u32 ticks = timer_irqs;
    timer_set(1000000000);
    timer_halt_wait(ticks);
    u32 early = console_notifies;
    int r = vcons_attach();
    u8 status = vdev_status(d);
    check(r == 0 && status == VIRTIO_S_LIVE, "console/attach",
          "attach %d, status 0x%x", r, status);
    if (r != 0)
        return;
    u32 offered = vdev_offered(d), want = offered & F_28_29 & ~vbus_feature_mask;
    check(d->features == want, "console/features", "offered 0x%x, accepted 0x%x, expected 0x%x",
          (unsigned)offered, (unsigned)d->features, (unsigned)want);

    /* From here on the early console must stay silent. */
    u32 notifies = console_notifies, tx = vcons_tx_bufs;
    printf("console: attached; %u lines went by NOTIFY before\n", (unsigned)early);
    check(vcons_tx_bufs > tx && console_notifies == notifies, "console/tx-virtio",
          "%u TX buffers, %u NOTIFY strings for one line", (unsigned)(vcons_tx_bufs - tx),
          (unsigned)(console_notifies - notifies));

    /* Several lines in one buffer. */
    char many[600];
    unsigned len = 0;
    for (unsigned i = 0; i < 10; i++)
        len += (unsigned)snprintf(many + len, sizeof many - len, "TXLINE %u of 10: %.*s\n", i, (int)(i * 4),
                                  "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    check(vcons_write(many, len) == 0, "console/tx-multiline", "the buffer did not come back");
    /* One buffer, three segments (a chain or an indirect table). */
    const char *parts[] = { "SEGS one ", "two ", "three\n" };
    check(vcons_write_segs(parts, 3) == 0, "console/tx-segments", "the buffer did not come back");
    /* More buffers than the ring has entries: indexes wrap, the event
     * index moves on. 8 lines of 42 buffers each. */
    int bad = 0;
    for (unsigned l = 0; l < 8 && !bad; l++) {
        char head[16];
        snprintf(head, sizeof head, "WRAP %u ", l);
        bad |= vcons_write(head, strlen(head));
        for (unsigned i = 0; i < 40 && !bad; i++)
            bad |= vcons_write(&"0123456789"[i % 10], 1);
        bad |= vcons_write("\n", 1);
    }
    check(!bad && console_notifies == notifies, "console/tx-ring-wrap", "a buffer did not come back (%u sent)",
          (unsigned)vcons_tx_bufs);

    printf("READY console\n");
    console_flush();
    char line[256];
    unsigned lines = 0;
    for (;;) {
        int got = vcons_read_line(line, sizeof line, 0);
        if (got < 0)
            break;
        if (got == 0)
            continue;
        if (strcmp(line, "done") == 0)
            break;
        printf("ECHO %s\n", line);
        lines++;
    }
    check(lines > 0 && vcons_rx_bytes > 0, "console/rx", "%u lines, %u bytes in %u buffers", lines,
          (unsigned)vcons_rx_bytes, (unsigned)vcons_rx_bufs);
    check(vcons_rx_dropped == 0, "console/rx-nothing-dropped", "%u bytes dropped", (unsigned)vcons_rx_dropped);
    check(console_notifies == notifies, "console/no-notify-after-attach", "%u NOTIFY strings after attach",
          (unsigned)(console_notifies - notifies));
}
