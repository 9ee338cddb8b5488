/* The lguest hypercalls (ABI 2): int $0x1f with the number in EAX and the
 * arguments in EBX, ECX, EDX, ESI. A table indexed after a bounds check;
 * every argument is checked here or by the function it is passed to, and a
 * bad one stops the guest with a reason. No register is changed. */
#include "kernel/hot.h"
#include <string.h>
#include "kernel/lguest/guest.h"
#include "arch/x86/switcher.h"
#include "kernel/clock.h"
#include "kernel/lguest/gate.h"
#include "kernel/lguest/gen2632.h"
#include "kernel/lguest/generation.h"
#include "kernel/log.h"

typedef void (*hcall_fn)(struct guest *g, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4);

HOT static void h_nothing(struct guest *g, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4)
{
    /* FLUSH_ASYNC and SEND_INTERRUPTS: the exit itself is the point (the
     * ring was drained, interrupts get a delivery attempt on the way in) */
}

static void h_init_again(struct guest *g, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4)
{
    guest_kill(g, "already have lguest_data");
}

/* The word at off of the guest's lguest_data, 0 when that is past its memory
 * (a 4.x lguest_data is 4 bytes shorter than a 3.10 one). */
static uint32_t ld_word(struct guest *g, uint32_t gpa, uint32_t off)
{
    uint32_t v = 0;
    return gmem_read(&g->mem, gpa + off, &v, 4) ? v : 0;
}

static void lguest_init(struct guest *g, uint32_t gpa)
{
    volatile struct lguest_data *ld = gmem_ptr(&g->mem, gpa, LGUEST_DATA_SIZE_4);
    if (!ld || (gpa & 3)) {
        guest_kill(g, "bad lguest_data address 0x%08lx", (unsigned long)gpa);
        return;
    }
    bool old = g->gen == GEN_2632;
    char why[200];
    enum guest_gen gen;
    if (!gen_decide(old, ld_word(g, gpa, 0x568), ld_word(g, gpa, 0x56C),
                    g->cfg ? g->cfg->abi : GUEST_ABI_AUTO, &gen, why, sizeof(why))) {
        guest_kill(g, "%s", why);
        return;
    }
    uint32_t vec, kaddr, noirq_start, noirq_end;
    if (gen == GEN_4) {
        volatile struct lguest_data_tail4 *t = (volatile void *)((volatile uint8_t *)ld + LGUEST_DATA_TAIL_4);
        vec = t->syscall_vec;
        kaddr = t->kernel_address;
        noirq_start = t->noirq_iret;        /* held off exactly at that iret */
        noirq_end = noirq_start + 1;
    } else {
        uint32_t tail_off = old ? LGUEST_DATA_TAIL_2632 : LGUEST_DATA_TAIL_310;
        if (!gmem_ok(&g->mem, gpa, tail_off + sizeof(struct lguest_data_tail))) {
            guest_kill(g, "bad lguest_data address 0x%08lx", (unsigned long)gpa);
            return;
        }
        volatile struct lguest_data_tail *tail = (volatile void *)((volatile uint8_t *)ld + tail_off);
        vec = tail->syscall_vec;
        kaddr = tail->kernel_address;
        noirq_start = tail->noirq_start;
        noirq_end = tail->noirq_end;
    }
    if (vec != LG_SYSCALL_VECTOR) {
        guest_kill(g, "bad syscall vector %lu", (unsigned long)vec);
        return;
    }
    if (kaddr >= SWITCHER_VA) {
        guest_kill(g, "bad kernel address 0x%08lx", (unsigned long)kaddr);
        return;
    }
    uint32_t pgdir = 0;
    if (old && !gen2632_boot_tables(g, kaddr, &pgdir))
        return;
    g->gen = gen;
    log_info("guest %s: lguest generation %s (%s)", g->name, guest_gen_name(gen), why);
    const char *short_gen = gen == GEN_2632 ? "2.6" : gen == GEN_4 ? "4" : "3.10";   /* kernel_generation()'s */
    if (g->expected_gen && strcmp(g->expected_gen, short_gen) != 0)
        log_warn("guest %s: its image is Linux %s, of lguest generation %s, but it runs as %s", g->name,
                 g->release, g->expected_gen, guest_gen_name(gen));
    g->noirq_start = noirq_start;
    g->noirq_end = noirq_end;
    g->kernel_address = kaddr;
    ld->reserve_mem = SWITCHER_RESERVE;
    ld->tsc_khz = clock_tsc_khz();
    g->ld = ld;
    g->async_cursor = 0;
    guest_set_time(g);
    shadow_flush(g, true);
    if (old) {
        *(volatile uint32_t *)((volatile uint8_t *)ld + LGUEST_DATA_PGDIR_2632) = pgdir;
        shadow_new_pgtable(g, pgdir);
        g->boot_pgdir = pgdir;
    }
    if (gen == GEN_4)
        vpci_attach(g);     /* no device page: its devices are virtio-pci functions */
}

