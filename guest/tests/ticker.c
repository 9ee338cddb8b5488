/* test=ticker [loops=N]: a slow, steady heartbeat for the monitor's
 * pause and the gdb stub. Every 10 ms tick calls ticker_step, which the
 * gdb tests break on, and every 20 ticks prints "ticker N", so a test can
 * see the guest advance, stop while paused and resume where it was.
 * Runs forever unless loops= says how many ticks. */
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/timer.h"

#define TICK_NS 10000000u
#define PRINT_EVERY 20u

volatile u32 ticker_count;      /* the gdb tests read and write it */

/* A function of its own for gdb to break on: kept out of line. */
__attribute__((noinline)) void ticker_step(u32 n)
{
    ticker_count = n;
    __asm__ volatile("" ::: "memory");
}

void test_ticker(void)
{
    u32 loops = opts.loops ? opts.loops : 0xFFFFFFFFu;
    timer_tick_start(TICK_NS);
    for (u32 i = 0; i < loops; i++) {
        timer_halt_wait(timer_irqs);
        ticker_step(ticker_count + 1);
        if (ticker_count % PRINT_EVERY == 0)
            printf("ticker %u\n", (unsigned)ticker_count);
    }
    timer_tick_stop();
    pass("ticker/ran");
}
