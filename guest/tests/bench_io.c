/* Device benchmarks for make bench (tests/bench.py), timed with the TSC
 * (lguest_data.tsc_khz gives the rate). Every figure is one line
 *   BENCH_IO name value unit (details)
 * and the program ends with the usual PASS/FAIL lines and DONE.
 *
 * test=blkbench [passes=N]: sequential writes, then reads, of the whole
 * disk in 4 KiB requests, then the same in 64 KiB requests, N passes each
 * (default 3), through the synchronous driver (one request in flight).
 * MB/s = 10^6 bytes per second over all passes.
 *
 * test=netbench ip=A peer=B [count=N] [role=wire|g2g-tx|g2g-rx]: with
 * role=wire (default) resolves the wire peer B, then for 1514-byte and then
 * 64-byte frames:
 *   guest->wire: N (default 50000) UDP datagrams to B port 5001, as fast as
 *     the TX ring takes them; the time is from the first send to the last
 *     one queued.
 *   wire->guest: prints "NETBENCH RX ready", the peer blasts N datagrams to
 *     our port 5002; we count what arrives through the stack (checksums
 *     checked) from the first to the last, stopping when all N are in or
 *     nothing came for a second (up to 30 s for the first).
 * role=g2g-tx sends the same rounds to guest B's port 5001 (a pause before
 * each so that B is counting); role=g2g-rx counts them.
 */
#include <stdio.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/net.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/vblk.h"
#include "guest/vnet.h"
#include "guest/x86.h"

/* ---- block ---------------------------------------------------------- */

#define BLK_BIG 65536u
static u8 blk_buf[BLK_BIG] __attribute__((aligned(4096)));

/* MB/s (10^6 bytes per second) for bytes in cycles. */
static u32 mbps(u64 bytes, u64 cycles)
{
    u64 us = cycles * 1000 / tsc_khz;
    return (u32)(us ? bytes / us : 0);
}

/* passes x the whole disk in requests of size bytes; the device's status
 * or 0. *cycles: the time of all of them. */
static int blk_pass(int write, u32 size, unsigned passes, u64 cap, u64 *cycles)
{
    u32 per = size / VBLK_SECTOR;
    u64 t0 = rdtsc();
    for (unsigned p = 0; p < passes; p++) {
        for (u64 s = 0; s + per <= cap; s += per) {
            int r;
            if (write) {
                *(u32 *)blk_buf = (u32)s ^ p;       /* a mark read back below */
                r = vblk_write(s, blk_buf, size);
            } else {
                r = vblk_read(s, blk_buf, size);
            }
            if (r != VIRTIO_BLK_S_OK)
                return r;
        }
    }
    *cycles = rdtsc() - t0;
    return 0;
}

static void blk_figure(const char *name, int write, u32 size, unsigned passes, u64 cap)
{
    char check_name[48];
    u64 cycles = 0;
    snprintf(check_name, sizeof check_name, "blkbench/%s", name);
    int r = blk_pass(write, size, passes, cap, &cycles);
    if (!check(r == 0, check_name, "request failed with status %d", r))
        return;
    u64 bytes = (cap / (size / VBLK_SECTOR)) * size * passes;
    printf("BENCH_IO %s %u MB/s (%u requests of %u bytes, %u passes, %u us)\n", name,
           (unsigned)mbps(bytes, cycles), (unsigned)(bytes / size), (unsigned)size, passes,
           (unsigned)(cycles * 1000 / tsc_khz));
}

void test_blkbench(void)
{
    unsigned passes = boot_option_u32("passes", 3);
    if (!check(vblk_attach() == 0, "blkbench/attach", "no usable block device"))
        return;
    u64 cap = vblk_capacity();
    printf("blkbench: disk of %u sectors (%u KiB), %u passes\n", (unsigned)cap, (unsigned)(cap / 2), passes);
    if (!check(cap >= BLK_BIG / VBLK_SECTOR, "blkbench/size", "disk of %u sectors is too small", (unsigned)cap))
        return;
    memset(blk_buf, 0x5A, sizeof blk_buf);
    blk_figure("blk_write_4k", 1, 4096, passes, cap);
    blk_figure("blk_read_4k", 0, 4096, passes, cap);
    /* the last 4 KiB request of the write pass, read back */
    u64 last = (cap / 8 - 1) * 8;
    check(*(u32 *)blk_buf == ((u32)last ^ (passes - 1)), "blkbench/data",
          "the last block reads back 0x%08x", (unsigned)*(u32 *)blk_buf);
    blk_figure("blk_write_64k", 1, BLK_BIG, passes, cap);
    blk_figure("blk_read_64k", 0, BLK_BIG, passes, cap);
}

