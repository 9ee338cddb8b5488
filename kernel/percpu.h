/* What each CPU keeps for itself. Every CPU has its own copy of the
 * hypervisor's page directory, differing only in the switcher slot, so the
 * switcher's register and tables pages sit at the same addresses on every
 * CPU but are that CPU's own: switcher.S needs no CPU number, and the tables
 * page says which CPU this is (TBL_CPU). */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H
#include <stdbool.h>
#include <stdint.h>
#include "arch/x86/gdt.h"
#include "arch/x86/switcher.h"
#include "kernel/timer.h"

#define MAX_CPUS 64

struct guest;

struct percpu {
    uint32_t index;                 /* 0 = the boot CPU */
    uint32_t apic_id;
    volatile bool online;           /* running its scheduler */

    /* address space and switcher pages */
    uint32_t cr3;                   /* this CPU's address space: its PDPT */
    uint64_t *host_pt, *guest_pt;   /* the two page tables of the switcher slot */
    uint8_t *tables;                /* its tables page, through the identity map */
    struct tss *df_tss;             /* its double-fault task */

    /* what is loaded on the CPU (vcpu.c) */
    struct guest *vcpu_loaded, *vcpu_fpu;
    bool vcpu_cr0_ts;

    /* timers (timer.c) and scheduling (sched.c) */
    struct timer *timer_head;
    struct timer slice;
    volatile bool need_resched;
    uint32_t next;                  /* round-robin position */
    uint64_t vclock;                /* the vtime of the guest it last picked */
    struct guest *current;          /* in guest_run, or NULL */
    struct guest *resume;           /* preempted by a woken guest: runs after it */
    uint64_t busy_ns, idle_ns, since;   /* time awake / halted, and since when */
    volatile bool idle;             /* in hlt now */
    uint64_t ipis;                  /* wake-ups received */
    uint64_t lock_wait;             /* TSC cycles spent waiting for the big lock */
    uint64_t lock_held, lock_since; /* TSC cycles holding it, and since when */
};

extern struct percpu cpus[MAX_CPUS];
extern uint32_t ncpus;              /* CPUs brought up (cpus[0..ncpus)) */
extern bool percpu_ready;           /* the tables page names the CPU */

static inline struct percpu *this_cpu(void)
{
    if (__builtin_expect(!percpu_ready, 0))
        return &cpus[0];
    return &cpus[*(const uint32_t *)(SWITCHER_TABLES_VA + TBL_CPU)];
}

#endif
