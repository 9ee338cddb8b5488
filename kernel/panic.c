#include <stdarg.h>
#include <stdio.h>
#include "kernel/panic.h"
#include "kernel/conout.h"
#include "kernel/log.h"
#include "kernel/crash_record.h"
#include "arch/x86/smp.h"
#include "arch/x86/x86.h"

void panic(const char *fmt, ...)
{
    cli();
    smp_halt_others();
    conout_sync();      /* what was queued, then the report, written directly */
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_err("panic: %s", msg);
    crash_record_note("panic: %s", msg);
    crash_record_fatal_end();
}
