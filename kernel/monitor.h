#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H
/* The hypervisor console: command lines read from the serial port. */
void monitor_start(void);           /* prints the first prompt */
void monitor_key(int c);            /* one typed character while the monitor has the focus */
#endif
