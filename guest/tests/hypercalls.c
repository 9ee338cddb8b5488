/* test=hypercalls: the happy path of every Linux 3.10 hypercall
 * (lguest-abi.md 2.2), the async ring (2.4) and register preservation. */
#include <string.h>
#include "guest/fpu.h"
#include "guest/gdt.h"
#include "guest/hcall.h"
#include "guest/idt.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/trap.h"
#include "guest/timer.h"
#include "guest/user.h"
#include "guest/x86.h"

static void init_effects(void)
{
    check(lguest_data.reserve_mem == EXPECTED_RESERVE, "hypercalls/init-reserve-mem",
          "reserve_mem 0x%x, expected 0x%x", (unsigned)lguest_data.reserve_mem, EXPECTED_RESERVE);
    check(lguest_data.tsc_khz != 0, "hypercalls/init-tsc-khz", "tsc_khz is 0");
    check(lguest_data.time_sec != 0, "hypercalls/init-time", "time is %u.%09u",
          (unsigned)lguest_data.time_sec, (unsigned)lguest_data.time_nsec);
    /* Reading what the host wrote is one thing; the fields the host only
     * reads must still be what we put there. */
#ifdef LG_GEN4
    u32 noirq_lo = lguest_data.noirq_iret, noirq_hi = noirq_lo + 1;
#else
    u32 noirq_lo = lguest_data.noirq_start, noirq_hi = lguest_data.noirq_end;
#endif
    check(lguest_data.kernel_address == KERNEL_BASE && lguest_data.syscall_vec == VEC_SYSCALL &&
          noirq_lo && noirq_lo < noirq_hi, "hypercalls/init-guest-fields",
          "kernel_address 0x%x syscall_vec 0x%x noirq 0x%x-0x%x", (unsigned)lguest_data.kernel_address,
          (unsigned)lguest_data.syscall_vec, (unsigned)noirq_lo, (unsigned)noirq_hi);
}

static void regs_preserved(void)
{
    static const struct { u32 nr, a1, a2, a3; const char *what; } calls[] = {
        { LHCALL_FLUSH_ASYNC, 0x11111111, 0x22222222, 0x33333333, "FLUSH_ASYNC" },
        { LHCALL_SEND_INTERRUPTS, 0x44444444, 0x55555555, 0x66666666, "SEND_INTERRUPTS" },
#ifndef LG_GEN4     /* 4.x has no NOTIFY: the host stops a guest that makes it */
        { LHCALL_NOTIFY, 0, 0x77777777, 0x88888888, "NOTIFY(0)" },
#endif
        { LHCALL_FLUSH_TLB, 0, 0x99999999, 0xAAAAAAAA, "FLUSH_TLB(0)" },
    };
    unsigned bad = 0;
    char why[200] = "";
    for (unsigned i = 0; i < ARRAY_SIZE(calls); i++) {
        probe_hcall_regs(calls[i].nr, calls[i].a1, calls[i].a2, calls[i].a3);
        const u32 want[8] = { calls[i].nr, calls[i].a1, calls[i].a2, calls[i].a3,
                              0x5151A5A5, 0xD1D15A5A, 0xB0B0C3C3, probe_esp };
        static const char *const names[8] = { "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp" };
        for (unsigned r = 0; r < 8; r++) {
            if (probe_regs[r] != want[r] && !bad++)
                snprintf(why, sizeof why, "%s: %s is 0x%x, was 0x%x", calls[i].what, names[r],
                         (unsigned)probe_regs[r], (unsigned)want[r]);
        }
    }
    check(bad == 0, "hypercalls/regs-preserved", "%u registers changed, first %s", bad, why);
}

