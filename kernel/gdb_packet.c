/* GDB remote protocol framing and hex: see gdb_packet.h. */
#include "kernel/gdb_packet.h"

void gdb_rx_reset(struct gdb_rx *r)
{
    r->state = GDB_RX_IDLE;
    r->sum = 0;
    r->csum_hi = 0;
    r->overflow = false;
    r->len = 0;
    r->buf[0] = 0;
}

static void start_packet(struct gdb_rx *r)
{
    gdb_rx_reset(r);
    r->state = GDB_RX_DATA;
}

enum gdb_event gdb_rx_byte(struct gdb_rx *r, uint8_t c)
{
    switch (r->state) {
    case GDB_RX_IDLE:
        if (c == '$')
            start_packet(r);
        else if (c == '+')
            return GDB_EV_ACK;
        else if (c == '-')
            return GDB_EV_NAK;
        else if (c == 0x03)
            return GDB_EV_BREAK;
        return GDB_EV_NONE;            /* anything else between packets is noise */
    case GDB_RX_DATA:
        if (c == '$') {                /* gdb gave up on the last one: start over */
            start_packet(r);
        } else if (c == '#') {
            r->state = GDB_RX_CSUM1;
        } else {
            r->sum = (uint8_t)(r->sum + c);
            if (r->len < GDB_PACKET_MAX)
                r->buf[r->len++] = (char)c;
            else
                r->overflow = true;    /* keep counting the checksum, drop the bytes */
        }
        return GDB_EV_NONE;
    case GDB_RX_CSUM1:
        if (gdb_hex_digit((char)c) < 0) {
            r->state = GDB_RX_IDLE;
            return GDB_EV_BAD_CHECKSUM;
        }
        r->csum_hi = (uint8_t)gdb_hex_digit((char)c);
        r->state = GDB_RX_CSUM2;
        return GDB_EV_NONE;
    case GDB_RX_CSUM2: {
        int lo = gdb_hex_digit((char)c);
        r->state = GDB_RX_IDLE;
        r->buf[r->len] = 0;
        if (lo < 0 || (uint8_t)(r->csum_hi << 4 | lo) != r->sum)
            return GDB_EV_BAD_CHECKSUM;
        return r->overflow ? GDB_EV_TOO_LONG : GDB_EV_PACKET;
    }
    }
    gdb_rx_reset(r);
    return GDB_EV_NONE;
}

int gdb_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool gdb_parse_hex(const char **p, uint32_t *value)
{
    const char *s = *p;
    uint32_t v = 0, n = 0;
    for (; gdb_hex_digit(*s) >= 0; s++, n++) {
        if (n == 8)
            return false;
        v = v << 4 | (uint32_t)gdb_hex_digit(*s);
    }
    if (!n)
        return false;
    *value = v;
    *p = s;
    return true;
}

bool gdb_parse_addr_len(const char **p, uint32_t *addr, uint32_t *len)
{
    const char *s = *p;
    if (!gdb_parse_hex(&s, addr) || *s++ != ',' || !gdb_parse_hex(&s, len))
        return false;
    *p = s;
    return true;
}

static const char hexchars[] = "0123456789abcdef";

void gdb_hex_encode(const uint8_t *in, uint32_t n, char *out)
{
    for (uint32_t i = 0; i < n; i++) {
        out[2 * i] = hexchars[in[i] >> 4];
        out[2 * i + 1] = hexchars[in[i] & 15];
    }
}

bool gdb_hex_decode(const char *in, uint32_t n, uint8_t *out)
{
    for (uint32_t i = 0; i < n; i++) {
        int hi = gdb_hex_digit(in[2 * i]), lo = hi < 0 ? -1 : gdb_hex_digit(in[2 * i + 1]);
        if (lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void gdb_put_u32le(char *out, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    gdb_hex_encode(b, 4, out);
}

bool gdb_get_u32le(const char *in, uint32_t *v)
{
    uint8_t b[4];
    if (!gdb_hex_decode(in, 4, b))
        return false;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

uint32_t gdb_frame(const char *data, uint32_t len, char *out, uint32_t cap)
{
    if (len > GDB_PACKET_MAX || cap < len + 4)
        return 0;
    uint8_t sum = 0;
    out[0] = '$';
    for (uint32_t i = 0; i < len; i++) {
        out[1 + i] = data[i];
        sum = (uint8_t)(sum + (uint8_t)data[i]);
    }
    out[len + 1] = '#';
    out[len + 2] = hexchars[sum >> 4];
    out[len + 3] = hexchars[sum & 15];
    return len + 4;
}
