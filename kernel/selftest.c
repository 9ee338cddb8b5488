#include "kernel/selftest.h"
#include "drivers/edu.h"
#include "kernel/clock.h"
#include "kernel/log.h"
#include "kernel/conout.h"
#include "kernel/options.h"
#include "kernel/timer.h"

#define TICK_NS 10000000ull

static struct timer tick_timer;
static uint32_t ticks;

static void tick(struct timer *t)
{
    uint64_t now = clock_ns();
    ticks++;
    log_info("selftest: tick %lu at %lu us, deadline %lu us", (unsigned long)ticks,
             (unsigned long)(now / 1000), (unsigned long)(t->deadline / 1000));
    if (ticks < opt.test_ticks)
        timer_arm(t, t->deadline + TICK_NS);
    else
        log_info("selftest: %lu ticks done", (unsigned long)ticks);
}

static void provoke_fault(void)
{
    log_info("selftest: provoking a fault on purpose (test_fault)");
    switch (opt.test_fault) {
    case FAULT_DE:      /* in asm: gcc folds 1/x into x == 1 */
        __asm__ volatile("xorl %%ecx, %%ecx; movl $1, %%eax; xorl %%edx, %%edx; divl %%ecx"
                         ::: "eax", "ecx", "edx");
        break;
    case FAULT_UD:
        __asm__ volatile("ud2");
        break;
    case FAULT_GP:
        __asm__ volatile("movw %w0, %%ds" :: "r"(0x1234));
        break;
    case FAULT_PF:
        /* page 0 is never mapped; the asm keeps the compiler out of it */
        __asm__ volatile("movl $0xdead, (%0)" :: "r"(0x10) : "memory");
        break;
    case FAULT_DF:
        /* a stack in the unmapped top page: the #PF cannot be delivered */
        __asm__ volatile("movl $0xFFFFF000, %%esp; pushl $0" ::: "memory");
        break;
    case FAULT_HANG:
        /* stuck with interrupts off: only a watchdog gets the machine back */
        log_info("selftest: hanging with interrupts off");
        conout_flush();         /* the line must get out before the transmit interrupt stops */
        __asm__ volatile("cli; 1: jmp 1b" ::: "memory");
        break;
    }
}

void selftest_run(void)
{
    if (opt.test_ticks) {
        tick_timer.fn = tick;
        timer_arm(&tick_timer, clock_ns() + TICK_NS);
    }
    if (opt.test_msi)
        edu_selftest();
    if (opt.test_fault)
        provoke_fault();
}