static void page_tables(void)
{
    u32 *space = space_with_page(USER_SCRATCH_VA, 0xA11CE, 0);
    u32 v = read_in_space(space, USER_SCRATCH_VA);
    check(v == 0xA11CE && cur_pgd_pa == pgd_pa(kernel_pgd), "hypercalls/new-pgtable",
          "read 0x%x in the new space", (unsigned)v);

    /* FLUSH_TLB(0): the user half of the current space may have changed
     * without a SET_PTE. */
    u32 other = page_with(0xB0B);
    mm_switch(space);
    u32 before = *(volatile u32 *)USER_SCRATCH_VA;
    u32 *pte = pte_lookup(space, USER_SCRATCH_VA);
    u32 old = *pte;
    *pte = other | PTE_P | PTE_W | PTE_U;
    hcall(LHCALL_FLUSH_TLB, 0, 0, 0);
    u32 after = *(volatile u32 *)USER_SCRATCH_VA;
    *pte = old;
    hcall(LHCALL_FLUSH_TLB, 0, 0, 0);
    u32 back = *(volatile u32 *)USER_SCRATCH_VA;
    mm_switch(kernel_pgd);
    check(before == 0xA11CE && after == 0xB0B && back == 0xA11CE, "hypercalls/flush-tlb-user",
          "read 0x%x, then 0x%x after the silent change, 0x%x after undoing it", (unsigned)before,
          (unsigned)after, (unsigned)back);

    /* FLUSH_TLB(1): a kernel mapping changed silently. */
    u32 va = kmap(0, page_with(0xC0C0), PTE_W);
    before = *(volatile u32 *)va;
    pte = pte_lookup(kernel_pgd, va);
    *pte = other | PTE_P | PTE_W;
    hcall(LHCALL_FLUSH_TLB, 1, 0, 0);
    after = *(volatile u32 *)va;
    check(before == 0xC0C0 && after == 0xB0B, "hypercalls/flush-tlb-all", "read 0x%x, then 0x%x",
          (unsigned)before, (unsigned)after);

    /* SET_PTE: the same kind of change, announced. */
    u32 third = page_with(0x7E7E);
    set_pte(kernel_pgd, va, third | PTE_P | PTE_W);
    after = *(volatile u32 *)va;
    check(after == 0x7E7E, "hypercalls/set-pte", "read 0x%x after SET_PTE, expected 0x7e7e",
          (unsigned)after);
    kunmap(0);
    page_free(third);

    /* SET_PGD: a user directory entry removed, then put back. */
    mm_switch(space);
    u32 *dent = pde_lookup(space, USER_SCRATCH_VA), pde = *dent;
    before = *(volatile u32 *)USER_SCRATCH_VA;
    *dent = 0;
    pde_announce(space, USER_SCRATCH_VA);
    struct fault_rec r = { 0 };
    expect_fault((u32)probe_read_resume);
    probe_read(USER_SCRATCH_VA);
    int faulted = expect_taken(&r);
    *dent = pde;
    pde_announce(space, USER_SCRATCH_VA);
    after = *(volatile u32 *)USER_SCRATCH_VA;
    mm_switch(kernel_pgd);
    check(before == 0xA11CE && faulted && r.vector == 14 && r.cr2 == USER_SCRATCH_VA && after == 0xA11CE,
          "hypercalls/set-pgd", "before 0x%x, fault %d (vector %u cr2 0x%x), after 0x%x",
          (unsigned)before, faulted, (unsigned)r.vector, (unsigned)r.cr2, (unsigned)after);
    pgd_free(space);
    page_free(other);
}

static void idt_entry(void)
{
    u32 before = alt_int3_count, traps = trap_counts[3];
    idt_set(3, (u32)alt_int3_stub, GATE_INT, 3);
    probe_int3();
    idt_restore(3);
    probe_int3();
    check(alt_int3_count == before + 1 && trap_counts[3] == traps + 1, "hypercalls/load-idt-entry",
          "the replaced gate ran %u times, the restored one %u times (want 1 and 1)",
          (unsigned)(alt_int3_count - before), (unsigned)(trap_counts[3] - traps));
}

