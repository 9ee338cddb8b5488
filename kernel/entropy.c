/* Entropy: see entropy.h. The DRBG erases its key after every request (the
 * next key is the first half of a fresh block), so bytes already handed to
 * a guest cannot be recomputed from a later state. Callers hold the big
 * lock; only entropy_mix runs without it. */
#include <stdbool.h>
#include <string.h>
#include "kernel/entropy.h"
#include "kernel/chacha20.h"
#include "kernel/log.h"
#include "arch/x86/x86.h"

enum source { SRC_DRBG, SRC_RDRAND, SRC_RDSEED };
static enum source source;
static uint32_t key[8], nonce[3];
static volatile uint64_t stirred;

static bool hw_word(uint32_t *w)
{
    for (int tries = 0; tries < 10; tries++) {
        uint8_t ok;
        if (source == SRC_RDSEED)
            __asm__ volatile("rdseed %0; setc %1" : "=r"(*w), "=qm"(ok));
        else
            __asm__ volatile("rdrand %0; setc %1" : "=r"(*w), "=qm"(ok));
        if (ok)
            return true;
    }
    return false;
}

static void stir(uint64_t sample)
{
    key[0] ^= (uint32_t)sample;
    key[1] ^= (uint32_t)(sample >> 32);
    uint8_t block[64];
    chacha20_block(key, 0, nonce, block);
    memcpy(key, block, sizeof(key));
    memset(block, 0, sizeof(block));
}

void entropy_init(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    uint32_t max_leaf = r[0];
    cpuid(1, 0, r);
    if (r[2] & (1u << 30))
        source = SRC_RDRAND;
    if (max_leaf >= 7) {
        cpuid(7, 0, r);
        if (r[1] & (1u << 18))
            source = SRC_RDSEED;
    }
    /* The DRBG's seed, used also when the instruction fails: the TSC at
     * boot and its jitter over a little work, and the hardware's words. */
    for (int i = 0; i < 32; i++) {
        uint64_t t = rdtsc();
        uint32_t w = 0;
        if (source != SRC_DRBG)
            hw_word(&w);
        stir(t ^ (uint64_t)w << 32 ^ (uint64_t)i << 56);
    }
    nonce[0] = (uint32_t)rdtsc();
    log_info("entropy: %s for guests' virtio-rng", entropy_source());
}

void entropy_mix(uint64_t sample)
{
    uint64_t s = stirred;
    stirred = (s << 7 | s >> 57) ^ sample;
}

static void drbg(uint8_t *out, uint32_t len)
{
    stir(stirred ^ rdtsc());
    uint8_t block[64];
    uint32_t counter = 1;
    for (uint32_t done = 0; done < len; done += sizeof(block)) {
        chacha20_block(key, counter++, nonce, block);
        memcpy(out + done, block, len - done < sizeof(block) ? len - done : sizeof(block));
    }
    chacha20_block(key, counter, nonce, block);     /* the next key; this one is gone */
    memcpy(key, block, sizeof(key));
    memset(block, 0, sizeof(block));
    nonce[1]++;
}

void entropy_fill(void *buf, uint32_t len)
{
    uint8_t *out = buf;
    uint32_t done = 0;
    if (source != SRC_DRBG) {
        uint32_t w;
        for (; done < len && hw_word(&w); done += 4)
            memcpy(out + done, &w, len - done < 4 ? len - done : 4);
    }
    if (done < len)
        drbg(out + done, len - done);
}

const char *entropy_source(void)
{
    static const char *const names[] = { "ChaCha20 DRBG", "RDRAND", "RDSEED" };
    return names[source];
}
