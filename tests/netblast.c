/* A fast wire peer for make bench: raw Ethernet frames, one per UDP
 * datagram, over QEMU's `-netdev dgram` on 127.0.0.1 (nothing leaves the
 * host). Python (tests/netblast.py) drives it by lines on stdin and reads
 * one answer line per command on stdout:
 *
 *   blast N LEN DSTMAC raw              N frames of EtherType 0x88B5
 *   blast N LEN DSTMAC udp DSTIP DPORT  N UDP datagrams (checksummed), the
 *                                       frame LEN bytes long, payload word 0
 *                                       the frame's number
 *     -> "sent N ns T" (T: nanoseconds taken), sent with sendmmsg in
 *        batches of 64: loopback UDP never blocks, so frames the far side
 *        cannot take are dropped in QEMU's socket (the caller reads that
 *        socket's drop counter in /proc/net/udp)
 *   pace QPORT BYTES                    from now on blasts keep the receive
 *                                       queue of the socket bound to
 *                                       127.0.0.1:QPORT (QEMU's) at most
 *                                       BYTES full (read from /proc/net/udp
 *                                       between batches), so the far side is
 *                                       always busy and its socket never
 *                                       overflows; pace 0 0: full speed
 *     -> "ok"
 *   sink DPORT                          which UDP port's datagrams count
 *     -> "ok"                           as "udp" (raw ones always count)
 *   tcpsink PORT1 PORT2                 TCP segments to these ports count
 *     -> "ok"                           as "tcp1" / "tcp2" (bytes too)
 *   stats -> "stats frames F raw R raw_first_ns A raw_last_ns B udp U
 *             udp_first_ns C udp_last_ns D arp A2 other O tcp1 T
 *             tcp1_bytes .. tcp1_first_ns .. tcp1_last_ns .. (and tcp2)": R and U count
 *             the current round of each kind (a round ends when none
 *             came for ROUND_GAP_NS), first/last: when its first and
 *             latest came
 *   quit
 *
 * Between commands it receives with recvmmsg, counts, and answers ARP
 * who-has for its own address, so a guest can resolve it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define FRAME_MAX 1514
#define ETH_HLEN 14

static int sock;
static struct sockaddr_in qemu;
static uint8_t our_mac[6];
static uint32_t our_ip;         /* network order */

static unsigned pace_port, pace_bytes;
static int proc_udp = -1;

/* The receive queue (bytes) of the socket on 127.0.0.1:port, or 0. */
static unsigned long rx_queue(unsigned port)
{
    static char buf[1 << 16];
    char want[24];
    snprintf(want, sizeof want, " 0100007F:%04X ", port & 0xFFFF);
    if (proc_udp < 0 && (proc_udp = open("/proc/net/udp", O_RDONLY)) < 0)
        return 0;
    ssize_t n = pread(proc_udp, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *p = strstr(buf, want);
    unsigned long tx, rx;
    if (!p || sscanf(p + strlen(want), "%*x:%*x %*x %lx:%lx", &tx, &rx) != 2)
        return 0;
    return rx;
}

#define ROUND_GAP_NS 500000000ull
struct count { uint64_t n, first_ns, last_ns; };
static uint16_t sink_port;
static struct count raw, udp, tcp[2];
static uint16_t tcp_port[2];
static uint64_t tcp_bytes[2];
static uint64_t frames, arp_answered, other;

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int parse_mac(const char *s, uint8_t m[6])
{
    unsigned v[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        m[i] = (uint8_t)v[i];
    return 0;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* An IPv4/UDP frame of len bytes from us to dst; payload bytes are a
 * pattern, the datagram's first word is patched per frame by the caller
 * (so the checksum is fixed up there too). */
static size_t udp_frame(uint8_t *f, size_t len, const uint8_t dmac[6], uint32_t dip, uint16_t dport)
{
    memcpy(f, dmac, 6);
    memcpy(f + 6, our_mac, 6);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + ETH_HLEN, *udp = ip + 20, *data = udp + 8;
    size_t ulen = len - ETH_HLEN - 20;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(len - ETH_HLEN));
    put16(ip + 4, 1);
    put16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 17;
    memcpy(ip + 12, &our_ip, 4);
    memcpy(ip + 16, &dip, 4);
    put16(ip + 10, fold(sum16(ip, 20, 0)));
    put16(udp, 5000);
    put16(udp + 2, dport);
    put16(udp + 4, (uint16_t)ulen);
    put16(udp + 6, 0);
    for (size_t i = 0; i < ulen - 8; i++)
        data[i] = (uint8_t)i;
    return ulen;
}

static uint16_t udp_csum(const uint8_t *f, size_t ulen)
{
    const uint8_t *ip = f + ETH_HLEN;
    uint32_t s = sum16(ip + 12, 8, 0) + 17 + (uint32_t)ulen;
    uint16_t c = fold(sum16(ip + 20, ulen, s));
    return c ? c : 0xFFFF;
}

static void blast(unsigned long n, size_t len, const uint8_t dmac[6], int udp, uint32_t dip, uint16_t dport)
{
    static uint8_t buf[BATCH][FRAME_MAX];
    struct mmsghdr msg[BATCH];
    struct iovec iov[BATCH];
    size_t ulen = 0;
    if (len < ETH_HLEN + 20 + 8 + 4 && udp)
        len = ETH_HLEN + 20 + 8 + 4;
    if (len < ETH_HLEN + 2)
        len = ETH_HLEN + 2;
    if (len > FRAME_MAX)
        len = FRAME_MAX;
    for (int i = 0; i < BATCH; i++) {
        if (udp) {
            ulen = udp_frame(buf[i], len, dmac, dip, dport);
        } else {
            memcpy(buf[i], dmac, 6);
            memcpy(buf[i] + 6, our_mac, 6);
            put16(buf[i] + 12, 0x88B5);
            for (size_t j = ETH_HLEN; j < len; j++)
                buf[i][j] = (uint8_t)j;
        }
        iov[i] = (struct iovec){ buf[i], len };
        msg[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &qemu, .msg_namelen = sizeof qemu,
                                                .msg_iov = &iov[i], .msg_iovlen = 1 } };
    }
    uint64_t t = now_ns();
    unsigned long sent = 0, errors = 0;
    while (sent < n) {
        /* paced: small batches, so one never overfills what the check allowed */
        unsigned most = pace_port ? 16 : BATCH;
        unsigned k = n - sent < most ? (unsigned)(n - sent) : most;
        for (unsigned i = 0; i < k; i++) {
            uint32_t seq = htonl((uint32_t)(sent + i));
            if (udp) {
                uint8_t *data = buf[i] + ETH_HLEN + 28;
                memcpy(data, &seq, 4);
                put16(buf[i] + ETH_HLEN + 26, 0);
                put16(buf[i] + ETH_HLEN + 26, udp_csum(buf[i], ulen));
            } else {
                memcpy(buf[i] + ETH_HLEN, &seq, 4);
            }
        }
        while (pace_port && rx_queue(pace_port) > pace_bytes)
            usleep(20);
        int r = sendmmsg(sock, msg, k, 0);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS) {
                errors++;
                continue;
            }
            printf("error sendmmsg: %s\n", strerror(errno));
            fflush(stdout);
            return;
        }
        sent += (unsigned)r;
    }
    printf("sent %lu ns %llu retries %lu\n", sent, (unsigned long long)(now_ns() - t), errors);
    fflush(stdout);
}

