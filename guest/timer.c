#include "guest/hcall.h"
#include "guest/irq.h"
#include "guest/timer.h"
#include "guest/trap.h"
#include "guest/user.h"
#include "guest/x86.h"

volatile u32 timer_irqs, timer_irq_enabled, timer_irq_eflags, timer_ticks;
volatile u64 timer_irq_tsc;
static volatile u32 tick_ns;

void timer_init(void)
{
    /* Nothing is armed yet, so unblocking cannot bring a stray IRQ. */
    irq_unblock(0);
}

void timer_set(u32 ns) { hcall(LHCALL_SET_CLOCKEVENT, ns, 0, 0); }
void timer_set_queued(u32 ns) { hcall_async(LHCALL_SET_CLOCKEVENT, ns, 0, 0); }

void timer_tick_start(u32 ns)
{
    tick_ns = ns;
    timer_set(ns);
}

void timer_tick_stop(void)
{
    tick_ns = 0;
    timer_set(0);
}

void timer_interrupt(u64 tsc, u32 irq_enabled, struct trap_frame *f)
{
    timer_irq_tsc = tsc;
    timer_irq_enabled = irq_enabled;
    timer_irq_eflags = f->eflags;
    timer_irqs++;
    if (tick_ns) {
        timer_ticks++;
        timer_set(tick_ns);
        need_resched = 1;
    }
}

int timer_spin_wait(u32 old, u32 max_us)
{
    u64 end = rdtsc() + us_to_cycles(max_us);
    while (timer_irqs == old)
        if (rdtsc() > end)
            return 0;
    return 1;
}

void timer_halt_wait(u32 old)
{
    irq_disable();
    while (timer_irqs == old) {
        halt();         /* returns with interrupts on, after the handler */
        irq_disable();
    }
    irq_enable();
}
