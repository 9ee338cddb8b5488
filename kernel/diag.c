#include <stdarg.h>
#include <stdio.h>
#include "kernel/diag.h"

void diag_add(struct diag *d, const char *fmt, ...)
{
    if (d->n >= DIAG_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg[d->n++], sizeof(d->msg[0]), fmt, ap);
    va_end(ap);
}
