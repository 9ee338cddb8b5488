/* sources: kernel/gdb_packet.c kernel/gdb_cmd.c */
/* The gdb stub's wire logic against a fake target: framing, checksums,
 * acks and the break byte; every command with good arguments; and hostile
 * input — bad checksums, oversized packets, numbers that overflow, lengths
 * that do not match, non-hex data, NULs, random bytes — which must be
 * refused with a reply and never reach the target. */
#include <stdint.h>
#include <stdlib.h>
#include "kernel/gdb_cmd.h"
#include "tests/unit/check.h"

/* --- a fake target: 64 KiB of memory at 0x10000, nothing else mapped --- */

#define MEM_VA 0x10000u
#define MEM_LEN 0x10000u
static uint8_t mem[MEM_LEN];
static uint32_t regs[GDB_NREGS];
static int calls;               /* target calls of any kind */
static uint32_t bp_va;
static int bp_inserted;

static void get_regs(void *ctx __attribute__((unused)), uint32_t r[GDB_NREGS]) { calls++; memcpy(r, regs, sizeof(regs)); }
static const char *set_regs(void *ctx __attribute__((unused)), const uint32_t r[GDB_NREGS])
{
    calls++;
    if (r[GDB_CS] != regs[GDB_CS])
        return "segment";
    memcpy(regs, r, sizeof(regs));
    return NULL;
}
static uint32_t read_mem(void *ctx __attribute__((unused)), uint32_t va, uint8_t *buf, uint32_t len)
{
    calls++;
    uint32_t n = 0;
    for (; n < len && va + n >= MEM_VA && va + n < MEM_VA + MEM_LEN && va + n >= va; n++)
        buf[n] = mem[va + n - MEM_VA];
    return n;
}
static bool write_mem(void *ctx __attribute__((unused)), uint32_t va, const uint8_t *buf, uint32_t len)
{
    calls++;
    if (va < MEM_VA || va + len > MEM_VA + MEM_LEN || va + len < va)
        return false;
    memcpy(mem + va - MEM_VA, buf, len);
    return true;
}
static bool breakpoint(void *ctx __attribute__((unused)), uint32_t va, bool insert)
{
    calls++;
    if (va < MEM_VA || va >= MEM_VA + MEM_LEN)
        return false;
    bp_va = va;
    bp_inserted = insert;
    return true;
}

static const struct gdb_target target = { NULL, get_regs, set_regs, read_mem, write_mem, breakpoint };
static char reply[GDB_PACKET_MAX + 1];
static uint32_t reply_len;
static bool has_addr;
static uint32_t addr;

static enum gdb_action cmd(const char *pkt)
{
    has_addr = false;
    return gdb_command(&target, pkt, (uint32_t)strlen(pkt), reply, &reply_len, &has_addr, &addr);
}

/* Feeds s to a receiver; returns the last event that was not NONE. */
static enum gdb_event feed(struct gdb_rx *r, const char *s, size_t n)
{
    enum gdb_event last = GDB_EV_NONE;
    for (size_t i = 0; i < n; i++) {
        enum gdb_event e = gdb_rx_byte(r, (uint8_t)s[i]);
        if (e != GDB_EV_NONE)
            last = e;
    }
    return last;
}

static struct gdb_rx rx;

static void framing_good(void)
{
    gdb_rx_reset(&rx);
    CHECK_EQ(feed(&rx, "$g#67", 5), GDB_EV_PACKET);
    CHECK_STR(rx.buf, "g");
    char framed[64];
    uint32_t n = gdb_frame("qSupported:swbreak+", 19, framed, sizeof(framed));
    CHECK_EQ(n, 23u);
    CHECK_EQ(feed(&rx, framed, n), GDB_EV_PACKET);
    CHECK_STR(rx.buf, "qSupported:swbreak+");
    CHECK_EQ(feed(&rx, "+", 1), GDB_EV_ACK);
    CHECK_EQ(feed(&rx, "-", 1), GDB_EV_NAK);
    CHECK_EQ(feed(&rx, "\x03", 1), GDB_EV_BREAK);
    CHECK_EQ(feed(&rx, "$m10000,4#BE", 12), GDB_EV_PACKET);      /* upper-case checksum */
    char out[16];
    CHECK_EQ(gdb_frame("g", 1, out, sizeof(out)), 5u);
    CHECK(memcmp(out, "$g#67", 5) == 0);
    CHECK_EQ(gdb_frame("g", 1, out, 4), 0u);                    /* does not fit */
}

