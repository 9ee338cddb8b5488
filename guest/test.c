#include <stdarg.h>
#include <string.h>
#include "guest/console.h"
#include "guest/hcall.h"
#include "guest/irq.h"
#include "guest/test.h"
#include "guest/trap.h"

static unsigned passed, failed;

void pass(const char *name)
{
    passed++;
    printf("PASS %s\n", name);
}

static void vfail(const char *name, const char *fmt, va_list ap)
{
    char why[400];
    vsnprintf(why, sizeof why, fmt, ap);
    failed++;
    printf("FAIL %s: %s\n", name, why);
}

void fail(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(name, fmt, ap);
    va_end(ap);
}

int check(int ok, const char *name, const char *fmt, ...)
{
    if (ok) {
        pass(name);
    } else {
        va_list ap;
        va_start(ap, fmt);
        vfail(name, fmt, ap);
        va_end(ap);
    }
    return ok;
}

unsigned tests_failed(void) { return failed; }

/* The host reads the message by GPA, up to 128 bytes: keep it in the image. */
static char shutdown_msg[128];

void shutdown(const char *msg, u32 reason)
{
    console_flush();
    irq_disable();
    strncpy(shutdown_msg, msg, sizeof shutdown_msg - 1);
    for (;;)
        hcall(LHCALL_SHUTDOWN, __pa(shutdown_msg), reason, 0);
}

void tests_done(void)
{
    char msg[64];
    printf("DONE %u passed, %u failed\n", passed, failed);
    if (failed)
        snprintf(msg, sizeof msg, "%u checks failed", failed);
    else
        strcpy(msg, "done");
    shutdown(msg, LGUEST_SHUTDOWN_POWEROFF);
}

void panic(const char *fmt, ...)
{
    static int nested;
    char why[120], msg[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "panic: %s", why);
    if (!nested++) {
        failed++;
        printf("FAIL panic: %s\n", why);
        printf("DONE %u passed, %u failed\n", passed, failed);
    }
    shutdown(msg, LGUEST_SHUTDOWN_POWEROFF);
}

/* ---- faults on purpose ---- */

static struct {
    volatile int armed, taken;
    u32 resume;
    struct fault_rec rec;
} expect;

void fault_fill(struct fault_rec *r, const struct trap_frame *f, u32 cr2, u32 irq_enabled)
{
    r->vector = f->vector;
    r->error = f->error;
    r->eip = f->eip;
    r->cs = f->cs & 0xFFFF;
    r->eflags = f->eflags;
    r->cr2 = cr2;
    r->irq_enabled = irq_enabled;
    r->ebx = f->ebx;
    r->from_user = frame_from_user(f);
    r->frame_end = frame_kernel_esp(f);
    r->user_esp = r->from_user ? f->user_esp : 0;
    r->user_ss = r->from_user ? f->user_ss & 0xFFFF : 0;
}

void expect_fault(u32 resume_eip)
{
    expect.resume = resume_eip;
    expect.taken = 0;
    barrier();
    expect.armed = 1;
}

int expect_taken(struct fault_rec *out)
{
    expect.armed = 0;
    barrier();
    if (expect.taken && out)
        *out = expect.rec;
    return expect.taken;
}

int expect_record(struct trap_frame *f, u32 cr2, u32 irq_enabled)
{
    if (!expect.armed)
        return 0;
    fault_fill(&expect.rec, f, cr2, irq_enabled);
    expect.armed = 0;
    expect.taken = 1;
    if (expect.resume)
        f->eip = expect.resume;
    return 1;
}
