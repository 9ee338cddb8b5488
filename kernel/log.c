/* The leveled, timestamped boot and event log. Formatting is newlib's; the
 * line goes to the console as one unit (never interleaved, and dropped
 * whole if the serial line cannot take it) and into the log's history,
 * which `dmesg` prints: a line lost on the wire is still there. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "kernel/log.h"
#include "kernel/console.h"
#include "kernel/clock.h"
#include "kernel/history.h"
#include "kernel/lguest/guest.h"
#include "kernel/percpu.h"

#define LOG_HISTORY (64u * 1024)

int log_level = LOG_INFO;

static char history_buf[LOG_HISTORY];
struct history log_history = { history_buf, LOG_HISTORY, 0 };

static const char *const prefix[] = { "error: ", "warning: ", "", "" };
static const char *const names[] = { "error", "warning", "info", "debug" };

void klog(int level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    char line[512];
    uint64_t us = clock_ns() / 1000;
    int n;
    if (ncpus > 1)      /* which CPU said it: "[ 1.234567/2]" */
        n = snprintf(line, sizeof(line), "[%5lu.%06lu/%lu] %s", (unsigned long)(us / 1000000),
                     (unsigned long)(us % 1000000), (unsigned long)this_cpu()->index,
                     prefix[level & 3]);
    else
        n = snprintf(line, sizeof(line), "[%5lu.%06lu] %s", (unsigned long)(us / 1000000),
                     (unsigned long)(us % 1000000), prefix[level & 3]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    if (m >= 0 && n + m >= (int)sizeof(line) - 1) {
        /* a line longer than the log takes says so, and by how much */
        int keep = (int)sizeof(line) - 2 - 24;      /* room for the tail */
        char tail[24];
        int t = snprintf(tail, sizeof(tail), " [... %d more]", n + m - keep);
        memcpy(line + keep, tail, (size_t)t);
        n = keep + t;
    } else if (m >= 0) {
        n += m;
    }
    line[n++] = '\n';
    history_put(&log_history, line, (size_t)n);
    console_break_line();
    console_write(line, (size_t)n);
}

void log_raw(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 1)
        n = sizeof(line) - 1;
    if (n > 0)
        console_write(line, (size_t)n);
}

const char *log_level_name(int level)
{
    return level >= 0 && level <= LOG_DEBUG ? names[level] : "?";
}

/* The boot option's short names and the words the log prints. */
int log_level_parse(const char *s)
{
    static const char *const shorter[] = { "err", "warn", "info", "debug" };
    for (int i = 0; i <= LOG_DEBUG; i++)
        if (strcmp(s, names[i]) == 0 || strcmp(s, shorter[i]) == 0)
            return i;
    return -1;
}