/* ---- network -------------------------------------------------------- */

#define NB_TX_PORT   5001       /* the sink: the wire peer's, or the receiving guest's */
#define NB_RX_PORT   5002       /* ours */
#define NB_SPORT     5000
#define NB_HDRS      (ETH_HLEN + IP_HLEN + UDP_HLEN)

static u8 nb_payload[UDP_MAX_PAYLOAD];
static u32 nb_want_len;         /* the payload length this round counts */
static volatile u32 nb_rx_frames, nb_rx_bad;
static u64 nb_rx_first, nb_rx_last;

static void nb_rx(u32 src, u16 sport, u16 dport, const u8 *data, unsigned len)
{
    u64 t = rdtsc();
    if (len != nb_want_len) {
        nb_rx_bad++;
        return;
    }
    if (!nb_rx_frames)
        nb_rx_first = t;
    nb_rx_last = t;
    nb_rx_frames++;
}

/* pps and Mbit/s for frames of size bytes over cycles. */
static void nb_print(const char *name, u32 size, u32 frames, u64 cycles, const char *more)
{
    u64 khz = tsc_khz;
    u32 pps = cycles ? (u32)((u64)frames * khz * 1000 / cycles) : 0;
    u32 mbit = cycles ? (u32)((u64)frames * size * 8 * khz / 1000 / cycles) : 0;
    printf("BENCH_IO %s_%u %u pps %u Mbit/s (%u frames of %u bytes, %u us%s)\n", name, (unsigned)size,
           (unsigned)pps, (unsigned)mbit, (unsigned)frames, (unsigned)size, (unsigned)(cycles * 1000 / khz),
           more);
}

static void nb_tx(const char *name, u32 dst, u32 size, u32 count)
{
    u32 plen = size - NB_HDRS, sent = 0, errors = 0, full0 = vnet_stats.tx_full;
    printf("NETBENCH TX start %u frames of %u bytes\n", (unsigned)count, (unsigned)size);
    u64 t0 = rdtsc();
    for (u32 i = 0; i < count; i++) {
        nb_payload[0] = (u8)(i >> 24);      /* the frame's number, big-endian, as the wire peer's */
        nb_payload[1] = (u8)(i >> 16);
        nb_payload[2] = (u8)(i >> 8);
        nb_payload[3] = (u8)i;
        if (udp_send(dst, NB_SPORT, NB_TX_PORT, nb_payload, plen) == 0)
            sent++;
        else
            errors++;
    }
    u64 cycles = rdtsc() - t0;
    char more[64];
    snprintf(more, sizeof more, ", %u send errors, %u ring-full waits", (unsigned)errors,
             (unsigned)(vnet_stats.tx_full - full0));
    nb_print(name, size, sent, cycles, more);
    printf("NETBENCH TX done %u\n", (unsigned)size);
    check(errors == 0, "netbench/tx", "%u of %u sends failed", (unsigned)errors, (unsigned)count);
}

/* Counts datagrams of one size to our port until count are in or nothing
 * came for a second (up to first_s seconds for the first). */
