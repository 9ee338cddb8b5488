/* The 8254 PIT: the reference the TSC is calibrated against, and the
 * fallback timer when there is no local APIC. */
#include "arch/x86/pit.h"
#include "arch/x86/x86.h"

#define CH0 0x40
#define CH2 0x42
#define MODE 0x43
#define GATE 0x61

uint64_t pit_measure_tsc(uint32_t ms)
{
    uint32_t count = PIT_HZ * ms / 1000;
    outb(GATE, (inb(GATE) & ~0x02) | 0x01);     /* gate on, speaker off */
    outb(MODE, 0xB0);                           /* channel 2, lo/hi, mode 0 */
    outb(CH2, count & 0xFF);
    outb(CH2, count >> 8);
    uint64_t t0 = rdtsc(), t1 = t0;
    /* output goes high at terminal count; give up after ~4 billion cycles */
    while (!(inb(GATE) & 0x20)) {
        t1 = rdtsc();
        if (t1 - t0 > 0xFFFFFFFFull)
            return 0;
    }
    t1 = rdtsc();
    return (t1 - t0) / ms;
}

void pit_oneshot(uint64_t ns)
{
    uint64_t ticks = ns * PIT_HZ / 1000000000ull;
    if (ticks < 2) ticks = 2;
    if (ticks > 0xFFFF) ticks = 0xFFFF;
    outb(MODE, 0x30);                           /* channel 0, lo/hi, mode 0 */
    outb(CH0, ticks & 0xFF);
    outb(CH0, (ticks >> 8) & 0xFF);
}
