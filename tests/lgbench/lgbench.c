/* lgbench: the user-space half of `make bench-linux` (tests/linux_bench.py).
 *
 * A static i386 program (gcc -m32 -static -O2) that the harness appends to
 * the user's initramfs. It measures a few kernel paths that a hypervisor
 * makes slower and prints one line per figure:
 *
 *   LGBENCH name value unit ops=N all=M [cyc=C] [(details)]
 *
 * ops: the operations the figure is the average of (the best repetition);
 * all: every operation the test ran, warm-ups and other repetitions included
 * (the harness divides the hypervisor's counters by it); cyc: TSC cycles per
 * operation.
 *
 *   getppid      ns/call   getppid through `int $0x80` (no libc, no vDSO)
 *   forkexec     us/run    fork + execve("/bin/true") + waitpid, 200 runs (best of 3)
 *   forkexit     us/run    fork + _exit(0) + waitpid
 *   touch        ns/page   first write to each page of 32 MiB of fresh
 *                          anonymous memory (mmap, touch, munmap)
 *   pipe         ns/rt     one byte there and back between two processes
 *                          over two pipes
 *
 * Usage: lgbench [TEST...]   (no TEST: all of them, in the order above)
 *        lgbench run CMD [ARG...]   runs CMD, prints `LGBENCH run NS ns status=S`
 *                                   (the harness times dd with it)
 *        lgbench tcp [IP]           TCP echo for the harness's throughput
 *                                   figures: listens on port 5000, takes one
 *                                   connection, reads TCP_BYTES, then sends
 *                                   them back (the harness times both
 *                                   halves); with IP, first brings eth0 up
 *                                   with it (/24), as init must.
 *
 * Before measuring, it waits (until 3 s of uptime at most) for the kernel to
 * settle on the TSC clocksource: early after boot the kernel still runs on a
 * jiffies or PIT clock and switches about a second later.
 *
 * As PID 1 (the harness boots the kernel natively with rdinit=/lgbench,
 * where nothing but the kernel log reaches the serial port) it mounts
 * devtmpfs, proc and sysfs, prints through /dev/kmsg, runs every test, reads
 * the first disk with /bin/dd when the kernel found one, and powers off.
 *
 * Each figure is the best of 7 repetitions (of 3 for forkexec). Times
 * come from clock_gettime(CLOCK_MONOTONIC) over whole loops; the TSC
 * (rdtsc) gives the cycles per operation when user mode may read it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TARGET_NS 200000000LL   /* each timed repetition runs at least this long */
#define REPS 7                  /* repetitions per figure; the best is reported */
#define FORKEXEC_RUNS 200
#define TOUCH_BYTES (32u << 20)
#define PAGE 4096u
#define TCP_PORT 5000
#define TCP_BYTES (16u << 20)   /* each way; tests/linux_bench.py sends the same */
#define TCP_IP "10.0.2.15"      /* QEMU's user network: the guest's usual address */

static int out_fd = 1;
static int have_tsc;
static long performed;          /* operations run by the current test, warm-ups included */
static const char *true_path = "/bin/true";

static void say(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof(buf) - 2)
        n = sizeof(buf) - 2;
    buf[n++] = '\n';
    /* one write per line: a record of its own when out_fd is /dev/kmsg */
    if (write(out_fd, buf, n) < 0) {
        /* nowhere to report it */
    }
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t tsc(void)
{
    return have_tsc ? rdtsc() : 0;
}

/* Whether user mode may execute rdtsc (CR4.TSD clear): tried in a child. */
static int probe_tsc(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        (void)rdtsc();
        _exit(0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return 0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static inline long int80_getppid(void)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "0"(64L) : "memory");  /* __NR_getppid */
    return r;
}

struct sample {
    double per_op_ns;
    double per_op_cyc;
    long ops;
};

static int cmp_sample(const void *a, const void *b)
{
    double x = ((const struct sample *)a)->per_op_ns, y = ((const struct sample *)b)->per_op_ns;
    return x < y ? -1 : x > y;
}

/* The fastest repetition: what the host (other processes, QEMU's own
 * threads) disturbed least, so the most repeatable figure. */
static struct sample best(struct sample *s, int n)
{
    qsort(s, n, sizeof(*s), cmp_sample);
    return s[0];
}

/* Runs batch(n) in growing batches until TARGET_NS have passed. */
static struct sample timed(long (*batch)(long n), long first)
{
    struct sample s = { 0, 0, 0 };
    long n = first;
    int64_t t0 = now_ns();
    uint64_t c0 = tsc();
    int64_t el;
    for (;;) {
        long done = batch(n);
        if (done < 0)
            return (struct sample){ -1, 0, 0 };
        s.ops += done;
        el = now_ns() - t0;
        if (el >= TARGET_NS)
            break;
        if (n < (1L << 24))
            n *= 2;
    }
    s.per_op_ns = (double)el / s.ops;
    s.per_op_cyc = have_tsc ? (double)(tsc() - c0) / s.ops : 0;
    return s;
}

