#include <string.h>
#include "guest/fpu.h"
#include "guest/hcall.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/trap.h"
#include "guest/user.h"

struct proc procs[MAX_PROCS];
struct proc *current = &procs[0];
volatile int need_resched;

/* The user image (guest.ld): code shared read-only by every process, data
 * copied into each. */
extern char __user_text_start[], __user_text_end[], __user_data_start[], __user_data_end[];
extern char __user_text_lma[], __user_data_lma[];
/* Where entry functions return to: exits with their result (user/entry.S). */
extern char user_exit_trampoline[];

void user_init(void)
{
    struct proc *p = &procs[0];
    p->pid = 0;
    p->state = P_RUNNABLE;
    p->pgd = kernel_pgd;
    p->kstack_top = (u32)boot_stack_top;
}

void *proc_ptr(struct proc *p, u32 va)
{
    u32 *pte = pte_lookup(p->pgd, va);
    if (!pte || !(*pte & PTE_P))
        panic("proc_ptr: 0x%x not mapped in process %d", (unsigned)va, p->pid);
    return (char *)__va(*pte & ~0xFFFu) + (va & 0xFFF);
}

void proc_set_tls(struct proc *p, unsigned slot, u64 desc) { p->tls[slot] = desc; }

struct proc *proc_create(u32 entry, u32 arg)
{
    struct proc *p = 0;
    for (unsigned i = 1; i < MAX_PROCS && !p; i++)
        if (procs[i].state == P_FREE)
            p = &procs[i];
    if (!p)
        panic("too many processes");
    static int next_pid = 1;
    u32 saved_pid = next_pid++;
    memset((char *)p + sizeof p->fx, 0, sizeof *p - sizeof p->fx);
    p->pid = saved_pid;
    fpu_forget(p);

    /* Address space: the announcements of a directory nobody runs on yet
     * are only a formality, so they go through the async ring. */
    p->pgd = pgd_new();
    u32 text_pa = (u32)__user_text_lma, data_pa = (u32)__user_data_lma;
    for (u32 va = (u32)__user_text_start; va < (u32)__user_text_end; va += PAGE_SIZE)
        map_page(p->pgd, va, text_pa + (va - (u32)__user_text_start), PTE_U, 1);
    for (u32 va = (u32)__user_data_start; va < (u32)__user_data_end; va += PAGE_SIZE) {
        u32 pa = page_alloc();
        memcpy(__va(pa), __va(data_pa + (va - (u32)__user_data_start)), PAGE_SIZE);
        map_page(p->pgd, va, pa, PTE_U | PTE_W | PTE_OWNED, 1);
    }
    for (u32 i = 1; i <= USER_STACK_PAGES; i++)
        map_page(p->pgd, USER_STACK_TOP - i * PAGE_SIZE, page_alloc(), PTE_U | PTE_W | PTE_OWNED, 1);
    hcall_flush();

    /* The stack as if entry had been called from the trampoline, with
     * the argument 16-byte aligned as the i386 ABI wants at a call (SSE
     * code may rely on it). */
    u32 *ustack = proc_ptr(p, USER_STACK_TOP - 20);
    ustack[0] = (u32)user_exit_trampoline;
    ustack[1] = arg;

    /* Kernel stack: the trap frame that proc_first_entry returns through
     * to user mode, and under it what switch_stacks pops. */
    p->kstack_pa = pages_alloc(KSTACK_PAGES);
    p->kstack_top = (u32)__va(p->kstack_pa) + KSTACK_SIZE;
    struct trap_frame *f = (struct trap_frame *)p->kstack_top - 1;
    memset(f, 0, sizeof *f);
    f->eip = entry;
    f->cs = SEL_USER_CS;
    f->eflags = 0x202;
    f->user_esp = USER_STACK_TOP - 20;
    f->user_ss = SEL_USER_DS;
    f->ds = f->es = SEL_USER_DS;
    u32 *sw = (u32 *)f - 5;
    sw[0] = sw[1] = sw[2] = sw[3] = 0;      /* edi esi ebx ebp */
    sw[4] = (u32)proc_first_entry;
    p->ksp = (u32)sw;
    p->state = P_RUNNABLE;
    return p;
}

static struct proc *pick_next(void)
{
    unsigned i = (unsigned)(current - procs);
    for (unsigned n = 1; n <= MAX_PROCS; n++) {
        struct proc *p = &procs[(i + n) % MAX_PROCS];
        if (p->state == P_RUNNABLE)
            return p;
    }
    return &procs[0];
}

void schedule(void)
{
    u32 flags = irq_save();
    need_resched = 0;
    struct proc *prev = current, *next = pick_next();
    if (next != prev) {
        /* GS/FS may hold a TLS selector of prev, and the host reloads them
         * on every entry: a TLS slot replaced below must not be in use. */
        __asm__ __volatile__("movl %0, %%gs; movl %0, %%fs" :: "r"(0));
        /* A context switch in lazy mode, as Linux does it: everything
         * queued, one FLUSH_ASYNC at the end. */
        cur_pgd_pa = pgd_pa(next->pgd);
        hcall_async(LHCALL_NEW_PGTABLE, cur_pgd_pa, 0, 0);
        hcall_async(LHCALL_SET_STACK, SEL_KERNEL_DS, next->kstack_top, KSTACK_PAGES);
        hcall_async(LHCALL_LOAD_TLS, __pa(next->tls), 0, 0);
        fpu_switch(next);
        hcall_flush();
        current = next;
        switch_stacks(&prev->ksp, next->ksp);
    }
    irq_restore(flags);
}

void proc_exit(int code)
{
    struct proc *p = current;
    if (p == &procs[0])
        panic("process 0 exiting (%d)", code);
    p->exit_code = code;
    p->state = P_ZOMBIE;
    fpu_forget(p);
    for (;;)
        schedule();
}

void proc_wait_all(void)
{
    for (;;) {
        int alive = 0;
        for (unsigned i = 1; i < MAX_PROCS; i++)
            alive += procs[i].state == P_RUNNABLE;
        if (!alive)
            return;
        schedule();
    }
}

void proc_reap(struct proc *p)
{
    if (p->state != P_ZOMBIE)
        panic("reaping process %d, which has not exited", p->pid);
    pgd_free(p->pgd);
    pages_free(p->kstack_pa, KSTACK_PAGES);
    p->state = P_FREE;
}

struct proc *proc_run(u32 entry, u32 arg)
{
    struct proc *p = proc_create(entry, arg);
    proc_wait_all();
    return p;
}

void user_fault(struct trap_frame *f, u32 cr2, u32 irq_enabled)
{
    struct proc *p = current;
    fault_fill(&p->fault, f, cr2, irq_enabled);
    p->faults++;
    if (f->vector == 3 && p->resume_bp)
        return;
    proc_exit(EXIT_TRAP(f->vector));
}
