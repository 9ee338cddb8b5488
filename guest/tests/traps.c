/* test=traps: traps reflected into the guest with exact frames
 * (lguest-abi.md 4.5, 4.10), from the kernel (CPL 1: EIP, CS 0x61, EFLAGS)
 * and from user mode (plus ESP, SS 0x7B, on the SET_STACK stack); the
 * instructions the host emulates at CPL 1 (4.6); a user-mode hypercall. */
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/user.h"
#include "guest/x86.h"

/* Common to every kernel-mode frame: CS, no SS/ESP pushed, the error code
 * slot consumed exactly when the vector has one. */
static unsigned kernel_frame_bad;

static int kernel_frame_ok(const char *name, const struct fault_rec *r)
{
    int ok = r->cs == SEL_KERNEL_CS && !r->from_user && r->frame_end == probe_esp;
    if (!ok) {
        kernel_frame_bad++;
        printf("traps: %s frame: cs 0x%x, frame ends at 0x%x, probe ESP 0x%x\n", name, (unsigned)r->cs,
               (unsigned)r->frame_end, (unsigned)probe_esp);
    }
    return ok;
}

static void kernel_traps(void)
{
    struct fault_rec r = { 0 };
    int got;

    expect_fault((u32)probe_div0_resume);
    probe_div0();
    got = expect_taken(&r);
    check(got && r.vector == 0 && r.eip == (u32)probe_div0_insn && kernel_frame_ok("divide", &r),
          "traps/divide", "trap %d: vector %u at 0x%x", got, (unsigned)r.vector, (unsigned)r.eip);

    expect_fault(0);
    probe_int3();
    got = expect_taken(&r);
    check(got && r.vector == 3 && r.eip == (u32)probe_int3_after && kernel_frame_ok("int3", &r),
          "traps/int3", "trap %d: vector %u at 0x%x, want 3 at 0x%x (after the int3)", got,
          (unsigned)r.vector, (unsigned)r.eip, (unsigned)probe_int3_after);

    expect_fault((u32)probe_ud2_resume);
    probe_ud2();
    got = expect_taken(&r);
    check(got && r.vector == 6 && r.eip == (u32)probe_ud2_insn && kernel_frame_ok("ud2", &r), "traps/ud2",
          "trap %d: vector %u at 0x%x", got, (unsigned)r.vector, (unsigned)r.eip);

    /* GDT entry 1 is empty: loading it is a #GP with the selector as the
     * error code (not 0, so the host does not try to emulate). */
    expect_fault((u32)probe_gp_selector_resume);
    probe_gp_selector(0x08);
    got = expect_taken(&r);
    set_fs(0);
    check(got && r.vector == 13 && r.error == 0x08 && r.eip == (u32)probe_gp_selector_insn &&
          kernel_frame_ok("gp", &r), "traps/gp-selector", "trap %d: vector %u error 0x%x at 0x%x", got,
          (unsigned)r.vector, (unsigned)r.error, (unsigned)r.eip);

    expect_fault((u32)probe_read_resume);
    probe_read(0);
    got = expect_taken(&r);
    check(got && r.vector == 14 && r.error == 0 && r.cr2 == 0 && r.eip == (u32)probe_read_insn &&
          kernel_frame_ok("pf-read", &r), "traps/pf-read-unmapped",
          "trap %d: vector %u error 0x%x cr2 0x%x at 0x%x", got, (unsigned)r.vector, (unsigned)r.error,
          (unsigned)r.cr2, (unsigned)r.eip);

    /* A read-only kernel page, read first so that the host has it
     * present: the write is then a protection fault, error code 3. */
    u32 pa = page_with(0x5EAD);
    u32 va = kmap(2, pa, 0);
    u32 v = probe_read(va);
    expect_fault((u32)probe_write_resume);
    probe_write(va, 1);
    got = expect_taken(&r);
    check(v == 0x5EAD && got && r.vector == 14 && r.error == 3 && r.cr2 == va &&
          r.eip == (u32)probe_write_insn && kernel_frame_ok("pf-write", &r) && *(u32 *)__va(pa) == 0x5EAD,
          "traps/pf-write-readonly", "read 0x%x; trap %d: vector %u error 0x%x cr2 0x%x at 0x%x",
          (unsigned)v, got, (unsigned)r.vector, (unsigned)r.error, (unsigned)r.cr2, (unsigned)r.eip);
    kunmap(2);
    page_free(pa);

    check(kernel_frame_bad == 0, "traps/kernel-frame", "%u kernel-mode frames were not EIP, CS 0x61, EFLAGS",
          kernel_frame_bad);

    /* The EFLAGS image carries the virtual IF of the interrupted code,
     * and an interrupt gate turns virtual interrupts off. */
    struct fault_rec on = { 0 }, off = { 0 };
    expect_fault(0);
    probe_int3();
    expect_taken(&on);
    irq_disable();
    expect_fault(0);
    probe_int3();
    expect_taken(&off);
    u32 after_off = lguest_data.irq_enabled;
    irq_enable();
    check((on.eflags & EFLAGS_IF) && !(off.eflags & EFLAGS_IF) && !(after_off & EFLAGS_IF),
          "traps/eflags-image", "IF in the frame: 0x%x with interrupts on, 0x%x with them off; "
          "irq_enabled after returning to disabled code 0x%x", (unsigned)(on.eflags & EFLAGS_IF),
          (unsigned)(off.eflags & EFLAGS_IF), (unsigned)after_off);
    check(!(on.irq_enabled & EFLAGS_IF) && !(off.irq_enabled & EFLAGS_IF), "traps/interrupt-gate",
          "irq_enabled in the handler 0x%x / 0x%x", (unsigned)on.irq_enabled, (unsigned)off.irq_enabled);
}

