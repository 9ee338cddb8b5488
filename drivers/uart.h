#ifndef DRIVERS_UART_H
#define DRIVERS_UART_H
#include <stdint.h>
#include <stddef.h>

#define UART_COM1 0x3F8
#define UART_COM2 0x2F8
#define UART_COM1_IRQ 4
#define UART_COM2_IRQ 3

/* Programs the 16550 at base for baud 8N1 with FIFOs; 0 when one answers. */
int uart_init(uint16_t base, uint32_t baud);
void uart_write(const char *s, size_t n);
int uart_rx_ready(void);
uint8_t uart_rx_byte(void);
/* Raise the line's IRQ when a byte arrives. */
void uart_enable_rx_irq(void);
int uart_present(void);

/* Any 16550 by its base, for a port that is not the console (the gdb
 * stub's). Output never waits: write at most uart_at_tx_room bytes. */
int uart_at_init(uint16_t base, uint32_t baud);    /* 0 when one answers */
int uart_at_getc(uint16_t base);                   /* a received byte, or -1 */
uint32_t uart_at_tx_room(uint16_t base);           /* bytes the FIFO takes now */
void uart_at_putc(uint16_t base, uint8_t c);
/* Interrupts on receive and on transmitter empty, each on or off. */
void uart_at_irqs(uint16_t base, int rx, int tx);
/* The UART has an interrupt condition (IIR); reading IIR clears THRE's. */
int uart_at_irq_pending(uint16_t base);

#endif
