/* What was printed, kept in memory for the monitor: the hypervisor's log
 * (dmesg) and each guest's console output (console NAME). A history is a
 * ring of the last `size` bytes; a reader sees what it held when opened,
 * a line at a time, and knows how much had already been overwritten. */
#ifndef KERNEL_HISTORY_H
#define KERNEL_HISTORY_H
#include <stddef.h>
#include <stdint.h>

struct history {
    char *buf;              /* NULL: nothing is kept */
    uint32_t size;          /* a power of two */
    uint64_t written;       /* bytes ever put */
};

struct history_reader {
    const struct history *h;
    uint64_t pos, end;      /* what is left to read */
    uint64_t lost;          /* bytes overwritten before they could be read */
};

void history_put(struct history *h, const char *s, size_t n);
/* From the oldest whole line still held to what is held now. */
void history_open(struct history_reader *r, const struct history *h);
/* The next line, '\n' included, cut at max - 1 bytes and NUL-terminated;
 * its length, or 0 at the end. */
size_t history_line(struct history_reader *r, char *out, size_t max);

#endif
