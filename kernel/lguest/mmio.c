/* See mmio.h. The instruction bytes are read through the guest's own
 * tables with the checked accessors; only the mov forms of Linux's
 * ioread/iowrite are done (kernel/lguest/mmio_decode.c), anything else
 * stops the guest: it would have to be emulated wrongly otherwise. */
#include "kernel/lguest/mmio.h"
#include "kernel/lguest/guest.h"
#include "kernel/lguest/mmio_decode.h"

static uint32_t *gpr(struct trap_frame *f, uint32_t n)
{
    uint32_t *r[8] = { &f->eax, &f->ecx, &f->edx, &f->ebx, &f->esp, &f->ebp, &f->esi, &f->edi };
    return r[n & 7];
}

static uint32_t reg_get(struct trap_frame *f, uint32_t n, uint32_t size)
{
    if (size == 1)      /* AL CL DL BL, then AH CH DH BH */
        return n < 4 ? *gpr(f, n) & 0xFF : *gpr(f, n - 4) >> 8 & 0xFF;
    return size == 2 ? *gpr(f, n) & 0xFFFF : *gpr(f, n);
}

static void reg_set(struct trap_frame *f, uint32_t n, uint32_t size, uint32_t v)
{
    if (size == 1) {
        uint32_t *r = gpr(f, n < 4 ? n : n - 4), shift = n < 4 ? 0 : 8;
        *r = (*r & ~(0xFFu << shift)) | (v & 0xFF) << shift;
    } else if (size == 2) {
        *gpr(f, n) = (*gpr(f, n) & 0xFFFF0000u) | (v & 0xFFFF);
    } else {
        *gpr(f, n) = v;
    }
}

void guest_mmio(struct guest *g, uint32_t va)
{
    struct trap_frame *f = g->regs;
    uint32_t gpa;
    if (shadow_translate(g, va, false, &gpa) != SHADOW_MMIO) {
        if (guest_alive(g))
            guest_kill(g, "virtio-pci BAR access at 0x%08lx: the mapping changed under it", (unsigned long)va);
        return;
    }
    if ((f->cs & 3) != 1) {
        guest_kill(g, "virtio-pci BAR (GPA 0x%08lx) touched from user mode at 0x%08lx", (unsigned long)gpa,
                   (unsigned long)f->eip);
        return;
    }
    uint8_t insn[MMIO_INSN_MAX];
    uint32_t avail = shadow_fetch(g, f->eip, insn, 0, sizeof(insn));
    if (!guest_alive(g))
        return;
    struct mmio_insn mi;
    if (!mmio_decode(insn, avail, &mi)) {
        guest_kill(g, "virtio-pci BAR access at GPA 0x%08lx by an instruction that is not a plain mov "
                   "(%02x %02x %02x %02x at 0x%08lx)", (unsigned long)gpa, avail > 0 ? insn[0] : 0,
                   avail > 1 ? insn[1] : 0, avail > 2 ? insn[2] : 0, avail > 3 ? insn[3] : 0,
                   (unsigned long)f->eip);
        return;
    }
    if (!mi.write && mi.size > 1 && mi.reg == 4) {
        guest_kill(g, "virtio-pci BAR read into ESP at 0x%08lx", (unsigned long)f->eip);
        return;
    }
    uint32_t val = mi.write ? (mi.has_imm ? mi.imm : reg_get(f, mi.reg, mi.size)) : 0;
    vpci_mmio(g, gpa, mi.write, mi.size, &val);
    if (!guest_alive(g))
        return;
    if (!mi.write)
        reg_set(f, mi.reg, mi.size, val);
    f->eip += mi.len;
}
