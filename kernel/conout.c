/* The console's output queue. Once interrupts work, everything printed
 * (log lines, guests' console lines, the monitor's replies) goes into one
 * ring that the UART's transmit-empty interrupt drains, a FIFO load of 16
 * bytes at a time: a slow reader, or a slow line, then costs the machine
 * nothing but the lines it could not take. On average the drain is never
 * faster than the configured baud rate, which is all a real line carries;
 * an emulated UART takes bytes at once, and without that limit a flood
 * would become an interrupt every 16 bytes, paid for by whichever guest
 * runs. Up to BURST bytes may go ahead of the line's pace, so that a
 * UART that can take them (an emulated one) shows a burst of lines at
 * once rather than in 16-byte pieces.
 *
 * A unit (one line, or the start of one) is queued whole or not at all.
 * When the ring is full, units are dropped and their lines counted, and
 * "[... N lines dropped]" goes out first once there is room again, so the
 * terminal never shows a cut line and never hides that something is
 * missing. Log and guest output may fill only ASYNC_LIMIT of the ring; the
 * rest is kept for the operator's replies, so a flood never swallows what
 * was asked for.
 *
 * Before interrupts are set up (the boot log) and after a fault
 * (console_sync), output is written directly, polled, as a fault report
 * cannot wait for an interrupt. */
#include <stdio.h>
#include "kernel/conout.h"
#include "drivers/uart.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/lock.h"
#include "kernel/timer.h"

#define RING_SIZE   (64u * 1024)
#define ASYNC_LIMIT (24u * 1024)
#define BURST       4096u           /* bytes the drain may be ahead of the line */

static char ring[RING_SIZE];
static uint32_t head, tail;         /* free-running: fill = head - tail */
static struct spinlock lock;        /* the ring, taken with interrupts off */
static bool queued;                 /* false: direct, polled output */
static bool use_irq;                /* the transmit interrupt drains; else the pace timer */
static bool last_nl = true;         /* the last byte queued ended a line */
static uint32_t dropped;            /* lines dropped since the last notice */
static uint64_t dropped_total;
static uint64_t char_ns;            /* one character (10 bits) at the baud rate */
static uint64_t line_done;          /* when a line at the baud rate would have sent it all */
static struct timer pace;

static uint32_t eflags_cli(void)
{
    uint32_t f = read_eflags();
    cli();
    return f;
}

static void eflags_restore(uint32_t f)
{
    if (f & EFLAGS_IF)
        sti();
}

static void push(const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        ring[head++ % RING_SIZE] = s[i];
    last_nl = s[n - 1] == '\n';
}

/* The notice of what was dropped, if there is one and room for it and
 * `more` bytes after it; false when it must wait. */
static bool notice(uint32_t more, uint32_t limit)
{
    if (!dropped)
        return true;
    char msg[64];
    int m = snprintf(msg, sizeof(msg), "%s[... %lu lines dropped]\r\n", last_nl ? "" : "\r\n",
                     (unsigned long)dropped);
    if (head - tail + (uint32_t)m + more > limit)
        return false;
    push(msg, (uint32_t)m);
    dropped = 0;
    return true;
}

/* One FIFO load, if the drain is not too far ahead of the line's pace. A
 * transmit interrupt that comes early (an emulated UART sends at once)
 * then leaves the next load to the pace timer; without the interrupt the
 * timer does all the draining. Lock held. */
static void fill_fifo(void)
{
    notice(0, ASYNC_LIMIT);
    if (head == tail)
        return;
    uint64_t now = clock_ns();
    bool can_arm = big_lock_held();     /* timer lists are under the big lock */
    if (line_done < now)
        line_done = now;
    uint64_t ahead_max = (BURST - UART_FIFO) * char_ns;
    if (line_done - now > ahead_max) {
        if (can_arm)
            timer_arm(&pace, line_done - ahead_max);
        return;
    }
    if (!uart_tx_empty()) {             /* still sending: its interrupt says when it is done */
        if (!use_irq && can_arm)
            timer_arm(&pace, now + UART_FIFO * char_ns);
        return;
    }
    uint32_t n = 0;
    while (n < UART_FIFO && head != tail) {
        uart_tx_byte(ring[tail++ % RING_SIZE]);
        n++;
    }
    line_done += n * char_ns;
    if (!use_irq && head != tail && can_arm)
        timer_arm(&pace, now + n * char_ns);
}

static void pace_expired(struct timer *t)
{
    (void)t;
    conout_poll();
}

bool conout_put(const char *s, uint32_t n, bool reply)
{
    if (!n)
        return true;
    if (!queued) {
        uart_write(s, n);
        return true;
    }
    uint32_t f = eflags_cli();
    spin_lock(&lock);
    uint32_t limit = reply ? RING_SIZE : ASYNC_LIMIT;
    bool ok = notice(n, limit) && head - tail + n <= limit;
    if (ok) {
        push(s, n);
        fill_fifo();                /* starts the drain if the line is idle */
    } else {
        uint32_t lines = 0;
        for (uint32_t i = 0; i < n; i++)
            lines += s[i] == '\n';
        lines += !lines;            /* the start of a line is a line lost too */
        dropped += lines;
        dropped_total += lines;
    }
    spin_unlock(&lock);
    eflags_restore(f);
    return ok;
}

void conout_poll(void)
{
    if (!queued || head == tail)
        return;
    uint32_t f = eflags_cli();
    spin_lock(&lock);
    fill_fifo();
    spin_unlock(&lock);
    eflags_restore(f);
}

void conout_start(uint32_t baud, bool irq)
{
    char_ns = 10000000000ull / (baud ? baud : 115200);
    pace.fn = pace_expired;
    use_irq = irq;
    queued = true;
}

uint32_t conout_room(void)
{
    return queued ? RING_SIZE - (head - tail) : RING_SIZE;
}

uint64_t conout_dropped(void) { return dropped_total; }

/* Bounded: the lock may be held by this CPU (a fault inside conout_put)
 * or by a CPU that was halted, and a wedged UART must not stop a report. */
static void drain_polled(void)
{
    uint32_t f = eflags_cli();
    bool locked = false;
    for (int spin = 0; spin < 1000000 && !(locked = spin_trylock(&lock)); spin++)
        pause();
    notice(0, RING_SIZE);
    while (head != tail && uart_putc_wait(ring[tail % RING_SIZE]))
        tail++;
    tail = head;
    if (locked)
        spin_unlock(&lock);
    eflags_restore(f);
}

void conout_flush(void)
{
    if (queued)
        drain_polled();
}

void conout_sync(void)
{
    bool was = queued;
    queued = false;         /* first: a fault in what follows finds direct output */
    if (was)
        drain_polled();
}
