/* Spinlocks, and the one lock that serialises the hypervisor.
 *
 * lgvisor on several CPUs runs guests in parallel but does its own work one
 * CPU at a time: every CPU holds the big lock whenever it is in hypervisor
 * code, and lets go of it only while a guest runs on it, while it sleeps
 * in hlt, and in the few exits that touch nothing but that guest
 * (kernel/lguest/fast_exit.c). Guest execution, which is where the time
 * goes, scales with the CPUs; devices, the log and the allocators need no
 * locks of their own, and every invariant of the single-CPU hypervisor
 * still holds. The rules that make this safe are in docs/ARCHITECTURE.md
 * ("Several CPUs"). */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H
#include <stdbool.h>
#include <stdint.h>

struct spinlock { volatile uint32_t locked; };

static inline bool spin_trylock(struct spinlock *l)
{
    uint32_t old = 1;
    __asm__ volatile("xchgl %0, %1" : "+r"(old), "+m"(l->locked) :: "memory");
    return old == 0;
}

static inline void spin_lock(struct spinlock *l)
{
    while (!spin_trylock(l))
        while (l->locked)
            __asm__ volatile("pause" ::: "memory");
}

static inline void spin_unlock(struct spinlock *l)
{
    __asm__ volatile("" ::: "memory");      /* x86 stores are not reordered with older ones */
    l->locked = 0;
}

/* The big hypervisor lock. Taken with interrupts off; the holder never
 * waits for another CPU (no synchronous IPIs), so spinning cannot deadlock. */
void big_lock(void);
void big_unlock(void);
/* This CPU holds the big lock. */
bool big_lock_held(void);

#endif
