#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H
/* The hypervisor console: reads command lines from the serial port and
 * idles the CPU (hlt) between them. Never returns. */
void monitor_loop(void) __attribute__((noreturn));
#endif
