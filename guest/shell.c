/* test=shell: a small command interpreter on the virtio console, for
 * people and for the harness (tests/device_tests.py types commands into
 * the serial port and reads the answers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest/console.h"
#include "guest/hcall.h"
#include "guest/mm.h"
#include "guest/shell.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/vblk.h"
#include "guest/vcons.h"
#include "guest/x86.h"

static u64 start_tsc;
static int have_disk;
static u8 sector_buf[VBLK_SECTOR] __attribute__((aligned(VBLK_SECTOR)));

static const char *blk_status(int s)
{
    static char other[24];
    switch (s) {
    case VIRTIO_BLK_S_OK: return "OK";
    case VIRTIO_BLK_S_IOERR: return "IOERR";
    case VIRTIO_BLK_S_UNSUPP: return "UNSUPP";
    case VBLK_E_NOROOM: return "no room in the ring";
    case VBLK_E_TIMEOUT: return "timed out";
    case VBLK_E_BROKEN: return "device broken";
    case VBLK_E_NODEV: return "no disk";
    }
    snprintf(other, sizeof other, "status %d", s);
    return other;
}

/* A sector number: digits only (0x... allowed), below the capacity. */
static int parse_sector(const char *s, u64 *out)
{
    char *end;
    if (!s || !*s)
        return 0;
    *out = strtoull(s, &end, 0);
    return *end == 0;
}

static void cmd_help(int argc, char **argv, const char *line);

static void cmd_devices(int argc, char **argv, const char *line)
{
    for (unsigned i = 0; i < vbus_count; i++) {
        struct vdev *d = &vbus_devs[i];
        printf("%u: %s at 0x%x, status 0x%02x, %u queue(s), features offered 0x%08x accepted 0x%08x, "
               "config %u bytes\n",
               i, vdev_type_name(d->type), (unsigned)d->desc_gpa, vdev_status(d), d->num_vq,
               (unsigned)vdev_offered(d), (unsigned)d->features, d->config_len);
    }
    printf("%u device(s)\n", vbus_count);
}

static void cmd_mem(int argc, char **argv, const char *line)
{
    printf("mem: RAM %u KiB, %u KiB free\n", (unsigned)(ram_bytes >> 10), pages_free_count() * 4);
}

static void cmd_disk(int argc, char **argv, const char *line)
{
    if (!have_disk) {
        printf("disk: no block device\n");
        return;
    }
    char id[VBLK_ID_BYTES + 1] = { 0 };
    int s = vblk_get_id(id);
    u64 cap = vblk_capacity();
    printf("disk: %u sectors (%u KiB), seg_max %u, id '%s' (%s)\n", (unsigned)cap, (unsigned)(cap / 2),
           (unsigned)vblk_seg_max(), s == VIRTIO_BLK_S_OK ? id : "", blk_status(s));
}

static void cmd_dread(int argc, char **argv, const char *line)
{
    u64 sector;
    if (argc != 2 || !parse_sector(argv[1], &sector)) {
        printf("usage: dread SECTOR\n");
        return;
    }
    if (!have_disk) {
        printf("dread: no block device\n");
        return;
    }
    memset(sector_buf, 0, sizeof sector_buf);
    int s = vblk_read(sector, sector_buf, VBLK_SECTOR);
    printf("dread %u: %s\n", (unsigned)sector, blk_status(s));
    if (s != VIRTIO_BLK_S_OK)
        return;
    for (unsigned off = 0; off < 64; off += 16) {
        char hex[64], asc[17];
        unsigned h = 0;
        for (unsigned i = 0; i < 16; i++) {
            u8 c = sector_buf[off + i];
            h += (unsigned)snprintf(hex + h, sizeof hex - h, "%02x ", c);
            asc[i] = c >= 0x20 && c < 0x7F ? (char)c : '.';
        }
        asc[16] = 0;
        printf("%04x: %s|%s|\n", off, hex, asc);
    }
    /* The printable text at the start, as dwrite left it. */
    unsigned n = 0;
    while (n < VBLK_SECTOR && sector_buf[n] >= 0x20 && sector_buf[n] < 0x7F)
        n++;
    printf("text: '%.*s'\n", (int)n, (const char *)sector_buf);
}

static void cmd_dwrite(int argc, char **argv, const char *line)
{
    u64 sector;
    if (argc < 3 || !parse_sector(argv[1], &sector)) {
        printf("usage: dwrite SECTOR TEXT\n");
        return;
    }
    if (!have_disk) {
        printf("dwrite: no block device\n");
        return;
    }
    /* TEXT is the rest of the line after the sector word. */
    const char *text = line + strlen(argv[1]);
    while (*text == ' ')
        text++;
    size_t n = strlen(text);
    if (n > VBLK_SECTOR)
        n = VBLK_SECTOR;
    memset(sector_buf, 0, sizeof sector_buf);
    memcpy(sector_buf, text, n);
    int s = vblk_write(sector, sector_buf, VBLK_SECTOR);
    if (s == VIRTIO_BLK_S_OK)
        s = vblk_flush();
    printf("dwrite %u: %u bytes, %s\n", (unsigned)sector, (unsigned)n, blk_status(s));
}

