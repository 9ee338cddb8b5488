/* The ChaCha20 block function (RFC 8439 section 2.3): the core of the
 * entropy DRBG. Pure logic. */
#ifndef KERNEL_CHACHA20_H
#define KERNEL_CHACHA20_H
#include <stdint.h>

/* out = ChaCha20(key, counter, nonce): 64 bytes of key stream. */
void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64]);

#endif
