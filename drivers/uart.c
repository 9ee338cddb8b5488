/* The 16550 UART: the hypervisor's console. Two ways out: uart_write polls
 * (a fault report must get out with interrupts off), and the transmit
 * interrupt, which kernel/conout.c drives a FIFO load at a time with
 * uart_tx_empty/uart_tx_byte. Input raises an IRQ and is also polled from
 * the idle loop, in case the line is not routed. */
#include "drivers/uart.h"
#include "arch/x86/x86.h"

#define THR 0   /* transmit holding (write) / receive buffer (read) */
#define IER 1
#define IIR 2   /* interrupt identification (read) */
#define FCR 2   /* FIFO control (write) */
#define LCR 3
#define MCR 4
#define LSR 5
#define SCR 7
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define LCR_DLAB 0x80
#define IER_RX   0x01
#define IER_THRE 0x02

static uint16_t base;
static int present;
static uint8_t ier;

int uart_init(uint16_t port, uint32_t baud)
{
    base = port;
    present = uart_at_init(port, baud) == 0;
    return present ? 0 : -1;
}

int uart_present(void) { return present; }

bool uart_putc_wait(char c)
{
    if (!present)
        return true;
    /* bounded wait: a wedged UART must not hang the hypervisor */
    int spin = 0;
    for (; spin < 100000 && !(inb(base + LSR) & LSR_THRE); spin++)
        pause();
    outb(base + THR, (uint8_t)c);
    return spin < 100000;
}

void uart_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        uart_putc_wait(s[i]);
}

bool uart_tx_empty(void) { return present && (inb(base + LSR) & LSR_THRE); }
void uart_tx_byte(char c) { outb(base + THR, (uint8_t)c); }
int uart_rx_ready(void) { return present && (inb(base + LSR) & LSR_DR); }
uint8_t uart_rx_byte(void) { return inb(base + THR); }
bool uart_irq_pending(void) { return present && !(inb(base + IIR) & 1); }

void uart_enable_irqs(bool tx)
{
    if (!present)
        return;
    ier = IER_RX | (tx ? IER_THRE : 0);
    outb(base + IER, ier);
}

/* A 16550 at any base, for a port that is not the console (the gdb stub's):
 * the same programming as uart_init, but nothing above is touched, and
 * output never waits: the caller writes only when uart_at_tx_room says so. */
#define UART_FIFO 16

int uart_at_init(uint16_t port, uint32_t baud)
{
    outb(port + SCR, 0x5A);                 /* something must be there */
    if (inb(port + SCR) != 0x5A)
        return -1;
    uint16_t divisor = (uint16_t)(115200 / baud);
    outb(port + IER, 0);
    outb(port + LCR, LCR_DLAB);
    outb(port + 0, divisor & 0xFF);
    outb(port + 1, divisor >> 8);
    outb(port + LCR, 0x03);                 /* 8 data bits, no parity, 1 stop */
    outb(port + FCR, 0x07);                 /* enable and clear FIFOs */
    outb(port + MCR, 0x0B);                 /* DTR, RTS, OUT2 (IRQ gate) */
    return 0;
}

int uart_at_getc(uint16_t port)
{
    return (inb(port + LSR) & LSR_DR) ? inb(port + THR) : -1;
}

uint32_t uart_at_tx_room(uint16_t port)
{
    return (inb(port + LSR) & LSR_THRE) ? UART_FIFO : 0;
}

void uart_at_putc(uint16_t port, uint8_t c) { outb(port + THR, c); }

void uart_at_irqs(uint16_t port, int rx, int tx)
{
    outb(port + IER, (uint8_t)((rx ? IER_RX : 0) | (tx ? IER_THRE : 0)));
}

int uart_at_irq_pending(uint16_t port) { return !(inb(port + IIR) & 1); }
