#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H
#include <stdbool.h>
/* The hypervisor console: command lines read from the serial port. */
void monitor_start(void);           /* prints the prompt (and what was typed so far) */
void monitor_key(int c);            /* one typed character while the monitor has the focus */
/* The scheduler's loop on the boot CPU: goes on with a long listing, and
 * redraws the prompt line that asynchronous output broke. */
void monitor_poll(void);
/* Asynchronous output is about to be printed: the prompt line, if the
 * terminal shows it, is ended first (and redrawn by monitor_poll). */
void monitor_break_prompt(void);

/* monitor.c: runs one command line. */
void monitor_execute(char *line);

/* monitor_log.c: the commands about the log and the consoles. A listing
 * goes on in monitor_log_poll as the console has room for it; busy until
 * then (no prompt yet). */
void cmd_dmesg(void);
void cmd_console(const char *name);
void cmd_loglevel(const char *level);
bool monitor_log_busy(void);
/* More of the listing; false once it is done. */
bool monitor_log_poll(void);
/* Ctrl-C: the listing stops here. */
void monitor_log_cancel(void);
/* monitor_debug.c: pause NAME, unpause NAME, regs NAME, gdb NAME|off */
void monitor_pause(const char *arg);
void monitor_unpause(const char *arg);
void monitor_regs(const char *arg);
void monitor_gdb(const char *arg);
#endif
