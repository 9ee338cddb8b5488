/* The GDB remote serial protocol's framing, pure logic: "$data#cs" packets
 * with a modulo-256 checksum, the '+'/'-' acknowledgements and the 0x03
 * break byte, plus the hex helpers every command needs. Everything here
 * reads bytes from the gdb port, which anyone at the other end of the wire
 * controls: every length is bounded, every number checked for overflow. */
#ifndef KERNEL_GDB_PACKET_H
#define KERNEL_GDB_PACKET_H
#include <stdbool.h>
#include <stdint.h>

#define GDB_PACKET_MAX 4096u        /* data bytes of one packet, either way (qSupported says so) */

enum gdb_event {
    GDB_EV_NONE,                    /* byte taken, nothing complete yet (or noise between packets) */
    GDB_EV_PACKET,                  /* a packet with a good checksum: buf[0..len), NUL-terminated */
    GDB_EV_BAD_CHECKSUM,            /* to be answered '-', so gdb sends it again */
    GDB_EV_TOO_LONG,                /* good checksum but longer than GDB_PACKET_MAX: refused */
    GDB_EV_ACK,                     /* '+' */
    GDB_EV_NAK,                     /* '-': send the last reply again */
    GDB_EV_BREAK,                   /* 0x03 outside a packet: stop the guest */
};

struct gdb_rx {
    enum { GDB_RX_IDLE, GDB_RX_DATA, GDB_RX_CSUM1, GDB_RX_CSUM2 } state;
    uint8_t sum;                    /* of every data byte, kept ones or not */
    uint8_t csum_hi;
    bool overflow;
    uint32_t len;
    char buf[GDB_PACKET_MAX + 1];
};

void gdb_rx_reset(struct gdb_rx *r);
/* Feeds one byte from the wire; says what it completed. */
enum gdb_event gdb_rx_byte(struct gdb_rx *r, uint8_t c);

/* 0-15, or -1 for anything that is not a hex digit. */
int gdb_hex_digit(char c);
/* A hex number of 1-8 digits at *p (leading zeros beyond 8 digits are
 * refused too: nothing longer is a 32-bit value); *p moves past it. */
bool gdb_parse_hex(const char **p, uint32_t *value);
/* "ADDR,LEN" at *p; *p moves past it. */
bool gdb_parse_addr_len(const char **p, uint32_t *addr, uint32_t *len);
/* n bytes as 2n lowercase hex digits (no NUL). */
void gdb_hex_encode(const uint8_t *in, uint32_t n, char *out);
/* 2n hex digits into n bytes; false at the first non-hex character. */
bool gdb_hex_decode(const char *in, uint32_t n, uint8_t *out);
/* A 32-bit value in target (little-endian) byte order: 8 digits. */
void gdb_put_u32le(char *out, uint32_t v);
bool gdb_get_u32le(const char *in, uint32_t *v);
/* "$data#cs" into out[cap]; its length, or 0 when it does not fit. */
uint32_t gdb_frame(const char *data, uint32_t len, char *out, uint32_t cap);

#endif
