/* key=VALUE words of the guest command line that cmdline.c does not
 * parse (device tests: virtio=plain, sectors=N, id=TEXT, ...). */
#ifndef GUEST_BOOTOPT_H
#define GUEST_BOOTOPT_H
#include "guest/layout.h"

/* Copies VALUE of the first key=VALUE word into buf (NUL-terminated,
 * cut to n - 1 bytes) and returns buf; 0 if there is no such word. */
char *boot_option(const char *key, char *buf, unsigned n);
/* The value as a number (strtoul base 0), or def. */
u32 boot_option_u32(const char *key, u32 def);

#endif
