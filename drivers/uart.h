#ifndef DRIVERS_UART_H
#define DRIVERS_UART_H
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define UART_COM1 0x3F8
#define UART_COM2 0x2F8
#define UART_COM1_IRQ 4
#define UART_COM2_IRQ 3

/* Programs the 16550 at base for baud 8N1 with FIFOs; 0 when one answers. */
int uart_init(uint16_t base, uint32_t baud);
#define UART_FIFO 16     /* bytes the transmit FIFO takes when it is empty */

/* Polled output: waits (bounded) for room before each byte. */
void uart_write(const char *s, size_t n);
/* One byte, polled; false if the UART never made room (it is wedged). */
bool uart_putc_wait(char c);
/* The transmit FIFO is empty: up to UART_FIFO bytes may be written now. */
bool uart_tx_empty(void);
void uart_tx_byte(char c);
int uart_rx_ready(void);
uint8_t uart_rx_byte(void);
/* Reads the interrupt identification: some cause is pending. Reading it
 * also clears a pending transmit-empty interrupt. */
bool uart_irq_pending(void);
/* Raise the line's IRQ when a byte arrives and, with tx, when the
 * transmit FIFO has emptied. */
void uart_enable_irqs(bool tx);
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