static void nb_rx_round(const char *name, u32 size, u32 count, u32 first_s)
{
    nb_want_len = size - NB_HDRS;
    nb_rx_frames = nb_rx_bad = 0;
    u32 rx0 = (u32)vnet_stats.rx_frames;
    printf("NETBENCH RX ready port %u count %u size %u\n", NB_RX_PORT, (unsigned)count, (unsigned)size);
    u64 start = rdtsc(), first_wait = us_to_cycles((u64)first_s * 1000000), idle = us_to_cycles(1000000);
    u64 heard = start;
    u32 seen = 0;
    while (nb_rx_frames < count) {
        net_wait_until(net_deadline_us(100000));
        u64 now = rdtsc();
        if (nb_rx_frames != seen) {
            seen = nb_rx_frames;
            heard = now;
        } else if (seen ? now - heard > idle : now - start > first_wait) {
            break;
        }
    }
    u32 got = nb_rx_frames;
    char more[64];
    snprintf(more, sizeof more, ", %u of %u arrived, %u bad", (unsigned)got, (unsigned)count,
             (unsigned)nb_rx_bad);
    /* intervals from the first frame to the last: the first starts the clock */
    nb_print(name, size, got > 1 ? got - 1 : 0, got > 1 ? nb_rx_last - nb_rx_first : 0, more);
    check(got > 1 && !nb_rx_bad, "netbench/rx", "%u frames of %u bytes arrived, %u bad", (unsigned)got,
          (unsigned)size, (unsigned)nb_rx_bad);
    printf("NETBENCH VNET rx %u frames (%u this round) irqs %u polls %u refills %u; tx %u frames full %u "
           "irqs %u; stack udp in %u bad %u noport %u\n",
           (unsigned)vnet_stats.rx_frames, (unsigned)(vnet_stats.rx_frames - rx0),
           (unsigned)vnet_stats.rx_irqs, (unsigned)vnet_stats.rx_polls, (unsigned)vnet_stats.rx_refills,
           (unsigned)vnet_stats.tx_frames, (unsigned)vnet_stats.tx_full, (unsigned)vnet_stats.tx_irqs,
           (unsigned)net_stats.udp_in, (unsigned)net_stats.udp_bad, (unsigned)net_stats.udp_no_port);
}

static const u32 nb_sizes[] = { 1514, 64 };

/* role=wire (default): to and from the wire peer, each size in turn;
 * role=g2g-tx: to the guest peer=B (after ARP and a pause for B to get
 * ready), each size with a 2 s gap; role=g2g-rx: counts what comes. */
void test_netbench(void)
{
    char ipbuf[16], role[16] = "wire";
    u8 mac[ETH_ALEN];
    u32 peer = 0, count = boot_option_u32("count", 50000);
    boot_option("role", role, sizeof role);
    if (!check(net_init() == 0 && net_ip, "netbench/device", "no usable virtio-net device or no ip="))
        return;
    for (unsigned i = 0; i < sizeof nb_payload; i++)
        nb_payload[i] = (u8)i;
    udp_bind(NB_RX_PORT, nb_rx);
    if (strcmp(role, "g2g-rx") == 0) {
        udp_unbind(NB_RX_PORT);
        udp_bind(NB_TX_PORT, nb_rx);
        for (unsigned i = 0; i < sizeof nb_sizes / sizeof nb_sizes[0]; i++)
            nb_rx_round("net_g2g", nb_sizes[i], count, 60);
        udp_unbind(NB_TX_PORT);
        return;
    }
    if (!check(boot_option("peer", ipbuf, sizeof ipbuf) && ip_parse(ipbuf, &peer), "netbench/peer",
               "no peer=A.B.C.D"))
        return;
    if (!check(arp_resolve(peer, mac, 30000) == 0, "netbench/arp", "%s does not answer ARP", ipbuf))
        return;
    for (unsigned i = 0; i < sizeof nb_sizes / sizeof nb_sizes[0]; i++) {
        u32 size = nb_sizes[i];
        if (strcmp(role, "g2g-tx") == 0) {
            u64 until = net_deadline_us(i ? 2000000 : 300000);    /* past the receiver's idle second */
            while (rdtsc() < until)
                net_wait_until(until);
            nb_tx("net_g2g_tx", peer, size, count);
            continue;
        }
        nb_tx("net_tx", peer, size, count);
        net_poll();             /* whatever came meanwhile (ARP) */
        nb_rx_round("net_rx", size, count, 30);
    }
    udp_unbind(NB_RX_PORT);
}
