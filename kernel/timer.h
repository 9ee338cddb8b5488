#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H
#include <stdint.h>

/* A one-shot timer event. fn runs from the timer interrupt, with interrupts
 * off, once clock_ns() has passed deadline; it may re-arm its timer. */
struct timer {
    uint64_t deadline;
    void (*fn)(struct timer *t);
    struct timer *next;
    int armed;
    uint32_t cpu;           /* whose list it is on, while armed */
};

enum timer_source { TIMER_AUTO, TIMER_APIC, TIMER_PIT };

/* Chooses the hardware behind the events; returns its name. */
const char *timer_init(enum timer_source want);
/* Arms t on the calling CPU (moving it there if it was armed elsewhere). */
void timer_arm(struct timer *t, uint64_t deadline_ns);
void timer_cancel(struct timer *t);

#endif
