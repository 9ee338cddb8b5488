#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H
/* The hypervisor console: command lines read from the serial port. */
void monitor_start(void);           /* prints the first prompt */
void monitor_key(int c);            /* one typed character while the monitor has the focus */
/* monitor_debug.c: pause NAME, unpause NAME, regs NAME, gdb NAME|off */
void monitor_pause(const char *arg);
void monitor_unpause(const char *arg);
void monitor_regs(const char *arg);
void monitor_gdb(const char *arg);
#endif
