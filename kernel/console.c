/* The hypervisor console: output straight to the UART, input through a small
 * ring filled by the UART interrupt (or by polling from the idle loop). */
#include "kernel/console.h"
#include "drivers/uart.h"
#include "arch/x86/irq.h"

static int console_irq_line = -1;
static uint8_t rx_ring[256];
static volatile uint32_t rx_head, rx_tail;

void console_init(int port, uint32_t baud)
{
    if (port == 1 && uart_init(UART_COM1, baud) == 0)
        console_irq_line = UART_COM1_IRQ;
    else if (port == 2 && uart_init(UART_COM2, baud) == 0)
        console_irq_line = UART_COM2_IRQ;
}

void console_write(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            uart_write(s + start, i - start);
            uart_write("\r\n", 2);
            start = i + 1;
        }
    }
    uart_write(s + start, n - start);
}

static void drain_uart(void)
{
    while (uart_rx_ready()) {
        uint8_t c = uart_rx_byte();
        if (rx_head - rx_tail < sizeof(rx_ring))    /* full: drop, never block */
            rx_ring[rx_head++ % sizeof(rx_ring)] = c;
    }
}

static void uart_irq(void *ctx)
{
    (void)ctx;
    drain_uart();
}

int console_getc(void)
{
    drain_uart();
    if (rx_tail == rx_head)
        return -1;
    return rx_ring[rx_tail++ % sizeof(rx_ring)];
}

void console_enable_input_irq(void)
{
    if (console_irq_line < 0)
        return;
    isa_irq_set_handler(console_irq_line, uart_irq, 0, "uart");
    uart_enable_rx_irq();
}
