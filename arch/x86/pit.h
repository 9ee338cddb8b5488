#ifndef ARCH_X86_PIT_H
#define ARCH_X86_PIT_H
#include <stdint.h>

#define PIT_HZ 1193182u

/* TSC cycles per millisecond measured over ms milliseconds of PIT channel 2,
 * or 0 if the PIT does not count. */
uint64_t pit_measure_tsc(uint32_t ms);
/* One-shot interrupt on IRQ 0 after ns (clamped to the 16-bit counter). */
void pit_oneshot(uint64_t ns);

#endif
