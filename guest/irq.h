/* The guest's virtual interrupt flag (lguest-abi.md 3, 4.7): it lives in
 * lguest_data.irq_enabled, only bit 9 counts. The real IF is always on. */
#ifndef GUEST_IRQ_H
#define GUEST_IRQ_H
#include "guest/hcall.h"
#include "guest/lguest_data.h"

static inline u32 irq_save(void)
{
    u32 flags = lguest_data.irq_enabled;
    lguest_data.irq_enabled = 0;
    barrier();
    return flags;
}

static inline void irq_disable(void)
{
    lguest_data.irq_enabled = 0;
    barrier();
}

/* Re-enabling: the host could not deliver while we were off, so it left
 * irq_pending set; the hypercall is the exit it needs to deliver now.
 * (Linux 3.10's local_irq_enable forgets this; we do not.) */
static inline void irq_restore(u32 flags)
{
    barrier();
    lguest_data.irq_enabled = flags;
    barrier();
    if ((flags & EFLAGS_IF) && (lguest_data.irq_pending & EFLAGS_IF))
        hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0);
}

static inline void irq_enable(void) { irq_restore(EFLAGS_IF); }
static inline int irqs_enabled(void) { return (lguest_data.irq_enabled & EFLAGS_IF) != 0; }

/* Line masks: bit n of blocked_interrupts (no hypercall: the host reads
 * the word before every entry). */
static inline void irq_block(unsigned line)
{
    __asm__ __volatile__("lock btsl %1, %0" : "+m"(lguest_data.blocked_interrupts) : "r"(line) : "memory");
}

static inline void irq_unblock(unsigned line)
{
    __asm__ __volatile__("lock btrl %1, %0" : "+m"(lguest_data.blocked_interrupts) : "r"(line) : "memory");
}

/* Sleeps until an interrupt has been handled ("sti; hlt": ABI 4.8).
 * Returns with interrupts enabled. Call with them disabled, after checking
 * the condition being waited for, so no wake-up is lost. */
static inline void halt(void) { hcall(LHCALL_HALT, 0, 0, 0); }

#endif
