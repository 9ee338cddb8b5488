/* The system-call program (tests/syscalls.c runs it): arguments in, results
 * out, registers kept, bad pointers refused. It returns 42, which the
 * kernel sees as its exit code. */
#include "guest/user/ulib.h"

int u_syscalls_main(u32 arg)
{
    u_record(0, (u32)u_getpid());
    u_record(1, arg);

    int a = u_sc3(SYS_ADD3, 1, 2, 3), b = u_sc3(SYS_ADD3, 0x7FFFFFFF, 1, 0x10);
    u_report(a == 6 && (u32)b == 0x80000010u, "syscalls/args", "add3 gave %d and 0x%x", a, (u32)b);

    u32 x = (u32)u_sc5(SYS_XOR5, 0x1, 0x20, 0x300, 0x4000, 0x50000);
    u_report(x == 0x54321, "syscalls/five-args", "xor5 gave 0x%x, expected 0x54321", x);

    u32 changed = u_regs_syscall();
    u_report(changed == 0, "syscalls/regs-preserved", "changed register mask 0x%x (bit 0 EAX, 1 EBX, "
             "2 ECX, 3 EDX, 4 ESI, 5 EDI, 6 EBP)", changed);

    static const char hello[] = "lgtest user: hello from CPL 3\n";
    int n = u_write(hello, sizeof hello - 1);
    u_report(n == (int)sizeof hello - 1, "syscalls/write", "write returned %d", n);

    int k = u_write((const char *)(KERNEL_BASE + KERNEL_PHYS), 4);
    int z = u_write((const char *)0, 4);
    int w = u_write((const char *)(USER_STACK_TOP - 2), 4);
    u_report(k == -E_FAULT && z == -E_FAULT && w == -E_FAULT, "syscalls/bad-pointer",
             "kernel address %d, NULL %d, past the stack %d (want -%d)", k, z, w, E_FAULT);

    int e = u_sc3(999, 0, 0, 0), r = u_record(PROC_VALUES, 1);
    u_report(e == -E_NOSYS && r == -E_INVAL, "syscalls/errors", "unknown call %d, bad index %d", e, r);

    /* Many in a row: the direct gate must keep working, and we learn what
     * one costs. */
    u32 bad = 0, loops = 20000;
    u64 t0 = u_rdtsc();
    for (u32 i = 0; i < loops; i++)
        bad += u_sc3(SYS_ADD3, i, i, i) != (int)(3 * i);
    u64 t1 = u_rdtsc();
    u_record(2, (u32)((t1 - t0) >> 10));        /* cycles per 1024 calls / 1024 */
    u_record(3, loops >> 10);
    u_report(bad == 0, "syscalls/many", "%u of %u calls returned a wrong sum", bad, loops);
    return 42;
}

/* Yields n times, recording its progress; exits with arg. */
int u_yield_main(u32 arg)
{
    for (u32 i = 0; i < 10; i++) {
        u_record(0, i + 1);
        u_record(1 + i % 8, (u32)u_getpid());
        u_yield();
    }
    return (int)arg;
}
