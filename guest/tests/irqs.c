/* test=irqs: the virtual interrupt flag and line masks (lguest-abi.md
 * 4.7, 4.8): held while irq_enabled is 0, irq_pending set, delivered by
 * SEND_INTERRUPTS once enabled; blocked_interrupts; HALT. */
#include "guest/irq.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/timer.h"
#include "guest/x86.h"

void test_irqs(void)
{
    /* Held back while disabled, announced in irq_pending. */
    irq_disable();
    u32 n = timer_irqs;
    timer_set(200000);
    spin_us(3000);
    /* on a busy host the exit that raises the tick can come late: wait
     * for the host to say it is pending (bounded), not for a fixed time */
    for (unsigned i = 0; i < 2000 && !(lguest_data.irq_pending & EFLAGS_IF); i++)
        spin_us(1000);
    u32 held = timer_irqs - n, pending = lguest_data.irq_pending;
    check(held == 0, "irqs/held-while-disabled", "%u interrupts delivered with irq_enabled = 0", (unsigned)held);
    check(pending & EFLAGS_IF, "irqs/pending-flag", "irq_pending 0x%x after the deadline (waited up to 2 s)",
          (unsigned)pending);
    /* irq_enable sees irq_pending and makes the SEND_INTERRUPTS exit. */
    irq_enable();
    u32 got = timer_irqs - n;
    check(got == 1, "irqs/delivered-on-enable", "%u interrupts right after re-enabling (want 1)", (unsigned)got);

    /* A blocked line is not delivered even with interrupts on; unblocked
     * it comes at the next exit. */
    irq_block(0);
    n = timer_irqs;
    timer_set(200000);
    spin_us(3000);
    held = timer_irqs - n;
    irq_unblock(0);
    hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0);
    /* if the tick was not raised yet (a busy host), it comes at an exit
     * soon: bounded wait, each spin step a chance */
    for (unsigned i = 0; i < 2000 && timer_irqs == n; i++)
        spin_us(1000);
    got = timer_irqs - n;
    check(held == 0 && got == 1, "irqs/blocked-line", "%u interrupts while blocked, %u after unblocking (want 0, 1)",
          (unsigned)held, (unsigned)got);

    /* HALT with an unblocked interrupt already pending returns at once,
     * the interrupt delivered and interrupts on ("sti; hlt"). A slow
     * return may be a busy host not running the emulator: tried again,
     * twice at most, as below. */
    u64 t0;
    u32 us;
    int on;
    for (int tries = 0; tries < 3; tries++) {
        irq_disable();
        n = timer_irqs;
        timer_set(100000);
        spin_us(2000);
        t0 = rdtsc();
        halt();
        us = cycles_to_us(rdtsc() - t0);
        got = timer_irqs - n;
        on = irqs_enabled();
        irq_enable();
        if (got != 1 || !on || us < 1000)
            break;
    }
    check(got == 1 && on && us < 1000, "irqs/halt-pending-returns",
          "HALT took %u us, %u interrupts, irq_enabled 0x%x after it", (unsigned)us, (unsigned)got,
          (unsigned)lguest_data.irq_enabled);

    /* HALT sleeps until the timer. Waking early is a bug; waking late may
     * only mean the emulator was not scheduled, so it is tried again too:
     * a real lateness repeats. */
    for (int tries = 0; tries < 3; tries++) {
        irq_disable();
        n = timer_irqs;
        t0 = rdtsc();
        timer_set(5000000);
        halt();
        us = cycles_to_us(rdtsc() - t0);
        got = timer_irqs - n;
        on = irqs_enabled();
        irq_enable();
        printf("irqs: HALT with a 5 ms timer slept %u us\n", (unsigned)us);
        if (got != 1 || !on || us < 5000 + 20000)
            break;
    }
    check(got == 1 && on && us >= 4999 && us < 5000 + 20000, "irqs/halt-sleeps",
          "slept %u us for a 5 ms timer, %u interrupts, interrupts on %d", (unsigned)us, (unsigned)got, on);

    /* A tick re-armed from its own handler: about one per millisecond,
     * never more than the time allows. */
    n = timer_irqs;
    t0 = rdtsc();
    timer_tick_start(1000000);
    spin_us(50000);
    timer_tick_stop();
    u32 elapsed = cycles_to_us(rdtsc() - t0);
    got = timer_irqs - n;
    printf("irqs: %u ticks of 1 ms in %u us\n", (unsigned)got, (unsigned)elapsed);
    check(got >= 10 && got <= elapsed / 1000 + 1, "irqs/periodic-rearm", "%u ticks in %u us",
          (unsigned)got, (unsigned)elapsed);
}
