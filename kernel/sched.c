/* The scheduler: round robin over the guests that can run, a time slice
 * each, and hlt when none can (a halted guest costs nothing). Between
 * slices the hypervisor console gets its turn. */
#include "kernel/lguest/guest.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/log.h"
#include "virtio/netswitch.h"

#define SLICE_NS 10000000u      /* 10 ms */

static struct timer slice;

static void slice_expired(struct timer *t)
{
    need_resched = true;
}

static bool ready(struct guest *g)
{
    return g->state == GUEST_RUNNING && (!g->halted || guest_has_deliverable_irq(g));
}

static void reap(void)
{
    for (uint32_t i = 0; i < nguests; i++) {
        struct guest *g = &guests[i];
        if (g->state == GUEST_STOPPED && g->restart_pending) {
            guest_restart(g);
        } else if (g->state == GUEST_STOPPED && !g->released) {
            guest_release(g);
            focus_guest_stopped(g);
            log_info("guest %s: stopped (%s); %lu running", g->name, g->stop_reason,
                     (unsigned long)guests_running());
        }
    }
}

/* Idle time goes into zeroing the guests' memory ahead of its first use,
 * which would otherwise happen inside an exit (gmem_settle), a page at a
 * time. Interrupts are on meanwhile, as in hlt: their handlers only set
 * flags and raise virtual interrupts and never touch guest memory, and the
 * loop looks at what they did after each chunk. */
#define IDLE_ZERO_PAGES 16u

static bool idle_zero(void)
{
    for (uint32_t i = 0; i < nguests; i++) {
        struct guest *g = &guests[i];
        if (g->state != GUEST_RUNNING || g->zero_done)
            continue;
        sti();
        uint32_t n = gmem_zero_some(&g->mem, &g->zero_cursor, IDLE_ZERO_PAGES);
        cli();
        if (n)
            return true;
        g->zero_done = true;
    }
    return false;
}

uint32_t guests_running(void)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < nguests; i++)
        n += guests[i].state == GUEST_RUNNING;
    return n;
}

void sched_loop(void)
{
    uint32_t next = 0;
    slice.fn = slice_expired;
    vcpu_init();
    for (;;) {
        reap();
        focus_poll_input();
        netsw_poll_wire();
        struct guest *g = 0;
        for (uint32_t i = 0; i < nguests && !g; i++) {
            uint32_t idx = (next + i) % nguests;
            if (ready(&guests[idx])) {
                g = &guests[idx];
                next = (idx + 1) % nguests;
            }
        }
        if (!g) {
            if (idle_zero())
                continue;
            sti_hlt();          /* any interrupt wakes us: a timer, the UART */
            cli();
            continue;
        }
        need_resched = false;
        timer_arm(&slice, clock_ns() + SLICE_NS);
        guest_run(g);
    }
}
