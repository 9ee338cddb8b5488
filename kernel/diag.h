#ifndef KERNEL_DIAG_H
#define KERNEL_DIAG_H
#include <stdint.h>

/* Problems found while parsing (boot information, command line, guest
 * modules, ACPI tables). Collected before the console is up, they are kept
 * in a bounded list, and what does not fit is counted, never lost without a
 * word (diag_log says how many). Once the console is up a sink can take
 * every message as it comes instead, with no bound at all. */
#define DIAG_MAX 32
#define DIAG_MSG 200
struct diag {
    uint32_t n;
    uint32_t dropped;                   /* messages past DIAG_MAX */
    void (*sink)(const char *msg);      /* set: each message goes there, none kept */
    char msg[DIAG_MAX][DIAG_MSG];
};
/* d may be NULL: the message is not wanted. */
void diag_add(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Logs every kept message at level, each after prefix, then the count of
 * those that did not fit. */
void diag_log(const struct diag *d, int level, const char *prefix);

#endif
