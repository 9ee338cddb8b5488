/* The IDT and the C side of every trap. Like Linux: exceptions are
 * interrupt gates with DPL 0, except int3 and into (DPL 3, so user space
 * may execute them); 0x80 is a DPL-3 trap gate, which the host puts into
 * the real IDT so system calls reach us directly; every other vector is an
 * interrupt gate to its stub. */
#include "guest/fpu.h"
#include "guest/hcall.h"
#include "guest/idt.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/timer.h"
#include "guest/trap.h"
#include "guest/user.h"
#include "guest/virtio.h"
#include "guest/x86.h"

volatile u32 trap_counts[256];
volatile u32 alt_int3_count;

void idt_set(unsigned vector, u32 handler, u32 type, u32 dpl)
{
    hcall(LHCALL_LOAD_IDT_ENTRY, vector, gate_lo(handler), gate_hi(handler, type, dpl));
}

void idt_clear(unsigned vector) { hcall(LHCALL_LOAD_IDT_ENTRY, vector, 0, 0); }

void idt_restore(unsigned vector)
{
    u32 type = GATE_INT, dpl = 0;
    if (vector == 3 || vector == 4)
        dpl = 3;
    if (vector == VEC_SYSCALL) {
        type = GATE_TRAP;
        dpl = 3;
    }
    idt_set(vector, trap_stub(vector), type, dpl);
}

void idt_init(void)
{
    /* All 256, including 2, 8, 15 and 0x1F which the host ignores. */
    for (unsigned v = 0; v < 256; v++)
        idt_restore(v);
}

/* If we return to code that has interrupts on and the host is holding
 * one back (irq_pending), take it now rather than at the next exit. */
static void deliver_pending(const struct trap_frame *f)
{
    if ((f->eflags & EFLAGS_IF) && (lguest_data.irq_pending & EFLAGS_IF)) {
        irq_enable();
        irq_disable();
    }
}

void ret_to_user_prepare(struct trap_frame *f)
{
    if (need_resched)
        schedule();
    deliver_pending(f);
    irq_disable();
}

static void kernel_fault(struct trap_frame *f, u32 cr2, u32 irq_enabled)
{
    if (f->vector == 14 && mm_demand_fault(cr2, f->error))
        return;
    if (expect_record(f, cr2, irq_enabled))
        return;
    if (f->vector == 3)
        return;     /* int3 in the kernel: a benchmark, go on after it */
    panic("unexpected trap %u in the kernel: error 0x%x, eip 0x%x, cr2 0x%x", (unsigned)f->vector,
          (unsigned)f->error, (unsigned)f->eip, (unsigned)cr2);
}

void trap_dispatch(struct trap_frame *f)
{
    u32 v = f->vector;
    u64 now = v == VEC_IRQ0 ? rdtsc() : 0;
    /* cr2 first: it is only good until the next page fault (ABI 4.10). */
    u32 cr2 = v == 14 ? lguest_data.cr2 : 0;
    u32 irq_enabled = lguest_data.irq_enabled;

    if (v < 256)
        trap_counts[v]++;
    if (v >= VEC_IRQ0 && v < VEC_IRQ0 + NR_IRQS) {
        if (v == VEC_IRQ0)
            timer_interrupt(now, irq_enabled, f);
        else
            vq_interrupt(v - VEC_IRQ0);     /* lines 1-31: virtqueues */
    } else if (v == VEC_SYSCALL) {
        syscall_dispatch(f, irq_enabled);
    } else if (v == VEC_ALT_INT3) {
        alt_int3_count++;
    } else if (v == 7) {
        fpu_nm_trap();
    } else if (v < 32) {
        if (frame_from_user(f))
            user_fault(f, cr2, irq_enabled);
        else
            kernel_fault(f, cr2, irq_enabled);
    } else {
        /* The host raises only IRQ vectors; anything else is its bug. */
        panic("unexpected vector 0x%x at eip 0x%x", (unsigned)v, (unsigned)f->eip);
    }

    if (frame_from_user(f))
        ret_to_user_prepare(f);
    else
        deliver_pending(f);
    /* Off until the iret routine sets the interrupted code's state: an
     * interrupt now would only nest on this stack after the checks above. */
    irq_disable();
}
