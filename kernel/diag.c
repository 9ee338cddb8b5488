#include <stdarg.h>
#include <stdio.h>
#include "kernel/diag.h"

void diag_add(struct diag *d, const char *fmt, ...)
{
    if (!d)
        return;
    if (!d->sink && d->n >= DIAG_MAX) {
        d->dropped++;
        return;
    }
    char line[DIAG_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->sink ? line : d->msg[d->n++], DIAG_MSG, fmt, ap);
    va_end(ap);
    if (d->sink)
        d->sink(line);
}
