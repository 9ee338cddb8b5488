/* Processes: user-mode programs from guest/user/ at CPL 3 (CS 0x73, SS/DS
 * 0x7B), each with its own page directory, kernel stack, TLS slots and FPU
 * image; round-robin scheduling, preemption by the timer tick when it runs. */
#ifndef GUEST_USER_H
#define GUEST_USER_H
#include "guest/layout.h"
#include "guest/syscall_abi.h"
#include "guest/test.h"

#define MAX_PROCS 8

enum proc_state { P_FREE, P_RUNNABLE, P_ZOMBIE };

struct proc {
    u8 fx[512] __attribute__((aligned(16)));    /* fxsave image while not in the FPU */
    u64 tls[3];             /* GDT entries 6-8 while it runs */
    int pid;
    enum proc_state state;
    u32 ksp;                /* kernel ESP while switched out */
    u32 *pgd;
    u32 kstack_pa;
    u32 kstack_top;         /* what SET_STACK gets */
    int exit_code;
    int resume_bp;          /* a user int3 continues instead of killing */
    unsigned faults;
    struct fault_rec fault; /* the last trap from user mode */
    /* The last system call as the kernel saw it. */
    u32 sc_count, sc_frame_end, sc_cs, sc_ss, sc_irq_enabled;
    u32 values[PROC_VALUES];        /* SYS_RECORD */
};

extern struct proc procs[MAX_PROCS];
extern struct proc *current;
extern volatile int need_resched;

void user_init(void);
/* A new runnable process that starts at user address entry with arg as
 * its one argument; returning from entry exits with the return value. */
struct proc *proc_create(u32 entry, u32 arg);
/* Sets a process's TLS slots (they are loaded on every switch to it). */
void proc_set_tls(struct proc *p, unsigned slot, u64 desc);
/* Kernel pointer to user address va of p (which must be mapped). */
void *proc_ptr(struct proc *p, u32 va);
/* The kernel's process (0) runs everything else until they all exited. */
void proc_wait_all(void);
/* Frees an exited process. */
void proc_reap(struct proc *p);
/* Runs one process to its end; returns it (exited, not reaped). */
struct proc *proc_run(u32 entry, u32 arg);

void schedule(void);
void proc_exit(int code) __attribute__((noreturn));

struct trap_frame;
void user_fault(struct trap_frame *f, u32 cr2, u32 irq_enabled);
void syscall_dispatch(struct trap_frame *f, u32 irq_enabled);

/* Exit codes of a process killed by a trap: -1000 - vector. */
#define EXIT_TRAP(v) (-1000 - (int)(v))

#endif