static void set_stack(void)
{
    /* The kernel sends SET_STACK(0x69, kstack_top, 2) on every switch; a
     * system call from the process must then land right below that top. */
    struct proc *p = proc_run((u32)u_yield_main, 5);
    check(p->exit_code == 5 && p->sc_count > 0 && p->sc_frame_end == p->kstack_top,
          "hypercalls/set-stack", "exit %d, %u system calls, last frame ends at 0x%x, stack top 0x%x",
          p->exit_code, (unsigned)p->sc_count, (unsigned)p->sc_frame_end, (unsigned)p->kstack_top);
    proc_reap(p);
}

static void ts(void)
{
    fpu_set_ts();
    u32 before = fpu_nm_count;
    probe_fpu_touch();
    u32 first = fpu_nm_count - before;
    probe_fpu_touch();
    u32 second = fpu_nm_count - before;
    check(first == 1 && second == 1, "hypercalls/ts",
          "TS(8) then FPU use gave %u #NM, after TS(0) in the handler %u in total (want 1, 1)",
          (unsigned)first, (unsigned)second);
}

static void clock_and_halt(void)
{
    u32 n = timer_irqs;
    timer_set(500000);
    int fired = timer_spin_wait(n, 200000);
    check(fired, "hypercalls/set-clockevent", "no timer interrupt within 200 ms of a 500 us deadline");

    n = timer_irqs;
    u64 t0 = rdtsc();
    timer_set(2000000);
    timer_halt_wait(n);
    u32 us = cycles_to_us(rdtsc() - t0);
    check(timer_irqs == n + 1 && us >= 1990 && irqs_enabled(), "hypercalls/halt",
          "woke after %u us with %u interrupts (2 ms timer), irq_enabled 0x%x", (unsigned)us,
          (unsigned)(timer_irqs - n), (unsigned)lguest_data.irq_enabled);
}

static u32 tls_block[4] __attribute__((aligned(16))) = { 0x7150, 0x7151, 0x7152, 0 };

static void segments(void)
{
    static u64 tls[3];
    for (unsigned i = 0; i < 3; i++)
        tls[i] = desc_tls((u32)&tls_block[i]);
    gdt_load_tls(tls);
    set_gs(SEL_TLS0);
    u32 a = gs_read32(0);
    set_gs(SEL_TLS2);
    u32 c = gs_read32(0);
    set_gs(0);
    static const u64 none[3];
    gdt_load_tls(none);
    check(a == 0x7150 && c == 0x7152, "hypercalls/load-tls", "read 0x%x through 0x33, 0x%x through 0x43",
          (unsigned)a, (unsigned)c);

    gdt_load_entry(GDT_TEST, desc_make((u32)&tls_block[1], 15, DESC_DATA, DESC_BYTES));
    set_fs(GDT_TEST * 8);
    u32 b = fs_read32(0);
    set_fs(0);
    gdt_load_entry(GDT_TEST, 0);
    check(b == 0x7151, "hypercalls/load-gdt-entry", "read 0x%x through a based segment", (unsigned)b);
}

static void notify_and_interrupts(void)
{
    static const char msg[] = "lgtest: a line sent with NOTIFY directly\n";
#ifdef LG_GEN4
    (void)msg;          /* no NOTIFY in 4.x (kill:notify-4x checks the host refuses it) */
#else
    hcall(LHCALL_NOTIFY, __pa(msg), 0, 0);
    hcall(LHCALL_NOTIFY, 0, 0, 0);
    pass("hypercalls/notify");
#endif

    /* Nothing pending: a no-op. Then with an interrupt held back. */
    hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0);
    irq_disable();
    u32 n = timer_irqs;
    timer_set(100000);
    /* Wait until the host has the tick pending for us (irq_pending), not
     * for a fixed time: on a busy host the exit that raises it can come
     * late. Bounded: 2 s, then the check below says what happened. */
    spin_us(3000);
    for (unsigned i = 0; i < 2000 && !(lguest_data.irq_pending & EFLAGS_IF); i++)
        spin_us(1000);
    u32 while_off = timer_irqs - n;
    lguest_data.irq_enabled = EFLAGS_IF;
    hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0);
    u32 after = timer_irqs - n;
    irq_enable();
    check(while_off == 0 && after == 1, "hypercalls/send-interrupts",
          "%u interrupts while disabled, %u right after SEND_INTERRUPTS (want 0, 1)",
          (unsigned)while_off, (unsigned)after);
}

