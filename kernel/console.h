#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H
#include <stddef.h>
#include <stdint.h>

/* port: 0 = none, 1 = COM1, 2 = COM2 */
void console_init(int port, uint32_t baud);
/* Log and guest output, with "\n" turned into "\r\n" for serial
 * terminals; queued a line at a time once interrupts work (conout.c). */
void console_write(const char *s, size_t n);
/* The same for the monitor's replies to the operator, which keep room in
 * the queue that a flood of log and guest output cannot take. */
void console_reply(const char *s, size_t n);
/* Next input byte, or -1. Pulls from the UART too. */
int console_getc(void);
/* The same byte, left in the input ring. */
int console_peekc(void);
/* Routes UART input and transmit-empty through its IRQ line and starts
 * queued output (needs the timers: without the IRQ, a timer drains). */
void console_start_irq(void);

#endif