static void emulated(void)
{
    u32 gp = trap_counts[13], irqs = lguest_data.irq_enabled;
    __asm__ __volatile__("cli");
    check(trap_counts[13] == gp && lguest_data.irq_enabled == irqs, "traps/emulated-cli",
          "%u #GP reached the guest; irq_enabled 0x%x -> 0x%x", (unsigned)(trap_counts[13] - gp),
          (unsigned)irqs, (unsigned)lguest_data.irq_enabled);

    u32 b = 0x12345600, w = 0x12340000, l = 0, bd = 0xAB000000, wd = 0xCD000000;
    __asm__ __volatile__("inb $0x71, %%al" : "+a"(b));
    __asm__ __volatile__("inw $0x71, %%ax" : "+a"(w));
    __asm__ __volatile__("inl $0x71, %%eax" : "+a"(l));
    __asm__ __volatile__("inb %%dx, %%al" : "+a"(bd) : "d"(0x3F8));
    __asm__ __volatile__("inw %%dx, %%ax" : "+a"(wd) : "d"(0x3F8));
    check(b == 0x123456FF && w == 0x1234FFFF && l == 0xFFFFFFFF && bd == 0xAB0000FF && wd == 0xCD00FFFF &&
          trap_counts[13] == gp, "traps/emulated-in",
          "inb 0x%x, inw 0x%x, inl 0x%x, inb dx 0x%x, inw dx 0x%x, %u #GP in the guest", (unsigned)b,
          (unsigned)w, (unsigned)l, (unsigned)bd, (unsigned)wd, (unsigned)(trap_counts[13] - gp));

    u32 eax = 0x87654321;
    __asm__ __volatile__("outb %%al, $0x80; outw %%ax, $0x80; outl %%eax, $0x80" :: "a"(eax));
    __asm__ __volatile__("outb %%al, %%dx; outw %%ax, %%dx; outl %%eax, %%dx" :: "a"(eax), "d"(0x80));
    check(trap_counts[13] == gp, "traps/emulated-out", "%u #GP reached the guest",
          (unsigned)(trap_counts[13] - gp));
    /* Linux 3.10 reads DR0-7 natively in every oops report (__show_regs);
     * unemulated, each read faults into another oops, forever. */
    u32 d0 = 1, d6 = 0, d7 = 0, d3 = 1;
    __asm__ __volatile__("mov %%db0, %0" : "=r"(d0));
    __asm__ __volatile__("mov %%db3, %0" : "=r"(d3));
    __asm__ __volatile__("mov %%db6, %0" : "=r"(d6));
    __asm__ __volatile__("mov %%db7, %0" : "=r"(d7));
    check(d0 == 0 && d3 == 0 && d6 == 0xFFFF0FF0 && d7 == 0x400 && trap_counts[13] == gp,
          "traps/emulated-dr-read", "dr0 0x%x dr3 0x%x dr6 0x%x dr7 0x%x, %u #GP in the guest",
          (unsigned)d0, (unsigned)d3, (unsigned)d6, (unsigned)d7, (unsigned)(trap_counts[13] - gp));
}