static void async_ring(void)
{
    /* TS through the ring: queued, then in force after FLUSH_ASYNC. */
    u32 flags = irq_save();
    unsigned slot = hcall_ring_cursor();
    hcall_async(LHCALL_TS, 8, 0, 0);
    int queued = lguest_data.hcall_status[slot] == HCALL_STATUS_QUEUED &&
                 lguest_data.hcalls[slot].arg0 == LHCALL_TS;
    hcall_flush();
    int freed = lguest_data.hcall_status[slot] == HCALL_STATUS_FREE;
    irq_restore(flags);
    u32 nm = fpu_nm_count;
    probe_fpu_touch();
    check(queued && freed && fpu_nm_count == nm + 1, "hypercalls/async-ts",
          "queued %d, slot freed %d, #NM after the flush %u", queued, freed, (unsigned)(fpu_nm_count - nm));

    /* SET_PTE through the ring, drained by a different synchronous call. */
    u32 pa1 = page_with(0x1111), pa2 = page_with(0x2222);
    u32 va = kmap(1, pa1, PTE_W);
    u32 before = *(volatile u32 *)va;
    u32 *pte = pte_lookup(kernel_pgd, va);
    flags = irq_save();
    slot = hcall_ring_cursor();
    *pte = pa2 | PTE_P | PTE_W;
    hcall_async(LHCALL_SET_PTE, pgd_pa(kernel_pgd), va, *pte);
    queued = lguest_data.hcall_status[slot] == HCALL_STATUS_QUEUED;
    hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0);
    freed = lguest_data.hcall_status[slot] == HCALL_STATUS_FREE;
    irq_restore(flags);
    u32 after = *(volatile u32 *)va;
    check(before == 0x1111 && queued && freed && after == 0x2222, "hypercalls/async-set-pte",
          "read 0x%x, queued %d, freed by SEND_INTERRUPTS %d, then read 0x%x", (unsigned)before, queued,
          freed, (unsigned)after);
    kunmap(1);
    page_free(pa1);
    page_free(pa2);

    /* NEW_PGTABLE through the ring. */
    u32 *space = space_with_page(USER_SCRATCH_VA, 0xA5A5, 0);
    hcall_async(LHCALL_NEW_PGTABLE, pgd_pa(space), 0, 0);
    hcall_flush();
    u32 v = *(volatile u32 *)USER_SCRATCH_VA;
    hcall_async(LHCALL_NEW_PGTABLE, pgd_pa(kernel_pgd), 0, 0);
    hcall_flush();
    check(v == 0xA5A5, "hypercalls/async-new-pgtable", "read 0x%x in the space switched to", (unsigned)v);
    pgd_free(space);

    /* More calls than slots: the full ring falls back to direct calls,
     * the cursor wraps, and every slot ends up free again. */
    unsigned start = hcall_ring_cursor();
    flags = irq_save();
    for (unsigned i = 0; i < 150; i++)
        hcall_async(LHCALL_FLUSH_TLB, 0, 0, 0);
    unsigned busy = hcall_ring_busy();
    hcall_flush();
    irq_restore(flags);
    check(busy > 0 && hcall_ring_busy() == 0, "hypercalls/async-ring-full",
          "%u slots queued before the flush, %u after (cursor %u -> %u)", busy, hcall_ring_busy(), start,
          hcall_ring_cursor());
}

#ifdef LG_GEN2632
/* The 2.6.32 hypercall instruction, vmcall: in the kernel image the host
 * rewrites it to int $0x1f; nop at its first use; elsewhere (a page of
 * ours, like module text) it emulates each one and leaves the bytes. */
extern const u8 vmcall_site[];
static void __attribute__((noinline)) vmcall_in_image(u32 msg_gpa)
{
    __asm__ __volatile__(".globl vmcall_site\nvmcall_site: .byte 0x0f, 0x01, 0xc1"
                         : : "a"(LHCALL_NOTIFY), "b"(msg_gpa) : "memory");
}

