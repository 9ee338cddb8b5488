/* test=syscalls: a user process calls the kernel through the DPL-3 trap
 * gate at 0x80, which reaches the guest kernel without the host
 * (lguest-abi.md 4.3): arguments, results, registers, bad pointers (the
 * process reports those itself, user/syscalls.c); the entry frame and
 * process switching by yield are checked here. */
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/user.h"

void test_syscalls(void)
{
    struct proc *p = proc_create((u32)u_syscalls_main, 0x5CA11);
    int pid = p->pid;
    u32 top = p->kstack_top;
    proc_wait_all();
    check(p->exit_code == 42, "syscalls/exit-code", "exit code %d, expected 42", p->exit_code);
    check(p->values[0] == (u32)pid && p->values[1] == 0x5CA11, "syscalls/getpid-and-arg",
          "getpid %u (pid %d), argument 0x%x", (unsigned)p->values[0], pid, (unsigned)p->values[1]);
    check(p->sc_cs == SEL_USER_CS && p->sc_ss == SEL_USER_DS, "syscalls/frame-selectors",
          "CS 0x%x SS 0x%x in the system-call frame", (unsigned)p->sc_cs, (unsigned)p->sc_ss);
    check(p->sc_frame_end == top, "syscalls/frame-on-kernel-stack",
          "frame ends at 0x%x, SET_STACK said 0x%x", (unsigned)p->sc_frame_end, (unsigned)top);
    /* A trap gate leaves the virtual IF alone: user mode had it on. */
    check(p->sc_irq_enabled & EFLAGS_IF, "syscalls/irqs-stay-on", "irq_enabled 0x%x during the call",
          (unsigned)p->sc_irq_enabled);
    check(p->faults == 0, "syscalls/no-traps", "%u traps from the process, last vector %u", p->faults,
          (unsigned)p->fault.vector);
    if (p->values[3])
        printf("syscalls: %u cycles per system call round trip\n", (unsigned)(p->values[2] / p->values[3]));
    proc_reap(p);

    /* Two processes and the kernel's own, taking turns. */
    struct proc *a = proc_create((u32)u_yield_main, 11), *b = proc_create((u32)u_yield_main, 22);
    int pa = a->pid, pb = b->pid;
    proc_wait_all();
    int seen_other = 0;
    for (unsigned i = 1; i <= 8; i++)
        seen_other |= a->values[i] != (u32)pa || b->values[i] != (u32)pb;
    check(a->exit_code == 11 && b->exit_code == 22 && a->values[0] == 10 && b->values[0] == 10 && !seen_other,
          "syscalls/two-processes", "exits %d/%d, progress %u/%u, each saw its own pid %d",
          a->exit_code, b->exit_code, (unsigned)a->values[0], (unsigned)b->values[0], !seen_other);
    proc_reap(a);
    proc_reap(b);
}
