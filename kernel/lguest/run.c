/* Running one guest: enter it through the switcher, handle its exit,
 * repeat, until it stops, halts with nothing to deliver, or its time slice
 * ends, or it is moved to another CPU. The loop runs with interrupts off
 * and the big lock held, except inside the guest and in the exits that
 * need only the guest itself (fast_exit.c); a hardware interrupt
 * that arrives while the guest runs is itself an exit, handled like any
 * trap. */
#include "kernel/hot.h"
#include "kernel/lguest/guest.h"
#include "arch/x86/switcher.h"
#include "arch/x86/x86.h"
#include "drivers/e1000.h"
#include "kernel/lock.h"
#include "kernel/percpu.h"
#include "virtio/block.h"
#include "virtio/net.h"
#include "virtio/netswitch.h"

#define EFLAGS_SAFE_CLEAR 0x00023000u   /* VM and IOPL: never the guest's to set */

HOT void guest_run(struct guest *g)
{
    uint64_t exit_tsc = 0;      /* when the last exit came back to us */
    struct percpu *c = this_cpu();
    vcpu_load(g);
    while (guest_alive(g) && !g->paused && !c->need_resched && g->cpu == c->index) {
        guest_deliver_interrupts(g);
        if (!guest_alive(g) || g->halted)
            break;
        if (g->shadow.pin_needed && g->stack_pages && !shadow_pin_stack(g))
            break;
        uint32_t cr3 = shadow_cr3(g);
        if (!cr3)
            break;
        vcpu_fpu_prepare(g);
        if (exit_tsc) {
            g->stats.host_cycles += rdtsc() - exit_tsc;
            g->stats.host_samples++;
        }
        g->regs->eflags = (g->regs->eflags & ~EFLAGS_SAFE_CLEAR) | EFLAGS_IF | 2;
        /* Only the guest itself runs unlocked: every other CPU that wants
         * it to notice something (an interrupt, a stop) also sends this CPU
         * an IPI, which is an exit. */
        big_unlock();
        uint32_t why = switcher_run(cr3);
        /* the commonest exits need only the guest: handled here and
         * straight back in, while nothing else wants this CPU */
        bool fast = false;
        while (why != SWITCH_ENTRY_FAULT && (fast = guest_exit_fast(g)) && guest_fast_again(g, c)) {
            g->regs->eflags = (g->regs->eflags & ~EFLAGS_SAFE_CLEAR) | EFLAGS_IF | 2;
            why = switcher_run(cr3);
            fast = false;
        }
        big_lock();
        if (why == SWITCH_ENTRY_FAULT) {
            guest_kill(g, "unhandled trap 256: its saved segment registers or EIP could not be "
                          "loaded (cs 0x%lx ss 0x%lx ds 0x%lx es 0x%lx fs 0x%lx gs 0x%lx)",
                       (unsigned long)g->regs->cs, (unsigned long)g->regs->ss,
                       (unsigned long)g->regs->ds, (unsigned long)g->regs->es,
                       (unsigned long)g->regs->fs, (unsigned long)g->regs->gs);
            break;
        }
        exit_tsc = rdtsc();
        if (!fast)
            guest_handle_exit(g);
        vnet_exit(g);           /* frames queued without a kick */
        if (g->sata)
            vblk_sata_exit(g);  /* disk requests likewise */
        if (e1000_pending)      /* frames from the wire: into guests' rings now */
            netsw_poll_wire();
    }
}
