/* The gdb stub's serial port: see gdb_serial.h. Output is driven by the
 * transmitter-empty interrupt while anything is queued (and by the polls),
 * so a reply goes out while the boot CPU runs guests or sleeps in hlt. */
#include "kernel/gdb_serial.h"
#include "arch/x86/irq.h"
#include "drivers/uart.h"
#include "kernel/options.h"

#define RX_RING 1024u           /* a little more than gdb ever sends unanswered */
#define TX_RING 8192u           /* two largest replies */
#define RX_BATCH 256u           /* bytes taken from the UART per call: bounded work */

static uint16_t base;
static const char *name;
static bool port_open;
static uint8_t rx[RX_RING], tx[TX_RING];
static uint32_t rx_head, rx_tail, tx_head, tx_tail;

static void pump(void)
{
    for (uint32_t i = 0; i < RX_BATCH; i++) {
        int c = uart_at_getc(base);
        if (c < 0)
            break;
        if (rx_head - rx_tail < RX_RING)    /* full: dropped; gdb resends on its timeout */
            rx[rx_head++ % RX_RING] = (uint8_t)c;
    }
    for (uint32_t room = uart_at_tx_room(base); room && tx_tail != tx_head; room--)
        uart_at_putc(base, tx[tx_tail++ % TX_RING]);
    uart_at_irqs(base, 1, tx_tail != tx_head);
}

static void irq(void *ctx)
{
    (void)ctx;
    /* The ISA line is edge-triggered: leave no cause standing, or no edge
     * comes again (reading IIR clears transmitter-empty). Bounded. */
    for (int i = 0; i < 8 && uart_at_irq_pending(base); i++)
        pump();
}

int gdb_serial_open(void)
{
    if (port_open)
        return 0;
    int isa = opt.console == CONSOLE_COM2 ? UART_COM1_IRQ : UART_COM2_IRQ;
    base = opt.console == CONSOLE_COM2 ? UART_COM1 : UART_COM2;
    name = opt.console == CONSOLE_COM2 ? "COM1" : "COM2";
    if (uart_at_init(base, 115200))
        return -1;
    isa_irq_set_handler(isa, irq, 0, "gdb");   /* without it the polls still move the bytes */
    uart_at_irqs(base, 1, 0);
    port_open = true;
    return 0;
}

bool gdb_serial_is_open(void) { return port_open; }
const char *gdb_serial_name(void) { return name ? name : (opt.console == CONSOLE_COM2 ? "COM1" : "COM2"); }

int gdb_serial_getc(void)
{
    if (rx_tail == rx_head)
        return -1;
    return rx[rx_tail++ % RX_RING];
}

bool gdb_serial_write(const char *s, uint32_t n)
{
    if (!port_open || n > TX_RING - (tx_head - tx_tail))
        return false;
    for (uint32_t i = 0; i < n; i++)
        tx[tx_head++ % TX_RING] = (uint8_t)s[i];
    pump();
    return true;
}

void gdb_serial_poll(void)
{
    if (port_open)
        pump();
}
