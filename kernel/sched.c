/* The scheduler: every CPU runs this loop over the guests placed on it
 * (g->cpu), a time slice at a time in proportion to their weights (cap=
 * holds one to a share of the CPU), and hlts when none can run
 * (a halted guest costs nothing). Whoever makes work for a CPU (an
 * interrupt for one of its guests, a stop, a restart, a move) wakes it with
 * an IPI (sched_kick). The boot CPU also serves the console and the wire
 * between slices. */
#include "kernel/lguest/guest.h"
#include "arch/x86/lapic.h"
#include "arch/x86/trap.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/gdbstub.h"
#include "kernel/lock.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "drivers/ahci.h"
#include "drivers/nvme.h"
#include "drivers/watchdog.h"
#include "virtio/netswitch.h"

#define SLICE_NS 10000000u      /* 10 ms */

static void slice_expired(struct timer *t)
{
    (void)t;
    this_cpu()->need_resched = true;
}

static bool ready(struct guest *g)
{
    return g->state == GUEST_RUNNING && !g->paused &&
           (!g->halted || guest_has_deliverable_irq(g));
}

void sched_kick(uint32_t cpu)
{
    if (cpu != this_cpu()->index && cpu < ncpus && cpus[cpu].online)
        lapic_send_ipi(cpus[cpu].apic_id, VEC_WAKE);
}

void guest_kick(struct guest *g)
{
    sched_kick(g->cpu);
}

/* A move is made by the CPU the guest leaves, between two of its slices:
 * nothing of the guest is on this CPU any more afterwards (its FPU
 * registers are saved, its tables forgotten), and the new CPU loads all of
 * it afresh at its first entry. */
static void move_away(struct guest *g)
{
    uint32_t to = g->move_to;
    g->move_to = NO_MOVE;
    if (to >= ncpus || to == g->cpu)
        return;
    vcpu_unload(g);
    g->cpu = to;
    g->vtime_fresh = true;
    log_info("guest %s: moved to CPU %lu", g->name, (unsigned long)to);
    sched_kick(to);
}