static void h_shutdown(struct guest *g, uint32_t msg_gpa, uint32_t reason, uint32_t a3, uint32_t a4)
{
    char msg[128];
    gmem_read_str(&g->mem, msg_gpa, msg, sizeof(msg));     /* unreadable: "" (ABI 10) */
    for (size_t n = strlen(msg); n && (msg[n - 1] == '\n' || msg[n - 1] == ' ' || msg[n - 1] == '\r'); n--)
        msg[n - 1] = 0;                 /* a panic text ends in a newline */
    for (char *c = msg; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7F)
            *c = '?';
    guest_console_flush(g);
    if (reason == LGUEST_SHUTDOWN_RESTART) {
        log_info("guest %s: restarting: %s", g->name, msg);
        guest_stop(g, "restarting");
        guest_restart_later(g);
    } else {
        log_info("guest %s: power off: %s", g->name, msg);
        guest_stop(g, "powered off");
    }
}

HOT static void h_new_pgtable(struct guest *g, uint32_t pgd, uint32_t a2, uint32_t a3, uint32_t a4)
{
    shadow_new_pgtable(g, pgd);
    if (__builtin_expect(g->boot_pgdir != 0, 0) && guest_alive(g) && (pgd & ~0xFFFu) != g->boot_pgdir) {
        shadow_forget(g, g->boot_pgdir);
        g->boot_pgdir = 0;
    }
}

HOT static void h_flush_tlb(struct guest *g, uint32_t all, uint32_t a2, uint32_t a3, uint32_t a4)
{
    shadow_flush(g, all != 0);
}

static void h_load_idt_entry(struct guest *g, uint32_t v, uint32_t lo, uint32_t hi, uint32_t a4)
{
    uint64_t gate;
    switch (gate_from_guest(v, lo, hi, SWITCHER_VA, &gate)) {
    case GATE_OK:
        g->idt[v] = gate;
        vcpu_idt_changed(g, v);
        return;
    case GATE_IGNORED:
        return;
    case GATE_BAD_VECTOR:
        guest_kill(g, "bad IDT vector %lu", (unsigned long)v);
        return;
    case GATE_BAD_TYPE:
        guest_kill(g, "bad IDT type %lu for vector %lu", (unsigned long)(hi >> 8 & 0xF), (unsigned long)v);
        return;
    case GATE_BAD_HANDLER:
        guest_kill(g, "bad IDT handler 0x%08lx for vector %lu",
                   (unsigned long)((lo & 0xFFFF) | (hi & 0xFFFF0000u)), (unsigned long)v);
        return;
    }
}

HOT static void h_set_stack(struct guest *g, uint32_t seg, uint32_t esp, uint32_t pages, uint32_t a4)
{
    if ((seg & 3) != 1 || !selector_ok(g->gdt, seg, SEG_STACK, 1)) {
        guest_kill(g, "bad stack segment 0x%lx", (unsigned long)seg);
        return;
    }
    if (pages > 2) {
        guest_kill(g, "bad stack pages %lu", (unsigned long)pages);
        return;
    }
    g->ss1 = seg;
    g->esp1 = esp;
    g->stack_pages = pages;
    vcpu_stack_changed(g);
    shadow_pin_stack(g);
}

HOT static void h_ts(struct guest *g, uint32_t ts, uint32_t a2, uint32_t a3, uint32_t a4)
{
    g->ts = ts != 0;
}

HOT static void h_set_clockevent(struct guest *g, uint32_t ns, uint32_t a2, uint32_t a3, uint32_t a4)
{
    if (ns)
        timer_arm(&g->clock, clock_ns() + ns);
    else
        timer_cancel(&g->clock);
}

HOT static void h_halt(struct guest *g, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4)
{
    g->halted = true;
}

HOT static void h_set_pmd(struct guest *g, uint32_t pmd, uint32_t index, uint32_t a3, uint32_t a4)
{
    shadow_set_pmd(g, pmd, index);
}

HOT static void h_set_pte(struct guest *g, uint32_t pgd, uint32_t va, uint32_t pte, uint32_t a4)
{
    shadow_set_pte(g, pgd, va, pte);
}

HOT static void h_set_pgd(struct guest *g, uint32_t pgd, uint32_t index, uint32_t a3, uint32_t a4)
{
    shadow_set_pgd(g, pgd, index);
}

