#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H
#include <stddef.h>
#include <stdint.h>

/* port: 0 = none, 1 = COM1, 2 = COM2 */
void console_init(int port, uint32_t baud);
/* Writes with "\n" turned into "\r\n" for serial terminals. */
void console_write(const char *s, size_t n);
/* Next input byte, or -1. Pulls from the UART too. */
int console_getc(void);
/* Routes UART input through its IRQ line. */
void console_enable_input_irq(void);

#endif
