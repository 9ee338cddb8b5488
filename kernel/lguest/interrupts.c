/* Delivering traps and virtual interrupts into a guest (lguest ABI 4.5,
 * 4.7): the hypervisor does what the CPU would have done had the guest's
 * IDT been real, pushing the frame on the guest's stack through the
 * guest's own page tables, checked like any guest access. */
#include "kernel/hot.h"
#include "kernel/lguest/guest.h"
#include "kernel/sched.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/lguest/gate.h"

#define EFLAGS_TF 0x00000100u
#define EFLAGS_NT 0x00004000u
#define EFLAGS_RF 0x00010000u
#define POLL_NS   1000000u      /* how soon a waiting interrupt gets another chance */

/* Writes n bytes at guest-virtual va as the guest kernel would. */
static bool write_virt(struct guest *g, uint32_t va, const uint8_t *src, uint32_t n, uint32_t vector)
{
    uint32_t gpa;
    enum shadow_result r = shadow_translate(g, va, true, &gpa);
    if (r == SHADOW_KILLED)
        return false;
    if (r != SHADOW_FIXED) {
        guest_kill(g, "bad address 0x%08lx: cannot push the frame for trap %lu",
                   (unsigned long)va, (unsigned long)vector);
        return false;
    }
    if (!gmem_write(&g->mem, gpa, src, n)) {
        guest_kill(g, "bad write address 0x%08lx len %lu", (unsigned long)gpa, (unsigned long)n);
        return false;
    }
    return true;
}

static bool push(struct guest *g, uint32_t *esp, uint32_t value, uint32_t vector)
{
    *esp -= 4;
    const uint8_t *bytes = (const uint8_t *)&value;
    if ((*esp & 0xFFF) <= 0xFFC)
        return write_virt(g, *esp, bytes, 4, vector);
    for (uint32_t i = 0; i < 4; i++)        /* straddles two pages */
        if (!write_virt(g, *esp + i, bytes + i, 1, vector))
            return false;
    return true;
}

/* Pushes frame[n-1] first, down to frame[0]. The frame nearly always lies
 * in one page: then that page is translated once and written at once (each
 * translation is a walk of the guest's tables); otherwise, or when the page
 * will not translate, word by word, so a failure names the first word that
 * cannot be pushed, as the CPU would fault on it. */
static bool push_frame(struct guest *g, uint32_t *esp, const uint32_t *frame, uint32_t n,
                       uint32_t vector)
{
    uint32_t low = *esp - n * 4, gpa;
    if (((*esp - 1) >> 12) == (low >> 12) && low < *esp) {
        enum shadow_result r = shadow_translate(g, low, true, &gpa);
        if (r == SHADOW_KILLED)
            return false;
        if (r == SHADOW_FIXED) {
            if (!gmem_write(&g->mem, gpa, frame, n * 4)) {
                guest_kill(g, "bad write address 0x%08lx len %lu", (unsigned long)gpa,
                           (unsigned long)(n * 4));
                return false;
            }
            *esp = low;
            return true;
        }
    }
    for (uint32_t i = n; i-- > 0;)
        if (!push(g, esp, frame[i], vector))
            return false;
    return true;
}

/* A trap on its way into the guest: the gate, the stack it lands on and
 * the frame pushed there (lowest address first), as the CPU would make
 * them (ABI 4.5). */
struct reflection {
    uint64_t gate;
    uint32_t ss, esp;
    uint32_t frame[6], n;
};

enum plan { PLAN_OK, PLAN_NO_GATE, PLAN_NO_STACK };

static enum plan plan(struct guest *g, uint32_t vector, bool has_error, uint32_t error, struct reflection *r)
{
    struct trap_frame *f = g->regs;
    r->gate = g->idt[vector & 255];
    if (!g->ld || !gate_present(r->gate))
        return PLAN_NO_GATE;
    r->ss = f->ss;
    r->esp = f->esp;
    bool from_user = (f->ss & 3) != 1;
    if (from_user) {
        if (!g->ss1)
            return PLAN_NO_STACK;
        r->ss = g->ss1;
        r->esp = g->esp1;
    }
    uint32_t eflags = f->eflags;
    if (!(g->ld->irq_enabled & EFLAGS_IF))
        eflags &= ~EFLAGS_IF;
    r->n = 0;
    if (has_error)
        r->frame[r->n++] = error;
    r->frame[r->n++] = f->eip;
    r->frame[r->n++] = f->cs;
    r->frame[r->n++] = eflags;
    if (from_user) {
        r->frame[r->n++] = f->esp;
        r->frame[r->n++] = f->ss;
    }
    return PLAN_OK;
}

/* The frame is on the guest's stack, which now ends at esp: into the
 * handler. */