static void report(const char *name, const char *unit, double scale, struct sample s,
                   const char *details)
{
    if (s.per_op_ns < 0) {
        say("LGBENCH %s failed (%s)", name, details ? details : "error");
        return;
    }
    char cyc[48] = "";
    if (have_tsc)
        snprintf(cyc, sizeof(cyc), " cyc=%.0f", s.per_op_cyc);
    say("LGBENCH %s %.1f %s ops=%ld all=%ld%s%s%s%s", name, s.per_op_ns / scale, unit, s.ops,
        performed, cyc,
        details ? " (" : "", details ? details : "", details ? ")" : "");
}

/* ---- getppid through int $0x80 ---- */

static long batch_getppid(long n)
{
    long sum = 0;
    performed += n;
    for (long i = 0; i < n; i++)
        sum += int80_getppid();
    if (sum < 0)
        return -1;
    return n;
}

static void bench_getppid(void)
{
    struct sample s[REPS];
    batch_getppid(1000);        /* warm up */
    for (int r = 0; r < REPS; r++)
        s[r] = timed(batch_getppid, 1000);
    report("getppid", "ns/call", 1, best(s, REPS), "int $0x80, eax=64");
}

/* ---- fork / exec / exit ---- */

static int wait_child(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static long batch_fork(long n, int exec)
{
    performed += n;
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            if (exec) {
                char *argv[] = { (char *)"true", (char *)"-x", 0 };
                char *envp[] = { 0 };
                execve(true_path, argv, envp);
                _exit(127);
            }
            _exit(0);
        }
        if (wait_child(pid) != 0)
            return -1;
    }
    return n;
}

static long batch_forkexit(long n)
{
    return batch_fork(n, 0);
}

static void bench_forkexec(void)
{
    char details[96];
    struct sample s[3];
    snprintf(details, sizeof(details), "%d runs of %s, best of 3", FORKEXEC_RUNS, true_path);
    batch_fork(5, 1);           /* warm up: page cache, the binary's pages */
    for (int r = 0; r < 3; r++) {
        int64_t t0 = now_ns();
        uint64_t c0 = tsc();
        s[r].ops = FORKEXEC_RUNS;
        if (batch_fork(FORKEXEC_RUNS, 1) < 0) {
            report("forkexec", "us/run", 1000, (struct sample){ -1, 0, 0 }, "a run failed");
            return;
        }
        s[r].per_op_ns = (double)(now_ns() - t0) / FORKEXEC_RUNS;
        s[r].per_op_cyc = have_tsc ? (double)(tsc() - c0) / FORKEXEC_RUNS : 0;
    }
    report("forkexec", "us/run", 1000, best(s, 3), details);
}

static void bench_forkexit(void)
{
    struct sample s[REPS];
    batch_fork(5, 0);
    for (int r = 0; r < REPS; r++)
        s[r] = timed(batch_forkexit, 20);
    report("forkexit", "us/run", 1000, best(s, REPS), 0);
}

/* ---- first touch of anonymous memory ---- */