HOT static void h_load_tls(struct guest *g, uint32_t gpa, uint32_t cpu, uint32_t a3, uint32_t a4)
{
    uint64_t tls[GUEST_TLS_COUNT];
    if (!gmem_read(&g->mem, gpa, tls, sizeof(tls))) {
        guest_kill(g, "bad TLS address 0x%08lx", (unsigned long)gpa);
        return;
    }
    for (uint32_t i = 0; i < GUEST_TLS_COUNT; i++)
        g->gdt[GUEST_TLS_FIRST + i] = gdt_fixup(tls[i]);
    vcpu_gdt_changed(g, GUEST_TLS_FIRST, GUEST_TLS_COUNT);
}

HOT static void h_notify(struct guest *g, uint32_t gpa, uint32_t a2, uint32_t a3, uint32_t a4)
{
    if (__builtin_expect(g->gen == GEN_4, 0)) {
        guest_kill(g, "bad hypercall 17 (NOTIFY is not part of the 4.x lguest ABI: its devices are virtio-pci)");
        return;
    }
    guest_notify(g, gpa);
}

HOT static void h_load_gdt_entry(struct guest *g, uint32_t i, uint32_t lo, uint32_t hi, uint32_t a4)
{
    if (i >= GUEST_GDT_ENTRIES) {
        guest_kill(g, "bad GDT index %lu", (unsigned long)i);
        return;
    }
    if (gdt_index_host_owned(i))
        return;
    g->gdt[i] = gdt_fixup(lo | (uint64_t)hi << 32);
    vcpu_gdt_changed(g, i, 1);
}

static const hcall_fn hcalls[LHCALL_COUNT] = {
    [LHCALL_FLUSH_ASYNC] = h_nothing,
    [LHCALL_LGUEST_INIT] = h_init_again,
    [LHCALL_SHUTDOWN] = h_shutdown,
    [LHCALL_NEW_PGTABLE] = h_new_pgtable,
    [LHCALL_FLUSH_TLB] = h_flush_tlb,
    [LHCALL_LOAD_IDT_ENTRY] = h_load_idt_entry,
    [LHCALL_SET_STACK] = h_set_stack,
    [LHCALL_TS] = h_ts,
    [LHCALL_SET_CLOCKEVENT] = h_set_clockevent,
    [LHCALL_HALT] = h_halt,
    [LHCALL_SET_PMD] = h_set_pmd,
    [LHCALL_SET_PTE] = h_set_pte,
    [LHCALL_SET_PGD] = h_set_pgd,
    [LHCALL_LOAD_TLS] = h_load_tls,
    [LHCALL_NOTIFY] = h_notify,
    [LHCALL_LOAD_GDT_ENTRY] = h_load_gdt_entry,
    [LHCALL_SEND_INTERRUPTS] = h_nothing,
};

HOT static void call(struct guest *g, uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4)
{
    if (__builtin_expect(nr >= LHCALL_COUNT || !hcalls[nr], 0)) {
        guest_kill(g, "bad hypercall %lu", (unsigned long)nr);
        return;
    }
    g->stats.by_hcall[nr]++;
    hcalls[nr](g, a1, a2, a3, a4);
}

/* The asynchronous ring (ABI 2.4): calls the guest queued while it could
 * not trap, run in order before its next synchronous call. */
HOT static void drain_async(struct guest *g)
{
    volatile struct lguest_data *ld = g->ld;
    for (uint32_t n = 0; n < LG_ASYNC_SLOTS; n++) {
        uint32_t i = g->async_cursor;
        if (ld->hcall_status[i] == LG_HCALL_DONE)
            return;
        uint32_t c[5];
        for (uint32_t w = 0; w < 5; w++)
            c[w] = ld->hcalls[i][w];
        g->async_cursor = (i + 1) % LG_ASYNC_SLOTS;
        g->stats.async_calls++;
        call(g, c[0], c[1], c[2], c[3], c[4]);
        if (!guest_alive(g) || g->ld != ld)
            return;         /* stopped, or restarted with fresh memory */
        ld->hcall_status[i] = LG_HCALL_DONE;
    }
}

HOT void hypercall(struct guest *g)
{
    struct trap_frame *f = g->regs;
    g->stats.hypercalls++;
    if (__builtin_expect(!g->ld, 0)) {
        if (f->eax == LHCALL_LGUEST_INIT) {
            g->stats.by_hcall[LHCALL_LGUEST_INIT]++;
            lguest_init(g, f->ebx);
        }
        else
            guest_kill(g, "hypercall %lu before LGUEST_INIT", (unsigned long)f->eax);
        return;
    }
    drain_async(g);
    if (guest_alive(g))
        call(g, f->eax, f->ebx, f->ecx, f->edx, f->esi);
}
