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

#endif