static void arp_reply(const uint8_t *f)
{
    uint8_t r[42];
    memcpy(r, f + 6, 6);
    memcpy(r + 6, our_mac, 6);
    put16(r + 12, 0x0806);
    memcpy(r + 14, f + 14, 6);      /* htype, ptype, hlen, plen: as asked */
    put16(r + 20, 2);
    memcpy(r + 22, our_mac, 6);
    memcpy(r + 28, &our_ip, 4);
    memcpy(r + 32, f + 22, 10);     /* the asker's MAC and IP */
    if (sendto(sock, r, sizeof r, 0, (struct sockaddr *)&qemu, sizeof qemu) == sizeof r)
        arp_answered++;
}

static int is_raw(const uint8_t *f, size_t len)
{
    return len >= ETH_HLEN && f[12] == 0x88 && f[13] == 0xB5;
}

static int is_sink(const uint8_t *f, size_t len)
{
    return sink_port && len >= ETH_HLEN + 28 && f[12] == 0x08 && f[13] == 0x00 && f[ETH_HLEN + 9] == 17 &&
           (f[ETH_HLEN] & 0xF) == 5 && (f[ETH_HLEN + 22] << 8 | f[ETH_HLEN + 23]) == sink_port;
}

/* 0 when the round began anew */
static int counted(struct count *c)
{
    uint64_t t = now_ns();
    int fresh = !c->n || t - c->last_ns > ROUND_GAP_NS;
    if (fresh) {
        c->n = 0;
        c->first_ns = t;
    }
    c->last_ns = t;
    c->n++;
    return !fresh;
}

/* A TCP segment (IPv4 without options) to one of the tcpsink ports: which, or -1. */
static int tcp_sink(const uint8_t *f, size_t len)
{
    if (len < ETH_HLEN + 40 || f[12] != 0x08 || f[13] != 0x00 || f[ETH_HLEN + 9] != 6 || (f[ETH_HLEN] & 0xF) != 5)
        return -1;
    uint16_t dport = (uint16_t)(f[ETH_HLEN + 22] << 8 | f[ETH_HLEN + 23]);
    for (int i = 0; i < 2; i++)
        if (tcp_port[i] && dport == tcp_port[i])
            return i;
    return -1;
}

static void input(const uint8_t *f, size_t len)
{
    frames++;
    if (is_raw(f, len)) {
        counted(&raw);
        return;
    }
    if (is_sink(f, len)) {
        counted(&udp);
        return;
    }
    int t = tcp_sink(f, len);
    if (t >= 0) {
        size_t doff = (size_t)(f[ETH_HLEN + 32] >> 4) * 4;
        size_t tot = (size_t)(f[ETH_HLEN + 2] << 8 | f[ETH_HLEN + 3]);
        if (!counted(&tcp[t]))
            tcp_bytes[t] = 0;
        if (tot >= 20 + doff)
            tcp_bytes[t] += tot - 20 - doff;
        return;
    }
    if (len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 1 &&
        memcmp(f + 38, &our_ip, 4) == 0) {
        arp_reply(f);
        return;
    }
    other++;
}

