/* The shell's network commands (shell.h's extension table): ifconfig, arp,
 * ping, netstat. The network starts on first use, or at the prompt when
 * the command line gives ip=; the prompt's wait polls it, so the guest
 * answers ARP and ping while the shell is idle. */
#include <stdio.h>
#include <stdlib.h>
#include "guest/bootopt.h"
#include "guest/net.h"
#include "guest/shell.h"
#include "guest/vcons.h"
#include "guest/vnet.h"

static int state;                       /* 0 not tried, 1 up, -1 failed */

static int up(const char *cmd)
{
    if (!state)
        state = net_init() == 0 ? 1 : -1;
    if (state < 0)
        printf("%s: no network device\n", cmd);
    return state > 0;
}

static void cmd_ifconfig(int argc, char **argv, const char *line)
{
    char ip[16], mac[18];
    if (!up("ifconfig"))
        return;
    if (argc == 2 && !ip_parse(argv[1], &net_ip)) {
        printf("usage: ifconfig [A.B.C.D]\n");
        return;
    }
    printf("eth0: mac %s ip %s link %s features 0x%08x%s\n", mac_str(net_mac, mac),
           net_ip ? ip_str(net_ip, ip) : "(none)", vnet_link_up() ? "up" : "down", (unsigned)vnet_features(),
           vnet_broken() ? " BROKEN" : "");
    printf("eth0: rx %u frames %u bytes, tx %u frames %u bytes, %u rx buffers posted\n",
           (unsigned)vnet_stats.rx_frames, (unsigned)vnet_stats.rx_bytes, (unsigned)vnet_stats.tx_frames,
           (unsigned)vnet_stats.tx_bytes, (unsigned)vnet_stats.rx_posted);
}

static void cmd_arp(int argc, char **argv, const char *line)
{
    if (up("arp")) {
        net_poll();
        arp_show();
    }
}

static void cmd_ping(int argc, char **argv, const char *line)
{
    u32 dst;
    char ip[16];
    if (argc < 2 || argc > 4 || !ip_parse(argv[1], &dst)) {
        printf("usage: ping A.B.C.D [COUNT [SIZE]]\n");
        return;
    }
    unsigned count = argc > 2 ? (unsigned)strtoul(argv[2], 0, 0) : 4;
    unsigned size = argc > 3 ? (unsigned)strtoul(argv[3], 0, 0) : 56;
    if (!up("ping"))
        return;
    if (!net_ip) {
        printf("ping: no address (ifconfig A.B.C.D)\n");
        return;
    }
    struct ping_result r;
    if (ping_run(dst, count, size, 200, 1000, &r) < 0) {
        printf("ping: size %u is too large\n", size);
        return;
    }
    printf("ping: %s %u/%u replies, %u bad, rtt min %u avg %u max %u us\n", ip_str(dst, ip), r.received, r.sent,
           r.bad, (unsigned)r.rtt_min_us, r.received ? (unsigned)(r.rtt_sum_us / r.received) : 0,
           (unsigned)r.rtt_max_us);
}

static void cmd_netstat(int argc, char **argv, const char *line)
{
    if (!up("netstat"))
        return;
    net_poll();
    const struct net_stats *n = &net_stats;
    printf("netstat: eth %u (not ours %u), arp %u in %u out, ip %u in (%u bad), icmp %u echo answered,"
           " udp %u in %u out, tx errors %u\n",
           (unsigned)n->rx_frames, (unsigned)n->rx_not_ours, (unsigned)n->arp_in, (unsigned)n->arp_req_out,
           (unsigned)n->ip_in, (unsigned)n->ip_bad, (unsigned)n->icmp_echo_out, (unsigned)n->udp_in,
           (unsigned)n->udp_out, (unsigned)n->tx_errors);
}

const struct shell_cmd shell_net_cmds[] = {
    { "ifconfig", "[A.B.C.D]", "the network interface; set its address", cmd_ifconfig },
    { "arp", "", "the ARP cache", cmd_arp },
    { "ping", "A.B.C.D [N [SIZE]]", "ICMP echo, N times (4), SIZE bytes (56)", cmd_ping },
    { "netstat", "", "the stack's counters", cmd_netstat },
    { 0, 0, 0, 0 },
};

void vcons_idle(void)
{
    char ip[16];
    if (!state && boot_option("ip", ip, sizeof(ip)))
        up("network");
    if (state > 0)
        net_poll();
}