static void cmd_echo(int argc, char **argv, const char *line) { printf("%s\n", line); }

static void cmd_uptime(int argc, char **argv, const char *line)
{
    u64 us = (u64)cycles_to_us(rdtsc() - start_tsc);
    printf("uptime %u.%03u s\n", (unsigned)(us / 1000000), (unsigned)(us / 1000 % 1000));
}

static void cmd_poweroff(int argc, char **argv, const char *line)
{
    printf("powering off\n");
    shutdown("poweroff", LGUEST_SHUTDOWN_POWEROFF);
}

static void cmd_reboot(int argc, char **argv, const char *line)
{
    printf("rebooting\n");
    shutdown("reboot", LGUEST_SHUTDOWN_RESTART);
}

static const struct shell_cmd base_cmds[] = {
    { "help", "", "this list", cmd_help },
    { "devices", "", "the devices on the lguest bus", cmd_devices },
    { "mem", "", "RAM and free memory", cmd_mem },
    { "disk", "", "the block device: capacity and id", cmd_disk },
    { "dread", "SECTOR", "read a sector: hex of its first 64 bytes and its text", cmd_dread },
    { "dwrite", "SECTOR TEXT", "write TEXT (zero padded) into a sector, then flush", cmd_dwrite },
    { "echo", "TEXT", "print TEXT", cmd_echo },
    { "uptime", "", "time since the shell started", cmd_uptime },
    { "poweroff", "", "power the guest off", cmd_poweroff },
    { "reboot", "", "restart the guest", cmd_reboot },
    { 0, 0, 0, 0 },
};

/* Every command table: the base one, then the extensions (weak: a table
 * nobody defines is a null pointer). */
static const struct shell_cmd *table(unsigned i)
{
    switch (i) {
    case 0: return base_cmds;
    case 1: return shell_net_cmds;
    }
    return 0;
}
#define NTABLES 2

static void cmd_help(int argc, char **argv, const char *line)
{
    for (unsigned t = 0; t < NTABLES; t++) {
        const struct shell_cmd *c = table(t);
        for (; c && c->name; c++) {
            char usage[48];
            snprintf(usage, sizeof usage, "%s %s", c->name, c->args ? c->args : "");
            printf("  %-24s %s\n", usage, c->help ? c->help : "");
        }
    }
}

static void execute(char *line)
{
    char *argv[SHELL_MAX_ARGS + 1];
    int argc = 0;
    const char *rest = "";
    char *p = line;
    while (*p == ' ')
        p++;
    if (!*p)
        return;
    /* The text after the command word, before we cut the line up. */
    static char rest_copy[256];
    char *after = strchr(p, ' ');
    if (after) {
        while (*after == ' ')
            after++;
        strncpy(rest_copy, after, sizeof rest_copy - 1);
        rest_copy[sizeof rest_copy - 1] = 0;
        rest = rest_copy;
    }
    while (*p && argc < SHELL_MAX_ARGS) {
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = 0;
        while (*p == ' ')
            p++;
    }
    argv[argc] = 0;
    for (unsigned t = 0; t < NTABLES; t++) {
        for (const struct shell_cmd *c = table(t); c && c->name; c++) {
            if (strcmp(c->name, argv[0]) == 0) {
                c->run(argc, argv, rest);
                return;
            }
        }
    }
    printf("unknown command '%s' (try help)\n", argv[0]);
}

void shell_run(void)
{
    static char line[256];
    start_tsc = rdtsc();
    vbus_scan();
    if (vcons_attach() != 0) {
        fail("shell/console", "no virtio console to run on");
        tests_done();
    }
    have_disk = vbus_find(VIRTIO_ID_BLOCK, 0) && vblk_attach() == 0;
    printf("lgtest shell: %u device(s), %s; type help\n", vbus_count, have_disk ? "disk attached" : "no disk");
    vcons_idle();                       /* brings the network up (ip=) before the first prompt */
    for (;;) {
        /* The prompt without a newline: pushed out now. */
        printf("lgtest$ ");
        console_flush();
        if (vcons_read_line(line, sizeof line, 1) < 0) {
            fail("shell/console", "the console went away");
            tests_done();
        }
        execute(line);
    }
}

void test_shell(void) { shell_run(); }
