/* The few instructions the kernel uses directly. Everything privileged
 * goes through hypercalls instead (a CPL-1 guest cannot execute it). */
#ifndef GUEST_X86_H
#define GUEST_X86_H
#include "guest/layout.h"

static inline u64 rdtsc(void)
{
    u32 lo, hi;
    /* lfence: do not let the read move before earlier loads (SSE2, which
     * every CPU with FXSR/SSE2 that the host requires has). */
    __asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return (u64)hi << 32 | lo;
}

static inline void set_fs(u32 sel) { __asm__ __volatile__("movl %0, %%fs" :: "r"(sel)); }
static inline void set_gs(u32 sel) { __asm__ __volatile__("movl %0, %%gs" :: "r"(sel)); }
static inline u32 get_fs(void) { u32 s; __asm__ __volatile__("movl %%fs, %0" : "=r"(s)); return s & 0xFFFF; }
static inline u32 get_gs(void) { u32 s; __asm__ __volatile__("movl %%gs, %0" : "=r"(s)); return s & 0xFFFF; }
static inline u32 get_cs(void) { u32 s; __asm__ __volatile__("movl %%cs, %0" : "=r"(s)); return s & 0xFFFF; }
static inline u32 get_ss(void) { u32 s; __asm__ __volatile__("movl %%ss, %0" : "=r"(s)); return s & 0xFFFF; }
static inline u32 get_eflags(void) { u32 f; __asm__ __volatile__("pushfl; popl %0" : "=r"(f)); return f; }

static inline u32 fs_read32(u32 off)
{
    u32 v;
    __asm__ __volatile__("movl %%fs:(%1), %0" : "=r"(v) : "r"(off) : "memory");
    return v;
}

static inline u32 gs_read32(u32 off)
{
    u32 v;
    __asm__ __volatile__("movl %%gs:(%1), %0" : "=r"(v) : "r"(off) : "memory");
    return v;
}

/* Cycles -> microseconds / nanoseconds at the host's TSC rate. */
u32 cycles_to_us(u64 cycles);
u64 ns_to_cycles(u64 ns);
u64 us_to_cycles(u64 us);
/* Busy-waits (interrupts as they are) for us microseconds. */
void spin_us(u32 us);

#endif
