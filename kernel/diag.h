#ifndef KERNEL_DIAG_H
#define KERNEL_DIAG_H
#include <stdint.h>

/* A bounded list of problems found while parsing (boot information, command
 * line, guest modules), collected before the console is up and logged once
 * it is. Past DIAG_MAX messages, further ones are dropped. */
#define DIAG_MAX 16
struct diag {
    uint32_t n;
    char msg[DIAG_MAX][160];
};
void diag_add(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
