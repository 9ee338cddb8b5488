/* One-shot timer events on a hardware one-shot per CPU: each CPU keeps its
 * own list in deadline order, armed from that CPU, and its local APIC timer
 * is always programmed for the head, so an idle CPU takes no timer
 * interrupts at all. A timer fires on the CPU that armed it; cancelling
 * works from any CPU (under the big lock), and leaves at worst an early
 * interrupt on the other CPU, which finds nothing due and re-arms. */
#include "kernel/timer.h"
#include "kernel/clock.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/irq.h"
#include "arch/x86/pit.h"
#include "arch/x86/trap.h"

#define head (this_cpu()->timer_head)
static void (*program)(uint64_t ns);

static void program_head(void)
{
    if (!head) {
        if (program == lapic_timer_oneshot)
            lapic_timer_oneshot(0);
        return;
    }
    uint64_t now = clock_ns();
    program(head->deadline > now ? head->deadline - now : 1);
}

static void run_expired(void)
{
    uint64_t now = clock_ns();
    while (head && head->deadline <= now) {
        struct timer *t = head;
        head = t->next;
        t->armed = 0;
        t->fn(t);
        now = clock_ns();
    }
    program_head();
}

static void apic_timer_irq(uint32_t vector) { (void)vector; lapic_eoi(); run_expired(); }
static void pit_irq(void *ctx) { (void)ctx; run_expired(); }

const char *timer_init(enum timer_source want)
{
    if (want != TIMER_PIT && lapic_present()) {
        uint32_t khz = lapic_timer_calibrate();
        if (khz) {
            irq_set_handler(VEC_APIC_TIMER, apic_timer_irq);
            program = lapic_timer_oneshot;
            log_info("timer: local APIC one-shot, %lu.%03lu MHz", (unsigned long)(khz / 1000),
                     (unsigned long)(khz % 1000));
            return "apic";
        }
        log_warn("timer: local APIC timer does not count; using the PIT");
    } else if (want == TIMER_APIC) {
        log_warn("timer: no local APIC; using the PIT");
    }
    program = pit_oneshot;
    isa_irq_set_handler(0, pit_irq, 0, "pit");
    log_info("timer: PIT one-shot");
    return "pit";
}

void timer_cancel(struct timer *t)
{
    if (!t->armed)
        return;
    for (struct timer **p = &cpus[t->cpu].timer_head; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->armed = 0;
}

void timer_arm(struct timer *t, uint64_t deadline_ns)
{
    timer_cancel(t);
    t->deadline = deadline_ns;
    struct timer **p = &head;
    while (*p && (*p)->deadline <= deadline_ns)
        p = &(*p)->next;
    t->next = *p;
    *p = t;
    t->armed = 1;
    t->cpu = this_cpu()->index;
    if (head == t)
        program_head();
}