static struct sample touch_once(void)
{
    struct sample s = { -1, 0, TOUCH_BYTES / PAGE };
    char *p = mmap(0, TOUCH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return s;
    performed += s.ops;
    int64_t t0 = now_ns();
    uint64_t c0 = tsc();
    for (uint32_t off = 0; off < TOUCH_BYTES; off += PAGE)
        ((volatile char *)p)[off] = 1;
    s.per_op_ns = (double)(now_ns() - t0) / s.ops;
    s.per_op_cyc = have_tsc ? (double)(tsc() - c0) / s.ops : 0;
    munmap(p, TOUCH_BYTES);
    return s;
}

static void bench_touch(void)
{
    struct sample s[REPS];
    for (int r = 0; r < REPS; r++)
        s[r] = touch_once();
    report("touch", "ns/page", 1, best(s, REPS), "32 MiB, one write per 4 KiB page");
}

/* ---- pipe ping-pong ---- */

static int ping[2], pong[2];

static long batch_pipe(long n)
{
    char c = 'x';
    performed += n;
    for (long i = 0; i < n; i++) {
        if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
            return -1;
    }
    return n;
}

static void bench_pipe(void)
{
    if (pipe(ping) < 0 || pipe(pong) < 0) {
        say("LGBENCH pipe failed (pipe: %s)", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(ping[1]);
        close(pong[0]);
        while (read(ping[0], &c, 1) == 1)
            if (write(pong[1], &c, 1) != 1)
                break;
        _exit(0);
    }
    close(ping[0]);
    close(pong[1]);
    struct sample s[REPS];
    batch_pipe(100);
    for (int r = 0; r < REPS; r++)
        s[r] = timed(batch_pipe, 100);
    close(ping[1]);
    close(pong[0]);
    if (pid > 0)
        wait_child(pid);
    report("pipe", "ns/rt", 1, best(s, REPS), "1 byte each way");
}

/* ---- the disk, when natively the kernel found one ---- */

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    if (fd >= 0) {
        if (write(fd, text, strlen(text)) < 0) {
            /* best effort */
        }
        close(fd);
    }
}

/* Runs /bin/dd on the first virtio (or SCSI/IDE) disk, relays its report and
 * says how long it took, as `lgbench run dd ...` does. */
static void native_dd(void)
{
    static const char *const disks[] = { "vda", "sda", "hda" };
    const char *disk = 0;
    char dev[32], line[256];
    for (unsigned i = 0; i < sizeof(disks) / sizeof(disks[0]) && !disk; i++) {
        snprintf(dev, sizeof(dev), "/sys/block/%s", disks[i]);
        if (access(dev, F_OK) == 0)
            disk = disks[i];
    }
    if (!disk) {
        say("LGBENCH dd none (no disk: the kernel found no block device)");
        return;
    }
    snprintf(dev, sizeof(dev), "/dev/%s", disk);
    for (int r = 0; r < REPS; r++) {
        int p[2];
        write_file("/proc/sys/vm/drop_caches", "3");
        if (pipe(p) < 0)
            return;
        int64_t t0 = now_ns();
        pid_t pid = fork();
        if (pid == 0) {
            char ifarg[48];
            snprintf(ifarg, sizeof(ifarg), "if=%s", dev);
            char *argv[] = { (char *)"dd", ifarg, (char *)"of=/dev/null", (char *)"bs=64k", 0 };
            char *envp[] = { 0 };
            dup2(p[1], 1);
            dup2(p[1], 2);
            execve("/bin/dd", argv, envp);
            _exit(127);
        }
        close(p[1]);
        size_t n = 0;
        ssize_t k;
        while (n < sizeof(line) - 1 && (k = read(p[0], line + n, sizeof(line) - 1 - n)) > 0)
            n += k;
        line[n] = 0;
        close(p[0]);
        int st = pid < 0 ? -1 : wait_child(pid);
        int64_t ns = now_ns() - t0;
        for (char *s = strtok(line, "\n"); s; s = strtok(0, "\n"))
            say("LGBENCH dd %s: %s", disk, s);
        say("LGBENCH run %lld ns status=%d", (long long)ns, st);
    }
}

/* ---- TCP throughput (timed by the harness) ---- */

/* eth0 up with ip/24, by ioctl: as init there is no ifconfig to call. */
static int eth0_up(const char *ip)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, "eth0", IFNAMSIZ - 1);
    struct sockaddr_in *a = (struct sockaddr_in *)&ifr.ifr_addr;
    a->sin_family = AF_INET;
    int r = inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? ioctl(s, SIOCSIFADDR, &ifr) : -1;
    if (r == 0) {
        inet_pton(AF_INET, "255.255.255.0", &a->sin_addr);
        r = ioctl(s, SIOCSIFNETMASK, &ifr);
    }
    if (r == 0 && (r = ioctl(s, SIOCGIFFLAGS, &ifr)) == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
    return r;
}

/* One datagram to the gateway, so that QEMU's user network learns our
 * MAC before the harness's connection comes in. */
static void hello_gateway(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        return;
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
    inet_pton(AF_INET, "10.0.2.2", &to.sin_addr);
    sendto(s, "hi", 2, 0, (struct sockaddr *)&to, sizeof(to));
    close(s);
}

