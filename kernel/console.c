/* The hypervisor console: output through the queue in conout.c, a line at
 * a time with "\n" sent as "\r\n"; input through a small ring filled by
 * the UART interrupt (or by polling from the idle loop). One interrupt
 * handler serves both directions. */
#include "kernel/console.h"
#include "kernel/conout.h"
#include "drivers/uart.h"
#include "arch/x86/irq.h"
#include "kernel/clock.h"
#include "kernel/timer.h"

#define POLL_NS 10000000ull     /* without the UART's interrupt: input looked at every 10 ms */

static int console_irq_line = -1;
static uint32_t console_baud;
static uint8_t rx_ring[256];
static volatile uint32_t rx_head, rx_tail;

void console_init(int port, uint32_t baud)
{
    console_baud = baud;
    if (port == 1 && uart_init(UART_COM1, baud) == 0)
        console_irq_line = UART_COM1_IRQ;
    else if (port == 2 && uart_init(UART_COM2, baud) == 0)
        console_irq_line = UART_COM2_IRQ;
}

/* Each line (or the unfinished rest) is one unit of the queue: it goes out
 * whole or is dropped whole. Longer lines go as several units. */
static void out(const char *s, size_t n, bool reply)
{
    char wire[600];
    size_t i = 0;
    while (i < n) {
        uint32_t k = 0;
        while (i < n && k < sizeof(wire) - 2) {
            char c = s[i++];
            if (c == '\n') {
                wire[k++] = '\r';
                wire[k++] = '\n';
                break;
            }
            wire[k++] = c;
        }
        conout_put(wire, k, reply);
    }
}

void console_write(const char *s, size_t n) { out(s, n, false); }
void console_reply(const char *s, size_t n) { out(s, n, true); }

static void drain_uart(void)
{
    while (uart_rx_ready()) {
        uint8_t c = uart_rx_byte();
        if (rx_head - rx_tail < sizeof(rx_ring))    /* full: drop, never block */
            rx_ring[rx_head++ % sizeof(rx_ring)] = c;
    }
}

/* The ISA line is edge-triggered: it rises again only once no cause is
 * left pending, so every cause is served before returning. */
static void uart_irq(void *ctx)
{
    (void)ctx;
    for (int round = 0; round < 8; round++) {
        drain_uart();
        conout_poll();
        if (!uart_irq_pending())
            break;
    }
}

int console_peekc(void)
{
    drain_uart();
    return rx_tail == rx_head ? -1 : rx_ring[rx_tail % sizeof(rx_ring)];
}

int console_getc(void)
{
    drain_uart();
    if (rx_tail == rx_head)
        return -1;
    return rx_ring[rx_tail++ % sizeof(rx_ring)];
}

/* No interrupt to wake an idle boot CPU for a key: a timer does, and its
 * scheduler loop then hands the input on. */
static struct timer poll_timer;

static void poll_expired(struct timer *t)
{
    drain_uart();
    conout_poll();
    timer_arm(t, clock_ns() + POLL_NS);
}

void console_start_irq(void)
{
    if (!uart_present())        /* console=none, or no UART: output stays a no-op */
        return;
    bool irq = console_irq_line >= 0 && isa_irq_set_handler(console_irq_line, uart_irq, 0, "uart") >= 0;
    if (irq) {
        uart_enable_irqs(true);
    } else if (console_irq_line >= 0) {
        poll_timer.fn = poll_expired;
        timer_arm(&poll_timer, clock_ns() + POLL_NS);
    }
    conout_start(console_baud, irq);
}
