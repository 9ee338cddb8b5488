/* The guest clock event: LHCALL_SET_CLOCKEVENT(ns) is a one-shot that
 * raises IRQ 0 (vector 0x20) once (lguest-abi.md 7). A periodic tick, when
 * wanted, is the handler re-arming it. */
#ifndef GUEST_TIMER_H
#define GUEST_TIMER_H
#include "guest/layout.h"

struct trap_frame;

extern volatile u32 timer_irqs;         /* IRQ 0 deliveries */
extern volatile u64 timer_irq_tsc;      /* TSC at the last one's handler entry */
extern volatile u32 timer_irq_enabled;  /* lguest_data.irq_enabled then */
extern volatile u32 timer_irq_eflags;   /* the frame's EFLAGS image then */
extern volatile u32 timer_ticks;        /* deliveries while the tick ran */

void timer_init(void);
void timer_set(u32 ns);                 /* 0 cancels */
/* The same, queued: it takes effect at the next hypercall (a halt), which
 * saves a trap when the two go together. */
void timer_set_queued(u32 ns);
/* Re-arm every ns from the handler and ask for a reschedule each time. */
void timer_tick_start(u32 ns);
void timer_tick_stop(void);
void timer_interrupt(u64 tsc, u32 irq_enabled, struct trap_frame *f);

/* Spins with interrupts as they are until timer_irqs != old or max_us
 * passed; 1 if it changed. */
int timer_spin_wait(u32 old, u32 max_us);
/* Sleeps with LHCALL_HALT until timer_irqs != old. */
void timer_halt_wait(u32 old);

#endif
