/* The early console of an lguest guest: NOTIFY with the GPA of a
 * NUL-terminated string (lguest-abi.md 8.5). The host turns our output into
 * "[guestname] text" lines, so we hand it whole lines. */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H
#include <stddef.h>
#include "guest/layout.h"

void console_write(const char *s, size_t n);
void console_puts(const char *s);
/* Sends what is buffered even without a newline. */
void console_flush(void);

/* Set by a console driver that takes the output over (vcons.c): send()
 * hands it each finished chunk instead of NOTIFY, with interrupts off. A
 * non-zero return means "not delivered": the hook is cleared and the
 * chunk goes out by NOTIFY. */
extern int (*console_sink)(const char *s, size_t n);
/* NOTIFY strings sent so far (tests: nothing goes that way after attach). */
extern volatile u32 console_notifies;

#endif