/* A process that traps once; the kernel records the frame and kills it
 * (int3 resumes instead). */
struct user_case {
    const char *name;
    char *entry, *eip;
    u32 vector, error, error_mask, cr2;
    int resumes;
};

static unsigned user_frame_bad;

static void user_trap(const struct user_case *c)
{
    struct proc *p = proc_create((u32)c->entry, 0);
    p->resume_bp = c->resumes;
    proc_wait_all();
    const struct fault_rec *r = &p->fault;
    int exit_ok = c->resumes ? p->exit_code == 7 : p->exit_code == EXIT_TRAP(c->vector);
    int ok = exit_ok && p->faults == 1 && r->vector == c->vector && r->eip == (u32)c->eip &&
             (r->error & c->error_mask) == c->error && (c->vector != 14 || r->cr2 == c->cr2);
    check(ok, c->name, "exit %d, %u traps; vector %u error 0x%x cr2 0x%x eip 0x%x; want vector %u error "
          "0x%x eip 0x%x", p->exit_code, p->faults, (unsigned)r->vector, (unsigned)r->error,
          (unsigned)r->cr2, (unsigned)r->eip, (unsigned)c->vector, (unsigned)c->error, (unsigned)(u32)c->eip);
    /* User frame: CS 0x73, the user SS:ESP pushed, on the stack SET_STACK
     * named, user-mode IF in the EFLAGS image. */
    if (!(r->cs == SEL_USER_CS && r->user_ss == SEL_USER_DS && r->user_esp == r->ebx &&
          r->frame_end + 8 == p->kstack_top && (r->eflags & EFLAGS_IF))) {
        user_frame_bad++;
        printf("traps: %s frame: cs 0x%x ss 0x%x esp 0x%x (probe ESP 0x%x), ends 0x%x (stack top 0x%x), "
               "eflags 0x%x\n", c->name, (unsigned)r->cs, (unsigned)r->user_ss, (unsigned)r->user_esp,
               (unsigned)r->ebx, (unsigned)r->frame_end + 8, (unsigned)p->kstack_top, (unsigned)r->eflags);
    }
    proc_reap(p);
}

static void user_traps(void)
{
    const struct user_case cases[] = {
        { "traps/user-pf-read", u_pf_read, u_pf_read_insn, 14, 4, ~0u, 0x10, 0 },
        { "traps/user-pf-write-readonly", u_pf_write_ro, u_pf_write_ro_insn, 14, 7, ~0u, USER_TEXT_VA, 0 },
        /* Present or not in the host's shadow at that moment: bit 0 may
         * go either way; user and read must be right. */
        { "traps/user-pf-kernel-page", u_pf_kernel, u_pf_kernel_insn, 14, 4, ~1u, KERNEL_BASE + KERNEL_PHYS, 0 },
        /* The hypercall gate has DPL 1: error code = vector * 8 + 2 (IDT). */
        { "traps/user-hypercall-gp", u_int1f, u_int1f_insn, 13, VEC_HYPERCALL * 8 + 2, ~0u, 0, 0 },
        { "traps/user-int3", u_int3, u_int3_after, 3, 0, ~0u, 0, 1 },
        { "traps/user-ud2", u_ud2, u_ud2_insn, 6, 0, ~0u, 0, 0 },
        { "traps/user-vmcall-ud", u_vmcall, u_vmcall_insn, 6, 0, ~0u, 0, 0 },
        { "traps/user-divide", u_div0, u_div0_insn, 0, 0, ~0u, 0, 0 },
        /* Only CPL 1 gets the emulation: at CPL 3 they are plain #GP(0). */
        { "traps/user-cli-gp", u_cli, u_cli_insn, 13, 0, ~0u, 0, 0 },
        { "traps/user-in-gp", u_inb, u_inb_insn, 13, 0, ~0u, 0, 0 },
        { "traps/user-hlt-gp", u_hlt, u_hlt_insn, 13, 0, ~0u, 0, 0 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++)
        user_trap(&cases[i]);
    check(user_frame_bad == 0, "traps/user-frame", "%u user-mode frames were wrong (see above)", user_frame_bad);
}

void test_traps(void)
{
    kernel_traps();
    emulated();
    user_traps();
}
