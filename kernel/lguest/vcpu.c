/* Putting a guest's processor state where the CPU finds it: its GDT
 * entries, its direct system-call gate, its ring-1 stack and its register
 * page go into the switcher's tables; the FPU is switched lazily with TS.
 * Only what differs from the guest last loaded is copied, so a guest that
 * runs alone pays nothing here after its first entry. */
#include "kernel/hot.h"
#include "kernel/lguest/guest.h"
#include "arch/x86/switcher.h"
#include "arch/x86/gdt.h"
#include "arch/x86/x86.h"
#include "kernel/lguest/gate.h"
#include "kernel/percpu.h"

/* Per CPU (struct percpu): whose tables are in this CPU's switcher
 * (loaded), whose registers are in its FPU (fpu_owner), and its CR0.TS as
 * last written (cr0_ts). */
#define loaded (this_cpu()->vcpu_loaded)
#define fpu_owner (this_cpu()->vcpu_fpu)
#define cr0_ts (this_cpu()->vcpu_cr0_ts)

struct fx_area { uint8_t bytes[512]; };

void vcpu_init(void)
{
    /* MP: wait/fwait also honour TS. NE: FPU errors as #MF (ABI 1.6). */
    write_cr0(read_cr0() | CR0_MP | CR0_NE | CR0_TS);
    cr0_ts = true;
}

/* The real gate for a vector whose guest gate may matter to the CPU:
 * the system call goes straight to the guest (ABI 4.3) when the guest made
 * it a trap gate; int3, into and the system call otherwise go through the
 * hypervisor with the guest's DPL, so user mode can still raise them. */
HOT static uint64_t real_gate(const struct guest *g, uint32_t v)
{
    uint64_t gate = g->idt[v];
    /* under the debugger a breakpoint's int3 must reach the stub from any
     * ring, even before the guest has a gate for it (gdbstub_trap) */
    if (v == 3 && g->debugged)
        return switcher_stub_gate(3, 3);
    if (!gate_present(gate))
        return switcher_stub_gate(v, 0);
    if (v == LG_SYSCALL_VECTOR && gate_type(gate) == GATE_TYPE_TRAP)
        return gate;
    return switcher_stub_gate(v, gate_dpl(gate));
}

HOT static void copy_gdt(const struct guest *g, uint32_t first, uint32_t count)
{
    uint64_t *gdt = switcher_gdt();
    for (uint32_t i = first; i < first + count && i < GUEST_GDT_ENTRIES; i++)
        if (!gdt_index_host_owned(i))
            gdt[i] = g->gdt[i];
}

HOT void vcpu_load(struct guest *g)
{
    if (loaded == g)
        return;
    copy_gdt(g, 0, GUEST_GDT_ENTRIES);
    uint64_t *idt = switcher_idt();
    idt[3] = real_gate(g, 3);
    idt[4] = real_gate(g, 4);
    idt[LG_SYSCALL_VECTOR] = real_gate(g, LG_SYSCALL_VECTOR);
    struct tss *tss = switcher_tss();
    tss->ss1 = (uint16_t)g->ss1;
    tss->esp1 = g->esp1;
    switcher_set_regs_page(g->regs_phys);
    loaded = g;
}

HOT void vcpu_gdt_changed(struct guest *g, uint32_t first, uint32_t count)
{
    if (loaded == g)
        copy_gdt(g, first, count);
}

HOT void vcpu_idt_changed(struct guest *g, uint32_t vector)
{
    if (loaded == g && (vector == 3 || vector == 4 || vector == LG_SYSCALL_VECTOR))
        switcher_idt()[vector] = real_gate(g, vector);
}

HOT void vcpu_stack_changed(struct guest *g)
{
    if (loaded == g) {
        switcher_tss()->ss1 = (uint16_t)g->ss1;
        switcher_tss()->esp1 = g->esp1;
    }
}

HOT static void set_ts(bool ts)
{
    if (ts == cr0_ts)
        return;
    uint32_t cr0 = read_cr0();
    write_cr0(ts ? cr0 | CR0_TS : cr0 & ~CR0_TS);
    cr0_ts = ts;
}

/* On every CPU: the guest's state is being thrown away (release,
 * restart), so an FPU another CPU holds for it is simply disowned. */
void vcpu_forget(struct guest *g)
{
    for (uint32_t i = 0; i < ncpus; i++) {
        if (cpus[i].vcpu_loaded == g)
            cpus[i].vcpu_loaded = 0;
        if (cpus[i].vcpu_fpu == g)
            cpus[i].vcpu_fpu = 0;
    }
}

void vcpu_reload(struct guest *g)
{
    for (uint32_t i = 0; i < ncpus; i++)
        if (cpus[i].vcpu_loaded == g)
            cpus[i].vcpu_loaded = 0;    /* its FPU stays where it is */
}

/* On the CPU g last ran on, before g moves to another: its FPU registers
 * go back into g->fpu, where the new CPU will find them. */
void vcpu_unload(struct guest *g)
{
    if (fpu_owner == g) {
        set_ts(false);
        __asm__ volatile("fxsave %0" : "=m"(*(struct fx_area *)g->fpu));
        fpu_owner = 0;
    }
    if (loaded == g)
        loaded = 0;
}

/* Real TS stays set unless this guest owns the FPU and wants it: its first
 * FPU instruction otherwise traps to vcpu_fpu_trap (ABI 4.9). */
HOT void vcpu_fpu_prepare(struct guest *g)
{
    set_ts(g->ts || fpu_owner != g);
}

/* A #NM from the guest. With its virtual TS set, it is the guest's own
 * (reflect it); otherwise the FPU simply is not its yet. */
HOT bool vcpu_fpu_trap(struct guest *g)
{
    if (g->ts)
        return false;
    set_ts(false);
    if (fpu_owner != g) {
        if (fpu_owner)
            __asm__ volatile("fxsave %0" : "=m"(*(struct fx_area *)fpu_owner->fpu));
        __asm__ volatile("fxrstor %0" :: "m"(*(struct fx_area *)g->fpu));
        fpu_owner = g;
        g->stats.fpu_switches++;
    }
    return true;
}
