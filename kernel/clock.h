#ifndef KERNEL_CLOCK_H
#define KERNEL_CLOCK_H
#include <stdint.h>

/* Starts the monotonic clock on a TSC of khz kHz (time zero = boot entry). */
void clock_init(uint32_t tsc_khz);
uint32_t clock_tsc_khz(void);
/* Nanoseconds since the hypervisor was entered; 0 until calibrated. */
uint64_t clock_ns(void);
uint64_t tsc_to_ns(uint64_t cycles);
uint64_t ns_to_tsc(uint64_t ns);

/* Wall-clock time: set once from the RTC, then advanced by the monotonic
 * clock so it never goes backwards. */
void clock_set_wall(uint64_t epoch_seconds_at_now);
uint64_t clock_wall_ns(void);

#endif
