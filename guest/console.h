/* The early console of an lguest guest: NOTIFY with the GPA of a
 * NUL-terminated string (lguest-abi.md 8.5). The host turns our output into
 * "[guestname] text" lines, so we hand it whole lines. */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H
#include <stddef.h>

void console_write(const char *s, size_t n);
void console_puts(const char *s);
/* Sends what is buffered even without a newline. */
void console_flush(void);

#endif
