/* Scheduling across CPUs: placement and wake-ups (the loop itself is
 * sched_loop, declared with the guests). */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H
#include <stdint.h>

struct guest;

/* Interrupts for the wake-up IPI. */
void sched_init(void);
/* Wakes a CPU (out of hlt, or out of the guest it runs) so it looks at its
 * guests again; nothing when cpu is the caller's. */
void sched_kick(uint32_t cpu);
void guest_kick(struct guest *g);
/* A halted guest has an interrupt: the wake-up boost. Its CPU leaves the
 * guest it runs at the next exit and runs this one first. */
void sched_wake(struct guest *g);
/* The CPU with the fewest running guests, for a new one. */
uint32_t sched_least_loaded(void);

#endif