static void receive(void)
{
    static uint8_t buf[BATCH][2048];
    struct mmsghdr msg[BATCH];
    struct iovec iov[BATCH];
    for (int i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec){ buf[i], sizeof buf[i] };
        msg[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
    }
    for (;;) {
        int r = recvmmsg(sock, msg, BATCH, MSG_DONTWAIT, 0);
        if (r <= 0)
            return;
        for (int i = 0; i < r; i++)
            input(buf[i], msg[i].msg_len);
    }
}

static void command(char *line)
{
    char *w[8] = { 0 };
    int n = 0;
    for (char *t = strtok(line, " \t\r\n"); t && n < 8; t = strtok(0, " \t\r\n"))
        w[n++] = t;
    uint8_t mac[6];
    struct in_addr ip;
    if (n >= 5 && !strcmp(w[0], "blast") && parse_mac(w[3], mac) == 0) {
        int udp = !strcmp(w[4], "udp");
        if (udp && (n < 7 || !inet_aton(w[5], &ip))) {
            printf("error: blast N LEN MAC udp IP PORT\n");
        } else {
            blast(strtoul(w[1], 0, 0), strtoul(w[2], 0, 0), mac, udp, udp ? ip.s_addr : 0,
                  udp ? (uint16_t)atoi(w[6]) : 0);
            return;
        }
    } else if (n >= 3 && !strcmp(w[0], "pace")) {
        pace_port = (unsigned)atoi(w[1]);
        pace_bytes = (unsigned)atoi(w[2]);
        printf("ok\n");
    } else if (n >= 3 && !strcmp(w[0], "tcpsink")) {
        tcp_port[0] = (uint16_t)atoi(w[1]);
        tcp_port[1] = (uint16_t)atoi(w[2]);
        printf("ok\n");
    } else if (n >= 2 && !strcmp(w[0], "sink")) {
        sink_port = (uint16_t)atoi(w[1]);
        printf("ok\n");
    } else if (n >= 1 && !strcmp(w[0], "stats")) {
        receive();
        printf("stats frames %llu raw %llu raw_first_ns %llu raw_last_ns %llu udp %llu udp_first_ns %llu "
               "udp_last_ns %llu arp %llu other %llu", (unsigned long long)frames,
               (unsigned long long)raw.n, (unsigned long long)raw.first_ns, (unsigned long long)raw.last_ns,
               (unsigned long long)udp.n, (unsigned long long)udp.first_ns, (unsigned long long)udp.last_ns,
               (unsigned long long)arp_answered, (unsigned long long)other);
        for (int i = 0; i < 2; i++)
            printf(" tcp%d %llu tcp%d_bytes %llu tcp%d_first_ns %llu tcp%d_last_ns %llu", i + 1,
                   (unsigned long long)tcp[i].n, i + 1, (unsigned long long)tcp_bytes[i], i + 1,
                   (unsigned long long)tcp[i].first_ns, i + 1, (unsigned long long)tcp[i].last_ns);
        printf("\n");
    } else if (n >= 1 && !strcmp(w[0], "quit")) {
        exit(0);
    } else {
        printf("error: unknown command\n");
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc != 5 || parse_mac(argv[3], our_mac) || !inet_aton(argv[4], (struct in_addr *)&our_ip)) {
        fprintf(stderr, "usage: %s OUR_PORT QEMU_PORT MAC IP (both ports on 127.0.0.1)\n", argv[0]);
        return 2;
    }
    sock = socket(AF_INET, SOCK_DGRAM, 0);
    int big = 8 << 20;
    setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
    me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(sock, (struct sockaddr *)&me, sizeof me) < 0) {
        perror("bind");
        return 1;
    }
    socklen_t sl = sizeof me;
    getsockname(sock, (struct sockaddr *)&me, &sl);
    qemu = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
    qemu.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    printf("port %u\n", ntohs(me.sin_port));
    fflush(stdout);

    char line[256];
    size_t have = 0;
    for (;;) {
        struct pollfd p[2] = { { 0, POLLIN, 0 }, { sock, POLLIN, 0 } };
        if (poll(p, 2, 1000) < 0 && errno != EINTR)
            return 1;
        if (p[1].revents & POLLIN)
            receive();
        if (p[0].revents & (POLLIN | POLLHUP)) {
            ssize_t r = read(0, line + have, sizeof line - 1 - have);
            if (r <= 0)
                return 0;
            have += (size_t)r;
            line[have] = 0;
            char *nl;
            while ((nl = strchr(line, '\n'))) {
                *nl = 0;
                command(line);
                size_t rest = have - (size_t)(nl + 1 - line);
                memmove(line, nl + 1, rest);
                have = rest;
                line[have] = 0;
            }
            if (have == sizeof line - 1)
                have = 0;       /* an overlong line: dropped */
        }
    }
}