static int bench_tcp(const char *ip)
{
    if (ip && eth0_up(ip) != 0) {
        say("LGBENCH tcp none (eth0: %s)", strerror(errno));
        return 1;
    }
    static char buf[TCP_BYTES];
    memset(buf, 0, sizeof(buf));    /* its page faults now, not inside the timed transfer */
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in at = { .sin_family = AF_INET, .sin_port = htons(TCP_PORT) };
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (l < 0 || bind(l, (struct sockaddr *)&at, sizeof(at)) < 0 || listen(l, 1) < 0) {
        say("LGBENCH tcp none (listen: %s)", strerror(errno));
        return 1;
    }
    for (int i = 0; i < 3; i++) {
        hello_gateway();
        usleep(100000);
    }
    say("LGBENCH tcp listening on %d, %u bytes each way", TCP_PORT, TCP_BYTES);
    alarm(120);                 /* a harness that never connects does not hang the boot */
    int c = accept(l, 0, 0);
    if (c < 0) {
        say("LGBENCH tcp failed (accept: %s)", strerror(errno));
        return 1;
    }
    size_t n = 0;
    ssize_t k;
    while (n < TCP_BYTES && (k = read(c, buf + n, TCP_BYTES - n)) > 0)
        n += k;
    size_t sent = 0;
    while (n == TCP_BYTES && sent < n && (k = write(c, buf + sent, n - sent)) > 0)
        sent += k;
    alarm(0);
    close(c);
    close(l);
    say("LGBENCH tcp %s: %zu bytes in, %zu out", sent == TCP_BYTES ? "done" : "failed", n, sent);
    return sent != TCP_BYTES;
}

/* ---- timing a command ---- */

static int run_command(char **argv)
{
    int64_t t0 = now_ns();
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int st = pid < 0 ? -1 : wait_child(pid);
    say("LGBENCH run %lld ns status=%d", (long long)(now_ns() - t0), st);
    return st != 0;
}

static double uptime(void)
{
    char buf[64] = "";
    int fd = open("/proc/uptime", O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return atof(buf);
}

static void clocksource(char *buf, size_t len)
{
    snprintf(buf, len, "?");
    int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource", O_RDONLY);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    buf[strcspn(buf, "\n")] = 0;
}

/* Waits for the TSC clocksource until 3 s of uptime; says which clock it got. */
static void settle_clock(void)
{
    char cs[32];
    double up;
    for (;;) {
        clocksource(cs, sizeof(cs));
        up = uptime();
        if (strcmp(cs, "tsc") == 0 || up < 0 || up >= 3.0)
            break;
        usleep(50000);
    }
    say("LGBENCH clock %s uptime %.2f s", cs, up);
}

/* ---- as init ---- */

static void as_init(void)
{
    mkdir("/dev", 0755);
    mkdir("/proc", 0555);
    mkdir("/sys", 0555);
    mount("devtmpfs", "/dev", "devtmpfs", 0, 0);
    mount("proc", "/proc", "proc", 0, 0);
    mount("sysfs", "/sys", "sysfs", 0, 0);
    if (access("/dev/kmsg", F_OK) != 0)
        mknod("/dev/kmsg", S_IFCHR | 0600, makedev(1, 11));
    int fd = open("/dev/kmsg", O_WRONLY);
    if (fd >= 0)
        out_fd = fd;
}

static const struct {
    const char *name;
    void (*fn)(void);
} tests[] = {
    { "getppid", bench_getppid }, { "forkexec", bench_forkexec }, { "forkexit", bench_forkexit },
    { "touch", bench_touch },     { "pipe", bench_pipe },
};
#define NTESTS (int)(sizeof(tests) / sizeof(tests[0]))

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "-x") == 0)
        return 0;               /* the exec'd program when there is no /bin/true */
    if (argc > 2 && strcmp(argv[1], "run") == 0)
        return run_command(argv + 2);
    if (argc > 1 && strcmp(argv[1], "tcp") == 0) {
        signal(SIGPIPE, SIG_IGN);
        return bench_tcp(argc > 2 ? argv[2] : 0);
    }
    int init = getpid() == 1;
    if (init) {
        as_init();
        say("LGBENCH up (as init)");
        argc = 1;               /* the kernel passes its unknown options here */
    }
    signal(SIGPIPE, SIG_IGN);
    if (access(true_path, X_OK) != 0)
        true_path = "/lgbench";
    have_tsc = probe_tsc();
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        int found = 0;
        for (int t = 0; t < NTESTS; t++)
            found |= strcmp(argv[i], tests[t].name) == 0;
        if (!found) {
            say("LGBENCH unknown test %s (tests: getppid forkexec forkexit touch pipe)", argv[i]);
            bad = 1;
        }
    }
    if (bad)
        return 2;
    settle_clock();
    for (int t = 0; t < NTESTS; t++) {
        int run = argc == 1;
        for (int i = 1; i < argc; i++)
            run |= strcmp(argv[i], tests[t].name) == 0;
        if (run) {
            performed = 0;
            tests[t].fn();
        }
    }
    if (init) {
        native_dd();
        if (access("/sys/class/net/eth0", F_OK) == 0)
            bench_tcp(TCP_IP);
        else
            say("LGBENCH tcp none (no network device: the kernel found no NIC)");
        say("LGBENCH done");
        sync();
        reboot(RB_POWER_OFF);
        for (;;)
            pause();
    }
    say("LGBENCH done");
    return 0;
}