static void framing_hostile(void)
{
    gdb_rx_reset(&rx);
    CHECK_EQ(feed(&rx, "$g#00", 5), GDB_EV_BAD_CHECKSUM);
    CHECK_EQ(feed(&rx, "$g#6", 4), GDB_EV_NONE);
    CHECK_EQ(feed(&rx, "z", 1), GDB_EV_BAD_CHECKSUM);           /* not a hex digit */
    CHECK_EQ(feed(&rx, "$g#x7", 5), GDB_EV_BAD_CHECKSUM);
    /* noise between packets is ignored; a '$' inside restarts */
    CHECK_EQ(feed(&rx, "garbage\xff\x00$abc$g#67", 18), GDB_EV_PACKET);
    CHECK_STR(rx.buf, "g");
    /* oversized with a right checksum: refused as too long, buffer intact */
    size_t n = 100000;
    char *big = malloc(n + 5);
    big[0] = '$';
    uint8_t sum = 0;
    for (size_t i = 1; i <= n; i++) {
        big[i] = 'A';
        sum = (uint8_t)(sum + 'A');
    }
    snprintf(big + n + 1, 4, "#%02x", sum);
    CHECK_EQ(feed(&rx, big, n + 4), GDB_EV_TOO_LONG);
    CHECK(rx.len <= GDB_PACKET_MAX);
    big[n + 2] = big[n + 2] == '0' ? '1' : '0';
    CHECK_EQ(feed(&rx, big, n + 4), GDB_EV_BAD_CHECKSUM);
    free(big);
    /* an endless packet stays bounded, and the next one still works */
    for (int i = 0; i < 20000; i++)
        gdb_rx_byte(&rx, (uint8_t)(i * 7));
    CHECK(rx.len <= GDB_PACKET_MAX);
    CHECK_EQ(feed(&rx, "$g#67", 5), GDB_EV_PACKET);
    /* random bytes: never out of bounds (the sanitizers watch) */
    srand(1);
    for (int i = 0; i < 200000; i++) {
        uint8_t c = (uint8_t)rand();
        if (gdb_rx_byte(&rx, c) == GDB_EV_PACKET)
            CHECK(rx.len <= GDB_PACKET_MAX && rx.buf[rx.len] == 0);
    }
}

static void hex_numbers(void)
{
    const char *p = "ffffffff,10";
    uint32_t a, l;
    CHECK(gdb_parse_addr_len(&p, &a, &l));
    CHECK_EQ(a, 0xFFFFFFFFu);
    CHECK_EQ(l, 0x10u);
    CHECK_EQ(*p, 0);
    p = "123456789,1";              /* nine digits: more than 32 bits */
    CHECK(!gdb_parse_addr_len(&p, &a, &l));
    p = "000000001,1";              /* even as leading zeros: refused */
    CHECK(!gdb_parse_addr_len(&p, &a, &l));
    p = ",1";
    CHECK(!gdb_parse_addr_len(&p, &a, &l));
    p = "10";
    CHECK(!gdb_parse_addr_len(&p, &a, &l));
    uint32_t v;
    CHECK(gdb_get_u32le("78563412", &v));
    CHECK_EQ(v, 0x12345678u);
    CHECK(!gdb_get_u32le("7856341g", &v));
    char out[9] = { 0 };
    gdb_put_u32le(out, 0xC0100000u);
    CHECK_STR(out, "000010c0");
}

