/* Random bytes for guests (virtio-rng): from the CPU's RDSEED/RDRAND where
 * it has them, otherwise from a ChaCha20 DRBG seeded at boot and stirred
 * with the arrival times of host interrupts. */
#ifndef KERNEL_ENTROPY_H
#define KERNEL_ENTROPY_H
#include <stdint.h>

void entropy_init(void);
/* A sample of unpredictable timing (a TSC read at an interrupt). Cheap
 * and lock-free: a lost race loses only the sample. */
void entropy_mix(uint64_t sample);
void entropy_fill(void *buf, uint32_t len);
/* "RDSEED", "RDRAND" or "ChaCha20 DRBG", for the boot log and the monitor. */
const char *entropy_source(void);

#endif
