/* System calls arrive through the DPL-3 trap gate at 0x80, which the host
 * puts straight into the real IDT: the CPU switches to the stack from
 * SET_STACK and enters here without any hypervisor exit (ABI 4.3). */
#include <string.h>
#include "guest/console.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/trap.h"
#include "guest/user.h"

/* Copies a NUL-terminated user string (at most cap - 1 characters). */
static int copy_str(char *dst, u32 va, u32 cap)
{
    for (u32 i = 0; i < cap - 1; i++, va++) {
        if (!user_range_ok(current->pgd, va, 1, 0))
            return -E_FAULT;
        dst[i] = *(const char *)va;
        if (!dst[i])
            return 0;
    }
    dst[cap - 1] = 0;
    return 0;
}

static int sys_write(u32 va, u32 len)
{
    if (len > 4096)
        return -E_INVAL;
    if (!user_range_ok(current->pgd, va, len, 0))
        return -E_FAULT;
    console_write((const char *)va, len);
    return (int)len;
}

static int sys_report(u32 ok, u32 name_va, u32 why_va)
{
    char name[96], why[160] = "";
    if (copy_str(name, name_va, sizeof name) || (why_va && copy_str(why, why_va, sizeof why)))
        return -E_FAULT;
    check(ok != 0, name, "%s", why);
    return 0;
}

void syscall_dispatch(struct trap_frame *f, u32 irq_enabled)
{
    struct proc *p = current;
    p->sc_count++;
    p->sc_frame_end = (u32)(f + 1);
    p->sc_cs = f->cs & 0xFFFF;
    p->sc_ss = f->user_ss & 0xFFFF;
    p->sc_irq_enabled = irq_enabled;

    int r;
    switch (f->eax) {
    case SYS_EXIT:
        proc_exit((int)f->ebx);
    case SYS_WRITE:
        r = sys_write(f->ebx, f->ecx);
        break;
    case SYS_YIELD:
        schedule();
        r = 0;
        break;
    case SYS_GETPID:
        r = p->pid;
        break;
    case SYS_REPORT:
        r = sys_report(f->ebx, f->ecx, f->edx);
        break;
    case SYS_ADD3:
        r = (int)(f->ebx + f->ecx + f->edx);
        break;
    case SYS_XOR5:
        r = (int)(f->ebx ^ f->ecx ^ f->edx ^ f->esi ^ f->edi);
        break;
    case SYS_RECORD:
        if (f->ebx >= PROC_VALUES) {
            r = -E_INVAL;
        } else {
            p->values[f->ebx] = f->ecx;
            r = 0;
        }
        break;
    case SYS_NOP:
        r = 0;
        break;
    default:
        r = -E_NOSYS;
    }
    f->eax = (u32)r;
}
