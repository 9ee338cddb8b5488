/* The gdb stub's wire: the serial port the console is not on (COM2 when
 * the console is COM1 or none, COM1 when it is COM2), 115200 8N1. Input
 * and output go through rings, moved by the port's interrupt and by
 * gdb_serial_poll, so nothing here ever waits for the line. */
#ifndef KERNEL_GDB_SERIAL_H
#define KERNEL_GDB_SERIAL_H
#include <stdbool.h>
#include <stdint.h>

/* Finds and programs the port, once; 0 when it answers. */
int gdb_serial_open(void);
bool gdb_serial_is_open(void);
const char *gdb_serial_name(void);      /* "COM2" */
/* The next received byte, or -1. */
int gdb_serial_getc(void);
/* Queues all of s[0..n) for sending, or nothing (false) when it does not fit. */
bool gdb_serial_write(const char *s, uint32_t n);
/* Moves bytes between the UART and the rings. */
void gdb_serial_poll(void);

#endif