static void commands(void)
{
    for (int i = 0; i < GDB_NREGS; i++)
        regs[i] = 0x11111111u * (uint32_t)i;
    CHECK_EQ(cmd("g"), GDB_REPLY);
    CHECK_EQ(reply_len, 128u);
    CHECK(memcmp(reply, "0000000011111111", 16) == 0);
    char G[130] = "G";
    memcpy(G + 1, reply, 128);
    memcpy(G + 1, "efbeadde", 8);   /* eax = 0xdeadbeef */
    CHECK_EQ(cmd(G), GDB_REPLY);
    CHECK_STR(reply, "OK");
    CHECK_EQ(regs[GDB_EAX], 0xDEADBEEFu);
    memcpy(G + 1 + 8 * GDB_CS, "ffffffff", 8);
    cmd(G);
    CHECK_STR(reply, "E16");        /* the target refused it */

    mem[0] = 0x55;
    mem[1] = 0x89;
    CHECK_EQ(cmd("m10000,2"), GDB_REPLY);
    CHECK_STR(reply, "5589");
    CHECK_EQ(cmd("M10002,3:cc0102"), GDB_REPLY);
    CHECK_STR(reply, "OK");
    CHECK_EQ(mem[2], 0xCC);
    CHECK_EQ(mem[4], 0x02);
    cmd("m1fffe,8");                /* runs off the end: the readable part */
    CHECK_EQ(reply_len, 4u);
    cmd("m0,4");
    CHECK_STR(reply, "E0e");
    cmd("m10000,ffffffff");         /* capped to one packet */
    CHECK_EQ(reply_len, 2u * GDB_MEM_MAX);
    cmd("m10000,0");
    CHECK_STR(reply, "");

    CHECK_EQ(cmd("Z0,10010,1"), GDB_REPLY);
    CHECK_STR(reply, "OK");
    CHECK(bp_inserted && bp_va == 0x10010);
    cmd("z0,10010,1");
    CHECK(!bp_inserted);
    cmd("Z0,5,1");
    CHECK_STR(reply, "E0e");
    cmd("Z1,10010,1");
    CHECK_STR(reply, "");           /* hardware breakpoints: unsupported */

    CHECK_EQ(cmd("c"), GDB_CONTINUE);
    CHECK(!has_addr);
    CHECK_EQ(cmd("sc0100000"), GDB_STEP);
    CHECK(has_addr && addr == 0xC0100000u);
    CHECK_EQ(cmd("?"), GDB_STATUS);
    CHECK_EQ(cmd("D"), GDB_DETACH);
    CHECK_STR(reply, "OK");
    CHECK_EQ(cmd("k"), GDB_NO_REPLY);
    cmd("qSupported:multiprocess+;swbreak+");
    CHECK_CONTAINS(reply, "PacketSize=1000");
    CHECK_CONTAINS(reply, "swbreak+");
    cmd("qAttached");
    CHECK_STR(reply, "1");
    cmd("Hg0");
    CHECK_STR(reply, "OK");
    cmd("vMustReplyEmpty");
    CHECK_STR(reply, "");
    cmd("X10000,1:a");              /* binary writes: unsupported, gdb uses M */
    CHECK_STR(reply, "");
}

/* Each refused before the target is called. */
static void commands_hostile(void)
{
    static const char *const bad[] = {
        "gx", "G", "G0011", "m", "m10000", "m10000,", "m,4", "m10000,4x", "m123456789,4",
        "M10000,2:cc", "M10000,2:cc0102", "M10000,2:zz00", "M10000,2", "M10000,ffffffff:00",
        "Z0", "Z0,", "Z0,10000", "Z0,10000,2", "Z0,10000,1x", "z0,10000,1,", "cx", "s10000z",
        "c123456789",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        calls = 0;
        enum gdb_action a = cmd(bad[i]);
        if (a != GDB_REPLY || strcmp(reply, "E01") != 0 || calls != 0) {
            char why[160];
            snprintf(why, sizeof(why), " (packet '%.20s': action %d reply '%.20s' calls %d)", bad[i], a,
                     reply, calls);
            check_fail(__FILE__, __LINE__, "refused", why);
        }
    }
    /* a NUL inside a packet */
    calls = 0;
    CHECK_EQ(gdb_command(&target, "m1\0,4", 5, reply, &reply_len, &has_addr, &addr), GDB_REPLY);
    CHECK_STR(reply, "E01");
    CHECK_EQ(calls, 0);
    /* an empty packet: the empty reply */
    CHECK_EQ(gdb_command(&target, "", 0, reply, &reply_len, &has_addr, &addr), GDB_REPLY);
    CHECK_EQ(reply_len, 0u);
    /* random printable packets: any reply fits, nothing crashes */
    srand(2);
    char pkt[64];
    for (int i = 0; i < 100000; i++) {
        size_t n = 1 + (size_t)rand() % 40;
        for (size_t j = 0; j < n; j++)
            pkt[j] = "gGmMzZcs?D,:0123456789abcdefxX;"[rand() % 31];
        pkt[n] = 0;
        cmd(pkt);
        CHECK(reply_len <= GDB_PACKET_MAX && strlen(reply) == reply_len);
    }
}

int main(void)
{
    RUN(framing_good);
    RUN(framing_hostile);
    RUN(hex_numbers);
    RUN(commands);
    RUN(commands_hostile);
    return CHECK_EXIT_STATUS();
}
