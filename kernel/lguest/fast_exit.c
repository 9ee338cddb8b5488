/* The exits a guest makes most, handled on its own CPU without the big
 * lock, and the guest entered again straight away: a page fault (the
 * shadow filled from the guest's tables, or the fault reflected into the
 * guest when its tables say so and its stack is already shadowed) and
 * SET_PTE, alone or queued in the asynchronous ring (Linux's kmap, fork
 * and exec make thousands a second).
 * With several CPUs the big lock is what their guests would otherwise
 * queue for. Anything else, and anything these find out of the ordinary,
 * goes the usual way under the lock (see shadow_fast.c for why that is
 * always safe: nothing is changed before the fast path says yes). */
#include "kernel/hot.h"
#include "kernel/lguest/guest.h"
#include "arch/x86/x86.h"
#include "drivers/e1000.h"
#include "kernel/percpu.h"
#include "virtio/net.h"

/* The queued calls first, in order, while each is a SET_PTE done here;
 * then the synchronous one. The ring stays where the first call that
 * needs the lock is, for hypercall() to go on from. */
HOT static bool hcall_fast(struct guest *g)
{
    struct trap_frame *f = g->regs;
    volatile struct lguest_data *ld = g->ld;
    if (!ld)
        return false;
    for (uint32_t n = 0; n < LG_ASYNC_SLOTS; n++) {
        uint32_t i = g->async_cursor;
        if (ld->hcall_status[i] == LG_HCALL_DONE)
            break;
        uint32_t nr = ld->hcalls[i][0], a1 = ld->hcalls[i][1], a2 = ld->hcalls[i][2], a3 = ld->hcalls[i][3];
        if (nr != LHCALL_SET_PTE || !shadow_set_pte_fast(g, a1, a2, a3))
            return false;
        g->async_cursor = (i + 1) % LG_ASYNC_SLOTS;
        g->stats.async_calls++;
        g->stats.by_hcall[LHCALL_SET_PTE]++;
        ld->hcall_status[i] = LG_HCALL_DONE;
    }
    uint32_t nr = f->eax;
    if (nr == LHCALL_SET_PTE) {
        if (!shadow_set_pte_fast(g, f->ebx, f->ecx, f->edx))
            return false;
    } else if (nr != LHCALL_FLUSH_ASYNC) {
        return false;
    }
    g->stats.hypercalls++;
    g->stats.by_hcall[nr]++;
    return true;
}

HOT bool guest_exit_fast(struct guest *g)
{
    struct trap_frame *f = g->regs;
    uint32_t v = f->vector;
    if (g->debugged)
        return false;
    if (v == 14) {
        uint32_t cr2 = read_cr2(), err = f->error, eip = f->eip;
        enum shadow_fast r = shadow_fault_fast(g, cr2, &err);
        if (r == FAST_SLOW || (r == FAST_REFLECT && !guest_reflect_pf_fast(g, err, cr2)))
            return false;
        g->last_trap = (struct last_trap){ 14, f->error, eip, cr2, g->stats.exits + 1 };
    } else if (v == LG_HCALL_VECTOR) {
        if (!hcall_fast(g))
            return false;
    } else {
        return false;
    }
    g->stats.exits++;
    g->stats.fast_exits++;
    g->stats.by_vector[v]++;
    return true;
}

/* Read without the lock. Whoever sets one of these from another CPU (an
 * interrupt for the guest, a stop, a pause, a move) also sends this CPU an
 * IPI, which waits while interrupts are off here and makes the guest exit
 * the moment it is entered: a flag missed now is seen at that exit. */
HOT bool guest_fast_again(struct guest *g, struct percpu *c)
{
    return !c->need_resched && g->state == GUEST_RUNNING && !g->paused && g->cpu == c->index &&
           !g->halted && !g->shadow.pin_needed && !g->sata && !e1000_pending &&
           g->ld && !(g->irqs_pending & ~g->ld->blocked_interrupts) && !vnet_watching(g);
}
