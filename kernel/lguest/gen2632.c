/* What a 2.6.32-era lguest guest needs beyond the 3.10 ABI (lguest ABI
 * appendix F): its hypercalls are KVM's vmcall, which faults (#UD) outside
 * VMX, and it expects the host to have built its first page tables. */
#include "kernel/lguest/gen2632.h"
#include "kernel/lguest/guest.h"
#include "arch/x86/paging.h"
#include "arch/x86/switcher.h"
#include "kernel/log.h"

#define VMCALL_LEN 3
static const uint8_t vmcall[VMCALL_LEN] = { 0x0F, 0x01, 0xC1 };
static const uint8_t int_1f_nop[VMCALL_LEN] = { 0xCD, LG_HCALL_VECTOR, 0x90 };

static bool inside_image(const struct guest *g, uint32_t gpa)
{
    return gpa >= g->image_start && gpa < g->image_end;
}

bool gen2632_vmcall(struct guest *g)
{
    struct trap_frame *f = g->regs;
    if ((f->cs & 3) != 1)
        return false;           /* user mode: the guest's own #UD */
    uint8_t insn[VMCALL_LEN];
    uint32_t gpa[VMCALL_LEN];
    if (shadow_fetch(g, f->eip, insn, gpa, VMCALL_LEN) != VMCALL_LEN || __builtin_memcmp(insn, vmcall, VMCALL_LEN))
        return false;
    if (!g->ld && f->eax == LHCALL_LGUEST_INIT && g->gen != GEN_2632) {
        g->gen = GEN_2632;
        log_info("guest %s: its hypercalls are vmcall: a 2.6.32-era lguest guest", g->name);
    }
    /* Patched where it is the kernel image GRUB gave us (the same three
     * bytes run again, now as int $0x1f); anywhere else (module text, say)
     * each one is emulated here, which costs the #UD every time. */
    if (inside_image(g, gpa[0]) && inside_image(g, gpa[VMCALL_LEN - 1])) {
        for (uint32_t i = 0; i < VMCALL_LEN; i++)
            gmem_write(&g->mem, gpa[i], &int_1f_nop[i], 1);
        g->stats.vmcalls_patched++;
        return true;
    }
    f->eip += VMCALL_LEN;
    g->stats.vmcalls_emulated++;
    hypercall(g);
    return true;
}

/* The tables 2.6.32's Launcher built: all RAM mapped at 0 and at
 * PAGE_OFFSET (the guest's kernel_address) by 4 KiB pages, present,
 * writable and user; the top level just below the initrd (or the top of
 * RAM), the page tables below it. The guest runs on them until its own
 * swapper_pg_dir is ready. */
bool gen2632_boot_tables(struct guest *g, uint32_t page_offset, uint32_t *pgdir_gpa)
{
    uint32_t pages = g->ram_size / PAGE_SIZE;
    uint32_t tables = (pages + 1023) / 1024;
    uint32_t top = g->initrd_gpa ? g->initrd_gpa : g->ram_size;
    uint32_t need = (tables + 1) * PAGE_SIZE;
    if ((page_offset & ((4u << 20) - 1)) || page_offset < g->ram_size ||
        (uint64_t)page_offset + g->ram_size > SWITCHER_VA) {
        guest_kill(g, "kernel address 0x%08lx leaves no room to map its %lu MiB at it",
                   (unsigned long)page_offset, (unsigned long)(g->ram_size >> 20));
        return false;
    }
    if (top < need + g->image_end) {
        guest_kill(g, "no room for its first page tables (%lu KiB) between the kernel and the initrd",
                   (unsigned long)(need >> 10));
        return false;
    }
    uint32_t pgdir = top - PAGE_SIZE, first = pgdir - tables * PAGE_SIZE;
    uint32_t *pt = gmem_ptr(&g->mem, first, need);
    if (!pt)
        return false;
    for (uint32_t i = 0; i < tables * 1024; i++)
        pt[i] = i < pages ? i * PAGE_SIZE | PTE_P | PTE_W | PTE_U : 0;
    uint32_t *pd = pt + tables * 1024;
    __builtin_memset(pd, 0, PAGE_SIZE);
    for (uint32_t t = 0; t < tables; t++)
        pd[t] = pd[(page_offset >> 22) + t] = (first + t * PAGE_SIZE) | PTE_P | PTE_W | PTE_U;
    *pgdir_gpa = pgdir;
    log_info("guest %s: first page tables at 0x%08lx (RAM at 0 and at 0x%08lx)", g->name,
             (unsigned long)pgdir, (unsigned long)page_offset);
    return true;
}
