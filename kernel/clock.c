/* The monotonic clock: the TSC scaled to nanoseconds with a fixed-point
 * multiplier (ns = cycles * mult >> 24), so reading it costs no division. */
#include "kernel/clock.h"
#include "kernel/image.h"
#include "arch/x86/x86.h"

#define SHIFT 24
static uint32_t khz;
static uint32_t mult;           /* (10^6 << SHIFT) / khz */

void clock_init(uint32_t tsc_khz)
{
    khz = tsc_khz;
    mult = (uint32_t)((1000000ull << SHIFT) / tsc_khz);
}

uint32_t clock_tsc_khz(void) { return khz; }

uint64_t tsc_to_ns(uint64_t cycles)
{
    uint64_t lo = (uint64_t)(uint32_t)cycles * mult;
    uint64_t hi = (uint64_t)(uint32_t)(cycles >> 32) * mult;
    return (hi << (32 - SHIFT)) + (lo >> SHIFT);
}

uint64_t ns_to_tsc(uint64_t ns)
{
    return ns * khz / 1000000;
}

uint64_t clock_ns(void)
{
    if (!mult)
        return 0;
    return tsc_to_ns(rdtsc() - boot_tsc);
}

static uint64_t wall_base_ns;

void clock_set_wall(uint64_t epoch_seconds_at_now)
{
    wall_base_ns = epoch_seconds_at_now * 1000000000ull - clock_ns();
}

uint64_t clock_wall_ns(void)
{
    return wall_base_ns + clock_ns();
}
