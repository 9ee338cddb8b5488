/* A GDB remote-protocol stub for one guest at a time, on the serial port
 * the console is not on (kernel/gdb_serial.c). While gdb has the guest
 * stopped, it is paused (PAUSE_DEBUG) and every other guest runs on. */
#ifndef KERNEL_GDBSTUB_H
#define KERNEL_GDBSTUB_H
#include <stdbool.h>
#include <stdint.h>

struct guest;

/* Attaches the guests configured with gdb=on, each held before its first
 * instruction until gdb continues it. After the guests are created. */
void gdbstub_init(void);
/* The boot CPU, from the scheduler loop: reads the port, answers gdb. */
void gdbstub_poll(void);
/* A debug trap (1) or breakpoint (3) of a debugged guest, on its own CPU:
 * true when it was the debugger's (the guest is now stopped). */
bool gdbstub_trap(struct guest *g, uint32_t vector);
/* NULL when attached, else why not. hold: stopped until gdb continues it. */
const char *gdbstub_attach(struct guest *g, bool hold);
/* Lets go: breakpoints out, single step off, the guest runs on. */
void gdbstub_detach(void);
struct guest *gdbstub_guest(void);      /* the attached guest, or NULL */
const char *gdbstub_port(void);         /* "COM2" */

#endif