/* Calls the code at va with a NOTIFY of msg in EAX/EBX: true when it came
 * back with EAX and ESI as they were (the host preserves registers). */
static int call_stub(u32 va, const char *msg)
{
    u32 nr = LHCALL_NOTIFY, arg = __pa(msg), keep = 0x5EED5EED;
    __asm__ __volatile__("movl %2, %%esi\n\tcall *%3\n\tmovl %%esi, %2"
                         : "+a"(nr), "+b"(arg), "+m"(keep) : "r"(va) : "ecx", "edx", "esi", "memory");
    return nr == LHCALL_NOTIFY && keep == 0x5EED5EED;
}

#define VMCALL_SLOT 20          /* kmap slots 20-22: pages of our own, outside the image */

static void vmcalls(void)
{
    static const char in_image[] = "lgtest: vmcall in the kernel image\n";
    static const char outside[] = "lgtest: vmcall outside the kernel image\n";
    static const char straddling[] = "lgtest: vmcall across a page boundary\n";
    static const char read_only[] = "lgtest: vmcall in a read-only page\n";
    static const u8 stub[] = { 0x0F, 0x01, 0xC1, 0xC3 };       /* vmcall; ret */
    vmcall_in_image(__pa(in_image));
    check(vmcall_site[0] == 0xCD && vmcall_site[1] == 0x1F && vmcall_site[2] == 0x90, "hypercalls/vmcall-patched",
          "bytes %02x %02x %02x after the call", vmcall_site[0], vmcall_site[1], vmcall_site[2]);

    u32 pa = page_alloc();
    u8 *code = __va(pa);
    memcpy(code, stub, sizeof(stub));
    int ok = call_stub((u32)code, outside);
    check(ok && !memcmp(code, stub, sizeof(stub)), "hypercalls/vmcall-emulated",
          "registers %s, bytes %02x %02x %02x", ok ? "kept" : "changed", code[0], code[1], code[2]);

    /* Two pages in a row of the KMAP window, the vmcall's bytes split. */
    u32 pb = page_alloc();
    u32 va = kmap(VMCALL_SLOT, pa, PTE_W);
    kmap(VMCALL_SLOT + 1, pb, PTE_W);
    memcpy(__va(pa) + PAGE_SIZE - 2, stub, 2);
    memcpy(__va(pb), stub + 2, 2);
    ok = call_stub(va + PAGE_SIZE - 2, straddling);
    u8 *tail = (u8 *)__va(pa) + PAGE_SIZE - 2, *head = __va(pb);
    check(ok && tail[0] == 0x0F && tail[1] == 0x01 && head[0] == 0xC1, "hypercalls/vmcall-straddling",
          "registers %s, bytes %02x %02x | %02x", ok ? "kept" : "changed", tail[0], tail[1], head[0]);

    /* Executed through a read-only mapping (written through the direct map). */
    memcpy(code, stub, sizeof(stub));
    u32 ro = kmap(VMCALL_SLOT + 2, pa, 0);
    ok = call_stub(ro, read_only);
    check(ok && !memcmp(code, stub, sizeof(stub)), "hypercalls/vmcall-read-only",
          "registers %s, bytes %02x %02x %02x", ok ? "kept" : "changed", code[0], code[1], code[2]);
    kunmap(VMCALL_SLOT);
    kunmap(VMCALL_SLOT + 1);
    kunmap(VMCALL_SLOT + 2);
    page_free(pa);
    page_free(pb);
}
#endif

void test_hypercalls(void)
{
    init_effects();
    hcall_flush();
    check(hcall_ring_busy() == 0, "hypercalls/flush-async", "%u ring slots still queued", hcall_ring_busy());
    regs_preserved();
    page_tables();
    idt_entry();
    set_stack();
    ts();
    clock_and_halt();
    segments();
    notify_and_interrupts();
    async_ring();
#ifdef LG_GEN2632
    vmcalls();
#endif
}
