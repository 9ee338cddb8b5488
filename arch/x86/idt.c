/* The hypervisor's IDT: every vector goes to its stub in vectors.S, except
 * the double fault, which is a task gate (see gdt.c). */
#include "arch/x86/trap.h"
#include "arch/x86/selectors.h"
#include "arch/x86/x86.h"
#include "kernel/entropy.h"
#include "kernel/lock.h"

extern const uint32_t trap_vectors[256];
static uint64_t idt[256] __attribute__((aligned(64)));
static irq_handler_t handlers[256];
struct irq_stats irq_stats;

static uint64_t interrupt_gate(uint32_t handler)
{
    /* present, DPL 0, 32-bit interrupt gate: IF is cleared on entry */
    return (handler & 0xFFFF) | ((uint64_t)SEL_HOST_CS << 16) |
           ((uint64_t)0x8E00 << 32) | ((uint64_t)(handler >> 16) << 48);
}

static void halt_here(uint32_t vector)
{
    (void)vector;
    for (;;)
        cli_hlt();
}

void idt_init(void)
{
    for (int v = 0; v < 256; v++)
        idt[v] = interrupt_gate(trap_vectors[v]);
    idt[8] = ((uint64_t)SEL_HOST_DF_TSS << 16) | ((uint64_t)0x8500 << 32);  /* task gate */
    handlers[VEC_HALT] = halt_here;
    struct dtr d = { sizeof(idt) - 1, (uint32_t)idt };
    lidt(&d);
}

void irq_set_handler(uint32_t vector, irq_handler_t fn)
{
    if (vector >= 32 && vector < 256)
        handlers[vector] = fn;
}

void irq_dispatch(uint32_t v)
{
    irq_stats.count[v & 255]++;
    entropy_mix(rdtsc() ^ v);       /* when an interrupt comes is hard to foresee */
    if (handlers[v & 255])
        handlers[v & 255](v);
    else
        irq_stats.unexpected++;
}

void trap_dispatch(struct trap_frame *tf)
{
    uint32_t v = tf->vector;
    if (v == 1) {
        /* a debug trap the hypervisor never asked for (a guest's TF or
         * pending #DB leaking into ring 0): not a reason to stop */
        tf->eflags &= ~0x100u;
        irq_stats.unexpected++;
        return;
    }
    if (v < 32)
        fault_report(tf, read_cr2());
    /* An interrupt in the hypervisor's own code: from hlt or an idle
     * stretch with interrupts on. Its handler needs the big lock, which
     * hlt let go of (and idle work with interrupts on still holds). */
    if (v == VEC_HALT)
        for (;;)
            cli_hlt();      /* the CPU reporting a fault may hold the lock */
    bool take = !big_lock_held();
    if (take)
        big_lock();
    irq_dispatch(v);
    if (take)
        big_unlock();
}