static void reap(struct percpu *c)
{
    uint64_t now = clock_ns();
    for (uint32_t i = 0; i < nguests; i++) {
        struct guest *g = &guests[i];
        if (g->cpu != c->index)
            continue;
        if (g->move_to != NO_MOVE)
            move_away(g);
        if (g->cpu != c->index)
            continue;
        if (g->state == GUEST_STOPPED && g->restart_pending) {
            if (now >= g->restart_at)
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

static bool idle_zero(struct percpu *c)
{
    for (uint32_t i = 0; i < nguests; i++) {
        struct guest *g = &guests[i];
        if (g->cpu != c->index || g->state != GUEST_RUNNING || g->zero_done)
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

uint32_t sched_least_loaded(void)
{
    uint32_t best = 0, best_n = ~0u;
    for (uint32_t c = 0; c < ncpus; c++) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < nguests; i++)
            n += guests[i].cpu == c && guests[i].state == GUEST_RUNNING;
        if (n < best_n) {
            best = c;
            best_n = n;
        }
    }
    return best;
}

/* The wake-up boost, as Xen's credit scheduler has it: a guest that
 * halted and is woken by an interrupt (a frame, a key, its timer) gave up
 * the CPU of its own accord, so it goes ahead of the guests that use whole
 * slices, which keep their round-robin order. A guest that never halts is
 * never boosted, so the boost cannot be used to starve the others. */
void sched_wake(struct guest *g)
{
    g->woken = true;
    struct percpu *c = &cpus[g->cpu];
    if (c->current && c->current != g && !c->need_resched) {
        c->need_resched = true;
        c->resume = c->current;     /* the rest of its slice, right after */
    }
}

/* cap=: a guest that has used its share of the current 100 ms window
 * waits for the next one, even with the CPU otherwise idle. */
#define CAP_WINDOW_NS 100000000u

static uint64_t cap_left(struct guest *g, uint64_t now)
{
    if (!g->cfg->cap)
        return ~0ull;
    uint64_t budget = (uint64_t)g->cfg->cap * (CAP_WINDOW_NS / 100);
    if (now - g->cap_start >= CAP_WINDOW_NS) {
        /* a slice can overrun its budget (an exit that takes long, a CPU
         * that is itself a busy host's thread): the excess is paid from
         * the windows that follow, so the share holds over time */
        uint64_t windows = (now - g->cap_start) / CAP_WINDOW_NS;
        g->cap_start += windows * CAP_WINDOW_NS;
        g->cap_used = g->cap_used > windows * budget ? g->cap_used - windows * budget : 0;
    }
    return g->cap_used >= budget ? 0 : budget - g->cap_used;
}

static bool runnable(struct guest *g, uint64_t now)
{
    return ready(g) && cap_left(g, now) > 0;
}

/* Weights: each guest's virtual time runs at 256/weight of its CPU time,
 * and the guest furthest behind runs next (ties in round-robin order), so
 * CPU-bound guests share a CPU in proportion to their weights. A guest
 * that was halted for a long time, or has just arrived, starts at most one
 * slice behind the CPU's clock: halting earns no credit to hog with. */
static uint64_t vtime_of(struct percpu *c, struct guest *g)
{
    if (g->vtime_fresh) {
        g->vtime_fresh = false;
        g->vtime = c->vclock;
    } else if (g->vtime + SLICE_NS < c->vclock) {
        g->vtime = c->vclock - SLICE_NS;
    }
    return g->vtime;
}

static struct guest *pick(struct percpu *c, uint64_t now)
{
    for (uint32_t i = 0; i < nguests; i++) {
        struct guest *g = &guests[i];
        if (g->woken && g->cpu == c->index) {
            g->woken = false;
            if (runnable(g, now))
                return g;
        }
    }
    struct guest *r = c->resume;
    c->resume = 0;
    if (r && r->cpu == c->index && runnable(r, now))
        return r;
    struct guest *best = 0;
    uint64_t best_v = 0;
    uint32_t best_idx = 0;
    for (uint32_t i = 0; i < nguests; i++) {
        uint32_t idx = (c->next + i) % nguests;
        struct guest *g = &guests[idx];
        if (g->cpu != c->index || !runnable(g, now))
            continue;
        uint64_t v = vtime_of(c, g);
        if (!best || v < best_v) {
            best = g;
            best_v = v;
            best_idx = idx;
        }
    }
    if (best) {
        c->next = (best_idx + 1) % nguests;
        if (best_v > c->vclock)
            c->vclock = best_v;
    }
    return best;
}

/* Some guest of c's could run now (pick() without its side effects). */
static bool any_runnable(struct percpu *c, uint64_t now)
{
    for (uint32_t i = 0; i < nguests; i++)
        if (guests[i].cpu == c->index && runnable(&guests[i], now))
            return true;
    return false;
}

/* The CPU sleeps while only capped guests are ready: its slice timer wakes
 * it when the first of them has a new window. */
static void wake_for_caps(struct percpu *c, uint64_t now)
{
    uint64_t at = 0;
    for (uint32_t i = 0; i < nguests; i++) {
        struct guest *g = &guests[i];
        if (g->cpu == c->index && ready(g) && g->cfg->cap && cap_left(g, now) == 0) {
            uint64_t t = g->cap_start + CAP_WINDOW_NS;
            if (!at || t < at)
                at = t;
        }
    }
    if (at)
        timer_arm(&c->slice, at);
}

/* Every guest's CPU time, exits included, goes to its account, its
 * virtual time and its cap window. */
static void account(struct guest *g, uint64_t ran)
{
    g->cpu_ns += ran;
    g->vtime += ran * GUEST_WEIGHT_DEFAULT / g->cfg->weight;
    g->cap_used += ran;
}

static void wake_ipi(uint32_t vector)
{
    (void)vector;
    this_cpu()->ipis++;
    lapic_eoi();
}

void sched_init(void)
{
    irq_set_handler(VEC_WAKE, wake_ipi);
}

/* Entered with the big lock held and interrupts off; never returns. */
void sched_loop(void)
{
    struct percpu *c = this_cpu();
    c->slice.fn = slice_expired;
    vcpu_init();
    c->online = true;
    c->since = clock_ns();
    for (;;) {
        if (c->index == 0) {
            watchdog_pet();     /* the boot CPU still schedules: the machine is alive */
            focus_poll_input();
            netsw_poll_wire();
            gdbstub_poll();
        }
        reap(c);                /* after the monitor: its stop or restart is done now */
        uint64_t now = clock_ns();
        struct guest *g = pick(c, now);
        if (!g) {
            if (idle_zero(c) || ahci_idle_poll() || nvme_idle_poll())
                continue;
            /* Those ran with interrupts on: an interrupt of this CPU's own
             * (a guest's timer, a completion polled or taken here) may have
             * made a guest ready without any IPI, and the hlt below would
             * sleep through it. */
            now = clock_ns();
            if (any_runnable(c, now))
                continue;
            wake_for_caps(c, now);
            c->busy_ns += now - c->since;
            c->since = now;
            c->idle = true;
            big_unlock();
            sti_hlt();          /* any interrupt wakes us: a timer, the UART, an IPI */
            cli();
            big_lock();
            c->idle = false;
            c->since = clock_ns();
            c->idle_ns += c->since - now;
            continue;
        }
        c->need_resched = false;
        uint64_t left = cap_left(g, now);
        timer_arm(&c->slice, now + (left < SLICE_NS ? left : SLICE_NS));
        c->current = g;
        guest_run(g);
        c->current = 0;
        account(g, clock_ns() - now);
        if (g->paused)
            sched_kick(0);      /* whoever paused it (monitor, gdb stub) is on the boot CPU */
    }
}
