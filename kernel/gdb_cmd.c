/* GDB remote protocol commands: see gdb_cmd.h. Errors follow gdbserver's
 * habit of errno-like numbers: E01 a malformed packet, E0e (EFAULT) memory
 * that cannot be reached, E16 (EINVAL) a value refused. */
#include <stdio.h>
#include <string.h>
#include "kernel/gdb_cmd.h"

static uint32_t put_str(char *reply, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    memcpy(reply, s, n + 1);
    return n;
}

#define MALFORMED "E01"
#define FAULT "E0e"
#define REFUSED "E16"

static uint32_t read_regs(const struct gdb_target *t, char *reply)
{
    uint32_t regs[GDB_NREGS];
    t->get_regs(t->ctx, regs);
    for (uint32_t i = 0; i < GDB_NREGS; i++)
        gdb_put_u32le(reply + 8 * i, regs[i]);
    reply[8 * GDB_NREGS] = 0;
    return 8 * GDB_NREGS;
}

static uint32_t write_regs(const struct gdb_target *t, const char *hex, uint32_t n, char *reply)
{
    uint32_t regs[GDB_NREGS];
    if (n != 8 * GDB_NREGS)
        return put_str(reply, MALFORMED);
    for (uint32_t i = 0; i < GDB_NREGS; i++)
        if (!gdb_get_u32le(hex + 8 * i, &regs[i]))
            return put_str(reply, MALFORMED);
    return put_str(reply, t->set_regs(t->ctx, regs) ? REFUSED : "OK");
}

static uint32_t read_mem(const struct gdb_target *t, const char *args, char *reply)
{
    static uint8_t buf[GDB_MEM_MAX];
    uint32_t addr, len;
    if (!gdb_parse_addr_len(&args, &addr, &len) || *args)
        return put_str(reply, MALFORMED);
    if (len > GDB_MEM_MAX)
        len = GDB_MEM_MAX;          /* a short read is allowed: gdb asks for the rest */
    if (!len)
        return put_str(reply, "");
    uint32_t got = t->read_mem(t->ctx, addr, buf, len);
    if (!got)
        return put_str(reply, FAULT);
    gdb_hex_encode(buf, got, reply);
    reply[2 * got] = 0;
    return 2 * got;
}

static uint32_t write_mem(const struct gdb_target *t, const char *args, uint32_t n, char *reply)
{
    static uint8_t buf[GDB_MEM_MAX];
    const char *end = args + n, *p = args;
    uint32_t addr, len;
    if (!gdb_parse_addr_len(&p, &addr, &len) || *p++ != ':')
        return put_str(reply, MALFORMED);
    if (len > GDB_MEM_MAX || (uint32_t)(end - p) != 2 * len || !gdb_hex_decode(p, len, buf))
        return put_str(reply, MALFORMED);
    if (len && !t->write_mem(t->ctx, addr, buf, len))
        return put_str(reply, FAULT);
    return put_str(reply, "OK");
}

/* Z0,ADDR,KIND / z0,ADDR,KIND: software breakpoints only, one byte (int3). */
static uint32_t breakpoint(const struct gdb_target *t, const char *pkt, char *reply)
{
    if (pkt[1] != '0')
        return put_str(reply, "");  /* hardware breakpoints and watchpoints: not supported */
    const char *p = pkt + 2;
    uint32_t addr, kind;
    if (*p++ != ',' || !gdb_parse_addr_len(&p, &addr, &kind))
        return put_str(reply, MALFORMED);
    if (*p == ';')
        return put_str(reply, "");  /* conditions evaluated by the target: not supported */
    if (*p || kind != 1)
        return put_str(reply, MALFORMED);
    return put_str(reply, t->breakpoint(t->ctx, addr, pkt[0] == 'Z') ? "OK" : FAULT);
}

/* c [ADDR] / s [ADDR] */
static enum gdb_action resume(const char *pkt, enum gdb_action what, char *reply,
                              uint32_t *reply_len, bool *has_resume, uint32_t *resume_at)
{
    const char *p = pkt + 1;
    uint32_t addr;
    if (!*p)
        return what;
    if (!gdb_parse_hex(&p, &addr) || *p) {
        *reply_len = put_str(reply, MALFORMED);
        return GDB_REPLY;
    }
    *has_resume = true;
    *resume_at = addr;
    return what;
}

static bool starts(const char *pkt, const char *prefix)
{
    return strncmp(pkt, prefix, strlen(prefix)) == 0;
}

static uint32_t query(const char *pkt, char *reply)
{
    if (starts(pkt, "qSupported")) {
        /* swbreak+: the stop reply says a breakpoint was hit, with EIP
         * already moved back onto it, so gdb need not guess */
        char buf[48];
        snprintf(buf, sizeof(buf), "PacketSize=%x;swbreak+", GDB_PACKET_MAX);
        return put_str(reply, buf);
    }
    if (strcmp(pkt, "qAttached") == 0)
        return put_str(reply, "1");     /* gdb detaches, never kills, when it quits */
    if (strcmp(pkt, "qSymbol::") == 0)
        return put_str(reply, "OK");
    return put_str(reply, "");
}

enum gdb_action gdb_command(const struct gdb_target *t, const char *pkt, uint32_t len,
                            char *reply, uint32_t *reply_len, bool *has_resume, uint32_t *resume_at)
{
    *reply_len = 0;
    reply[0] = 0;
    if (!len || strlen(pkt) != len) {   /* empty, or a NUL inside: nothing we take */
        *reply_len = put_str(reply, len ? MALFORMED : "");
        return GDB_REPLY;
    }
    switch (pkt[0]) {
    case '?':
        return GDB_STATUS;
    case 'g':
        *reply_len = pkt[1] ? put_str(reply, MALFORMED) : read_regs(t, reply);
        return GDB_REPLY;
    case 'G':
        *reply_len = write_regs(t, pkt + 1, len - 1, reply);
        return GDB_REPLY;
    case 'm':
        *reply_len = read_mem(t, pkt + 1, reply);
        return GDB_REPLY;
    case 'M':
        *reply_len = write_mem(t, pkt + 1, len - 1, reply);
        return GDB_REPLY;
    case 'Z':
    case 'z':
        *reply_len = breakpoint(t, pkt, reply);
        return GDB_REPLY;
    case 'c':
        return resume(pkt, GDB_CONTINUE, reply, reply_len, has_resume, resume_at);
    case 's':
        return resume(pkt, GDB_STEP, reply, reply_len, has_resume, resume_at);
    case 'D':
        *reply_len = put_str(reply, "OK");
        return GDB_DETACH;
    case 'k':
        return GDB_NO_REPLY;
    case 'H':
        *reply_len = put_str(reply, "OK");  /* one thread: any choice is it */
        return GDB_REPLY;
    case 'q':
        *reply_len = query(pkt, reply);
        return GDB_REPLY;
    default:
        *reply_len = put_str(reply, "");    /* unsupported, as the protocol says */
        return GDB_REPLY;
    }
}