static void enter(struct guest *g, const struct reflection *r, uint32_t esp)
{
    struct trap_frame *f = g->regs;
    f->ss = r->ss;
    f->esp = esp;
    f->cs = GUEST_KERNEL_CS_SEL;
    f->eip = gate_offset(r->gate);
    /* as the CPU does on any gate: no single-stepping into the handler */
    f->eflags &= ~(EFLAGS_TF | EFLAGS_NT | EFLAGS_RF);
    if (gate_type(r->gate) == GATE_TYPE_INT)
        g->ld->irq_enabled = 0;
    g->stats.reflected++;
}

HOT bool guest_reflect(struct guest *g, uint32_t vector, bool has_error, uint32_t error)
{
    struct trap_frame *f = g->regs;
    struct reflection r;
    switch (plan(g, vector, has_error, error, &r)) {
    case PLAN_NO_GATE:
        /* a kernel that traps before LGUEST_INIT is almost always one
         * built without lguest support, running native code in ring 1 */
        guest_kill(g, "unhandled trap %lu at 0x%08lx (0x%lx)%s", (unsigned long)vector,
                   (unsigned long)f->eip, (unsigned long)(vector == 14 ? read_cr2() : error),
                   g->ld ? "" : " before LGUEST_INIT: not an lguest guest kernel?");
        return false;
    case PLAN_NO_STACK:
        guest_kill(g, "trap %lu from user mode before SET_STACK", (unsigned long)vector);
        return false;
    case PLAN_OK:
        break;
    }
    uint32_t esp = r.esp;
    if (!push_frame(g, &esp, r.frame, r.n, vector))
        return false;
    enter(g, &r, esp);
    return true;
}

/* guest_reflect of a page fault without the big lock (fast_exit.c): only
 * when the whole frame goes into one stack page that the shadow already
 * maps writable (so there is nothing to check, mark or zero: the CPU
 * would have written it through the same entry); false, having changed
 * nothing, otherwise. */
HOT bool guest_reflect_pf_fast(struct guest *g, uint32_t err, uint32_t cr2)
{
    struct reflection r;
    if (plan(g, 14, true, err, &r) != PLAN_OK)
        return false;
    uint32_t low = r.esp - r.n * 4;
    volatile uint32_t *dst = low < r.esp ? shadow_stack_fast(g, low, r.n * 4) : 0;
    if (!dst)
        return false;
    for (uint32_t i = 0; i < r.n; i++)
        dst[i] = r.frame[i];
    g->ld->cr2 = cr2;
    enter(g, &r, low);
    g->stats.pf_reflected++;
    return true;
}

void guest_set_time(struct guest *g)
{
    uint64_t ns = clock_wall_ns();
    g->ld->time_sec = (uint32_t)(ns / 1000000000u);
    g->ld->time_nsec = (uint32_t)(ns % 1000000000u);
}

void guest_raise_irq(struct guest *g, uint32_t irq)
{
    if (irq < LG_IRQS && guest_alive(g)) {
        g->irqs_pending |= 1u << irq;
        if (g->halted)
            sched_wake(g);  /* it waited for this: it runs next, ahead of busy guests */
        guest_kick(g);      /* a guest on another CPU hears of it now */
    }
}

HOT bool guest_has_deliverable_irq(struct guest *g)
{
    return g->ld && (g->irqs_pending & ~g->ld->blocked_interrupts);
}

static void poll_later(struct guest *g)
{
    if (!g->poll.armed)
        timer_arm(&g->poll, clock_ns() + POLL_NS);
}

/* At most one interrupt per entry, the lowest line first (ABI 4.7). */
HOT void guest_deliver_interrupts(struct guest *g)
{
    if (!g->ld)
        return;
    uint32_t avail = g->irqs_pending & ~g->ld->blocked_interrupts;
    if (!avail) {
        if (g->ld->irq_pending)
            g->ld->irq_pending = 0;
        return;
    }
    uint32_t eip = g->regs->eip;
    if (eip >= g->noirq_start && eip < g->noirq_end) {
        poll_later(g);      /* inside the guest's iret: just after it, then */
        return;
    }
    if (g->halted) {
        g->ld->irq_enabled = EFLAGS_IF;     /* "sti; hlt" semantics */
        g->halted = false;
    } else if (!(g->ld->irq_enabled & EFLAGS_IF)) {
        g->ld->irq_pending = EFLAGS_IF;
        poll_later(g);
        return;
    }
    uint32_t irq = (uint32_t)__builtin_ctz(avail);
    if (!gate_present(g->idt[LG_FIRST_IRQ_VECTOR + irq]))
        return;             /* stays pending until the guest has a handler */
    g->irqs_pending &= ~(1u << irq);
    if (!guest_reflect(g, LG_FIRST_IRQ_VECTOR + irq, false, 0))
        return;
    guest_set_time(g);
    g->stats.irqs_injected++;
    g->ld->irq_pending = (g->irqs_pending & ~g->ld->blocked_interrupts) ? EFLAGS_IF : 0;
}
