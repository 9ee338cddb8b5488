/* Diagnostics to the log (apart from diag.c, which the host unit tests
 * build without a log). */
#include "kernel/diag.h"
#include "kernel/log.h"

void diag_log(const struct diag *d, int level, const char *prefix)
{
    for (uint32_t i = 0; i < d->n; i++)
        klog(level, "%s%s", prefix, d->msg[i]);
    if (d->dropped)
        klog(level, "%s%lu more message(s) not kept (the list holds %d)", prefix,
             (unsigned long)d->dropped, DIAG_MAX);
}
