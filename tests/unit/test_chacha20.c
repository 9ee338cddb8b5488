/* sources: kernel/chacha20.c */
/* The DRBG's block function against RFC 8439's test vector (2.3.2) and
 * the all-zero key stream of its appendix A.1; a changed counter or nonce
 * changes every block. */
#include <stdint.h>
#include "kernel/chacha20.h"
#include "tests/unit/check.h"

static void rfc8439_block(void)
{
    uint32_t key[8], nonce[3] = { 0x09000000, 0x4a000000, 0 };
    for (int i = 0; i < 8; i++)
        key[i] = (uint32_t)(4 * i) | (uint32_t)(4 * i + 1) << 8 | (uint32_t)(4 * i + 2) << 16 |
                 (uint32_t)(4 * i + 3) << 24;
    static const uint8_t want[64] = {
        0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4,
        0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22, 0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e,
        0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa, 0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2,
        0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e,
    };
    uint8_t out[64];
    chacha20_block(key, 1, nonce, out);
    CHECK(memcmp(out, want, 64) == 0);
}

static void zero_key_stream(void)
{
    uint32_t key[8] = { 0 }, nonce[3] = { 0 };
    static const uint8_t want[16] = { 0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90,
                                      0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd, 0x28 };
    uint8_t out[64];
    chacha20_block(key, 0, nonce, out);
    CHECK(memcmp(out, want, 16) == 0);
}

static void inputs_matter(void)
{
    uint32_t key[8] = { 1 }, nonce[3] = { 0 };
    uint8_t a[64], b[64], c[64];
    chacha20_block(key, 0, nonce, a);
    chacha20_block(key, 1, nonce, b);
    nonce[2] = 1;
    chacha20_block(key, 0, nonce, c);
    CHECK(memcmp(a, b, 64) != 0);
    CHECK(memcmp(a, c, 64) != 0);
    CHECK(memcmp(b, c, 64) != 0);
}

int main(void)
{
    RUN(rfc8439_block);
    RUN(zero_key_stream);
    RUN(inputs_matter);
    return CHECK_EXIT_STATUS();
}
