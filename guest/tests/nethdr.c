/* test=nethdr ip=A peer=B: virtio-net headers a driver without offloads
 * must not send. No offload was negotiated, so every header field that
 * asks for work (flags, gso_type) must be 0: the host must drop each such
 * frame with a counted reason ("bad header" in the monitor's net) and go
 * on serving the device. Each hostile frame is a UDP datagram to B port
 * 7777 saying "bad N"; a good one saying "good N" follows each, and the
 * harness checks that only the good ones arrive. Prints
 * "NETHDR SENT bad N good M" at the end. */
#include <stdio.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/net.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/vnet.h"

struct bad_hdr { const char *what; u8 flags, gso_type; u16 hdr_len, gso_size, csum_start, csum_offset; };

/* fields: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset */
static const struct bad_hdr cases[] = {
    { "needs-csum", 1, 0, 0, 0, 34, 6 },
    { "needs-csum-outside", 1, 0, 0, 0, 60000, 60000 },
    { "data-valid", 2, 0, 0, 0, 0, 0 },
    { "unknown-flag", 0x80, 0, 0, 0, 0, 0 },
    { "gso-tcpv4", 0, 1, 54, 1460, 0, 0 },
    { "gso-udp", 0, 3, 42, 1000, 0, 0 },
    { "gso-tcpv6", 0, 4, 74, 1440, 0, 0 },
    { "gso-zero-size", 0, 1, 54, 0, 0, 0 },
    { "gso-ecn", 0, 0x81, 54, 1460, 0, 0 },
    { "gso-unknown", 0, 0x7f, 0, 0, 0, 0 },
};
#define NCASES (sizeof cases / sizeof cases[0])

static void le16_set(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }

void test_nethdr(void)
{
    char ipbuf[16], msg[32];
    u8 mac[6];
    u32 peer = 0, bad = 0, good = 0;
    if (!check(net_init() == 0 && net_ip, "nethdr/device", "no usable virtio-net device or no ip="))
        return;
    if (!check(boot_option("peer", ipbuf, sizeof ipbuf) && ip_parse(ipbuf, &peer), "nethdr/peer", "no peer="))
        return;
    if (!check(arp_resolve(peer, mac, 30000) == 0, "nethdr/arp", "%s does not answer ARP", ipbuf))
        return;
    for (unsigned i = 0; i < NCASES; i++) {
        const struct bad_hdr *c = &cases[i];
        vnet_tx_hdr[0] = c->flags;
        vnet_tx_hdr[1] = c->gso_type;
        le16_set(vnet_tx_hdr + 2, c->hdr_len);
        le16_set(vnet_tx_hdr + 4, c->gso_size);
        le16_set(vnet_tx_hdr + 6, c->csum_start);
        le16_set(vnet_tx_hdr + 8, c->csum_offset);
        vnet_tx_hdr_on = 1;
        snprintf(msg, sizeof msg, "bad %u %s", i, c->what);
        if (udp_send(peer, 7000, 7777, msg, strlen(msg)) == 0)
            bad++;
        vnet_tx_hdr_on = 0;
        snprintf(msg, sizeof msg, "good %u", i);
        if (udp_send(peer, 7000, 7777, msg, strlen(msg)) == 0)
            good++;
    }
    net_poll();
    check(!vnet_broken(), "nethdr/device-alive", "the host stopped the device");
    check(good == NCASES && bad == NCASES, "nethdr/sent", "%u good and %u bad of %u each queued", (unsigned)good,
          (unsigned)bad, (unsigned)NCASES);
    printf("NETHDR SENT bad %u good %u\n", (unsigned)bad, (unsigned)good);
}
