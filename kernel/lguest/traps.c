/* After a guest exit: what the trap was and who handles it. The hypercall
 * and the faults the hypervisor can complete silently (shadow page faults,
 * the FPU, cli/in/out) stay here; everything else the guest would have seen
 * on real hardware is reflected into it (lguest ABI 4.6). */
#include "kernel/hot.h"
#include "kernel/lguest/guest.h"
#include "arch/x86/paging.h"
#include "arch/x86/x86.h"
#include "kernel/gdbstub.h"
#include "kernel/lguest/emulate.h"
#include "kernel/lguest/gen2632.h"
#include "kernel/lguest/mmio.h"

/* The exceptions lguest pushes an error code for (ABI 4.1). */
static bool guest_error_code(uint32_t v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

HOT static void page_fault(struct guest *g)
{
    uint32_t cr2 = read_cr2(), err = g->regs->error;
    bool mapped = shadow_entry(g, cr2) & PTE_P;     /* then only read-only until dirty */
    g->last_trap.cr2 = cr2;
    switch (shadow_fault(g, cr2, &err)) {
    case SHADOW_FIXED:
        g->stats.pf_resolved++;
        g->stats.pf_dirty += mapped;
        g->stats.pf_kernel += g->ld && cr2 >= g->kernel_address;
        return;
    case SHADOW_KILLED:
        return;
    case SHADOW_MMIO:
        guest_mmio(g, cr2);
        return;
    case SHADOW_GUEST_FAULT:
        if (!g->ld) {
            guest_kill(g, "unhandled trap 14 at 0x%08lx (0x%08lx) before LGUEST_INIT: not an lguest guest kernel?",
                       (unsigned long)g->regs->eip, (unsigned long)cr2);
            return;
        }
        g->ld->cr2 = cr2;
        g->stats.pf_reflected++;
        guest_reflect(g, 14, true, err);
        return;
    }
}

/* cli, in and out from the guest kernel (ABI 4.6). */
static bool emulate_gp(struct guest *g)
{
    struct trap_frame *f = g->regs;
    if (f->error != 0 || (f->cs & 3) != 1)
        return false;
    uint8_t insn[3];
    uint32_t avail = shadow_fetch(g, f->eip, insn, 0, sizeof(insn));
    if (!guest_alive(g))
        return true;
    struct io_insn io;
    if (g->gen == GEN_4 && emulate_io_decode(insn, avail, &io) && !io.cli &&
        vpci_port_io(g, io.in, io.dx ? (uint16_t)f->edx : io.port, io.size, &f->eax)) {
        f->eip += io.len;
        g->stats.gp_emulated++;
        return true;
    }
    uint32_t len = emulate_io(insn, avail, &f->eax);
    uint32_t reg, value;
    if (!len && ((len = emulate_dr_read(insn, avail, &reg, &value)) ||
                 (len = emulate_cr4_read(insn, avail, &reg, &value)))) {
        uint32_t *gpr[8] = { &f->eax, &f->ecx, &f->edx, &f->ebx, 0, &f->ebp, &f->esi, &f->edi };
        *gpr[reg] = value;
    }
    if (!len)
        return false;
    f->eip += len;
    g->stats.gp_emulated++;
    return true;
}

HOT void guest_handle_exit(struct guest *g)
{
    struct trap_frame *f = g->regs;
    uint32_t v = f->vector;
    g->stats.exits++;
    g->stats.by_vector[v & 0xFF]++;
    if (v == LG_HCALL_VECTOR) {
        hypercall(g);
        return;
    }
    if (v < 32)     /* for the monitor's regs NAME */
        g->last_trap = (struct last_trap){ v, f->error, f->eip, 0, g->stats.exits };
    switch (v) {
    case 1:
    case 3:         /* a debugger's single step or breakpoint, else the guest's own */
        if (g->debugged && gdbstub_trap(g, v))
            return;
        break;
    case 14:
        page_fault(g);
        return;
    case 13:
        if (emulate_gp(g))
            return;
        break;
    case 6:
        if (gen2632_vmcall(g) || !guest_alive(g))
            return;         /* a hypercall, or killed reading its bytes */
        break;
    case 7:
        if (vcpu_fpu_trap(g))
            return;
        break;
    case 2:
        return;             /* an NMI: the hypervisor's, not the guest's */
    case LG_SYSCALL_VECTOR:
        g->stats.syscall_exits++;
        break;
    default:
        if (v >= 32) {
            g->stats.host_irqs++;
            irq_dispatch(v);
            return;
        }
    }
    guest_reflect(g, v, guest_error_code(v), f->error);
}
