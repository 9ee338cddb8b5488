/* test=kill:NAME: one thing the ABI says makes the host stop the guest,
 * after "KILL NAME starting". The host then logs
 * "guest <name>: stopped: <reason>"; tests/guest_cases.py KILLS lists the
 * reasons. If we are still running afterwards, that is a FAIL. */
#include <string.h>
#include "guest/hcall.h"
#include "guest/idt.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/trap.h"

/* Far beyond any guest's memory (at most 768 MiB + device pages). */
#define BEYOND_MEMORY 0xF0000000u
#define HP_KMAP_KILL  7             /* a KMAP slot of our own */

static void touch(u32 va) { (void)*(volatile u32 *)va; }

static void init_twice(void) { hcall(LHCALL_LGUEST_INIT, __pa(&lguest_data), 0, 0); }
static void hcall_3(void) { hcall(3, 0, 0, 0); }
static void hcall_20(void) { hcall(20, 0, 0, 0); }
static void hcall_ffffffff(void) { hcall(0xFFFFFFFF, 0, 0, 0); }
static void set_pmd(void) { hcall(LHCALL_SET_PMD, pgd_pa(kernel_pgd), 0, 0); }

static void idt_vector(void)
{
    u32 h = trap_stub(0);
    hcall(LHCALL_LOAD_IDT_ENTRY, 256, gate_lo(h), gate_hi(h, GATE_INT, 0));
}

static void idt_type(void)
{
    u32 h = trap_stub(0x40);
    hcall(LHCALL_LOAD_IDT_ENTRY, 0x40, gate_lo(h), gate_hi(h, 0xC, 0));     /* a call gate */
}

static void idt_handler(void)
{
    u32 h = HOST_RESERVED_MIN;
    hcall(LHCALL_LOAD_IDT_ENTRY, 0x40, gate_lo(h), gate_hi(h, GATE_INT, 0));
}

static void stack_segment(void) { hcall(LHCALL_SET_STACK, 0x68, (u32)boot_stack_top, 2); }
static void stack_pages(void) { hcall(LHCALL_SET_STACK, SEL_KERNEL_DS, (u32)boot_stack_top, 3); }
static void stack_switcher(void) { hcall(LHCALL_SET_STACK, SEL_KERNEL_DS, HOST_RESERVED_MIN + 0x1000, 2); }
static void stack_unmapped(void) { hcall(LHCALL_SET_STACK, SEL_KERNEL_DS, 0x50000000, 2); }
static void gdt_index(void) { hcall(LHCALL_LOAD_GDT_ENTRY, 32, 0x0000FFFF, 0x00CF9300); }
static void tls_address(void) { hcall(LHCALL_LOAD_TLS, 0xFFFFFFF0, 0, 0); }
static void pgd_index(void) { hcall(LHCALL_SET_PGD, pgd_pa(kernel_pgd), 1024, 0); }
static void pte_switcher(void) { hcall(LHCALL_SET_PTE, pgd_pa(kernel_pgd), HOST_RESERVED_MIN, page_alloc() | 0x63); }
static void notify_beyond(void) { hcall(LHCALL_NOTIFY, BEYOND_MEMORY, 0, 0); }

/* A directory entry the host must refuse once it uses it. */
static void bad_pde(u32 value)
{
    kernel_pgd[SPARE_PDE] = value;
    hcall(LHCALL_SET_PGD, pgd_pa(kernel_pgd), SPARE_PDE, 0);
    touch(SPARE_VA);
}

static void pde_pse(void) { bad_pde(page_alloc() | PDE_USER | PTE_PSE); }
static void pde_pwt(void) { bad_pde(page_alloc() | PDE_USER | PTE_PWT); }
static void pde_beyond(void) { bad_pde(BEYOND_MEMORY | PDE_USER); }

/* A page-table entry the host must refuse once it uses it. */
static void bad_pte(u32 value)
{
    u32 va = KMAP_VA + 6 * PAGE_SIZE;
    *pte_lookup(kernel_pgd, va) = value;
    hcall(LHCALL_SET_PTE, pgd_pa(kernel_pgd), va, 0);
    touch(va);
}

static void pte_beyond(void) { bad_pte(BEYOND_MEMORY | PTE_W | PTE_P); }
static void pte_pat(void) { bad_pte(page_alloc() | PTE_PSE | PTE_W | PTE_P); }

/* The same entries written silently over good ones the host has already
 * shadowed and used, then FLUSH_TLB(1): the host keeps its tables over the
 * flush, but must judge the new entries when it uses them. */
static void flush_bad_pte(u32 bad_flags, u32 frame)
{
    u32 va = KMAP_VA + 6 * PAGE_SIZE;
    set_pte(kernel_pgd, va, page_alloc() | PTE_W | PTE_A | PTE_D | PTE_P);
    touch(va);
    *pte_lookup(kernel_pgd, va) = (frame ? frame : *pte_lookup(kernel_pgd, va)) | bad_flags;
    hcall(LHCALL_FLUSH_TLB, 1, 0, 0);
    touch(va);
}

static void flush_pte_pat(void) { flush_bad_pte(PTE_PSE, 0); }
static void flush_pte_beyond(void) { flush_bad_pte(PTE_W | PTE_A | PTE_D | PTE_P, BEYOND_MEMORY); }

static void flush_pde_pse(void)
{
    u32 pt = page_alloc();
    ((u32 *)__va(pt))[0] = page_alloc() | PTE_W | PTE_A | PTE_D | PTE_P;
    kernel_pgd[SPARE_PDE] = pt | PDE_KERNEL;
    hcall(LHCALL_SET_PGD, pgd_pa(kernel_pgd), SPARE_PDE, 0);
    touch(SPARE_VA);
    kernel_pgd[SPARE_PDE] |= PTE_PSE;
    hcall(LHCALL_FLUSH_TLB, 1, 0, 0);
    touch(SPARE_VA);
}

static void pf_no_gate(void)
{
    idt_clear(14);
    probe_read(0);
}

/* Like Linux's reboot: the message pointer is __pa(NULL), outside
 * memory. The host must restart anyway (not a kill). */
static void shutdown_unreadable(void)
{
    hcall(LHCALL_SHUTDOWN, 0x40000000, LGUEST_SHUTDOWN_RESTART, 0);
}

#ifdef LG_GEN4
#include "guest/virtio.h"
/* 4.x: no NOTIFY; and the virtio-pci BARs, where only a plain mov is
 * emulated and only the BARs are device memory. */
static void notify_4x(void) { hcall(LHCALL_NOTIFY, 0, 0, 0); }

static struct vdev *console_dev(void)
{
    vbus_scan();
    struct vdev *d = vbus_find(VIRTIO_ID_CONSOLE, 0);
    if (!d)
        panic("no virtio-pci console");
    return d;
}

static void mmio_insn(void)
{
    volatile u8 *status = console_dev()->common + 0x14;
    __asm__ __volatile__("addb $1, %0" : "+m"(*status) : : "memory");     /* 80 /0: not a mov */
}

static void mmio_movzx(void)
{
    volatile u16 *numq = (volatile u16 *)(console_dev()->common + 0x12);
    u32 v;
    __asm__ __volatile__("movzwl %1, %0" : "=r"(v) : "m"(*numq) : "memory");    /* 0F B7 */
}

static void mmio_outside_bar(void)
{
    u32 bar = console_dev()->desc_gpa;
    touch(kmap(HP_KMAP_KILL, bar + 64 * PAGE_SIZE, PTE_W));   /* in the BAR window, no BAR there */
}

static void mmio_below_bars(void)
{
    touch(kmap(HP_KMAP_KILL, ram_bytes + 128 * PAGE_SIZE, PTE_W));  /* past the device pages, before the BARs */
}
#endif

#ifdef LG_PAE
/* PAE tables and calls the host must stop a PAE guest for (lguest-abi.md
 * 6.9), and a 2-level call from one. */
static u64 *kpdpt(void) { return (u64 *)kernel_pgd; }
static u32 kpmd_pa(void) { return (u32)kpdpt()[3] & ~0xFFFu; }

static void pae_pgd_index(void) { hcall(LHCALL_SET_PGD, pgd_pa(kernel_pgd), 4, 0); }
static void pae_2level_pgd(void) { hcall(LHCALL_SET_PGD, pgd_pa(kernel_pgd), SPARE_PDE, 0); }
static void pae_pmd_index(void) { hcall(LHCALL_SET_PMD, kpmd_pa(), 512, 0); }
static void pae_pmd_unaligned(void) { hcall(LHCALL_SET_PMD, kpmd_pa() + 8, 0, 0); }
static void pae_pgtable_outside(void) { hcall(LHCALL_NEW_PGTABLE, BEYOND_MEMORY, 0, 0); }

/* A page at SPARE_VA whose PTE has high word hi, then touched. */
static void spare_pte_hi(u32 hi)
{
    u32 pt = page_alloc(), page = page_alloc();
    *pde_lookup(kernel_pgd, SPARE_VA) = pt | PDE_KERNEL;
    pde_announce(kernel_pgd, SPARE_VA);
    u32 *e = pt_slot(pt, 0);
    e[0] = page | PTE_P | PTE_W | PTE_A | PTE_D;
    e[1] = hi;
    hcall4(LHCALL_SET_PTE, pgd_pa(kernel_pgd), SPARE_VA, e[0], e[1]);
    touch(SPARE_VA);
}
static void pae_pte_reserved(void) { spare_pte_hi(0x00100000u); }
static void pae_pte_beyond(void) { spare_pte_hi(1); }

/* The SPARE_VA PMD entry made bad, announced, then touched. */
static void spare_pmd(u32 lo, u32 hi)
{
    u32 *e = pde_lookup(kernel_pgd, SPARE_VA);
    e[0] = lo;
    e[1] = hi;
    pde_announce(kernel_pgd, SPARE_VA);
    touch(SPARE_VA);
}
static void pae_pmd_pse(void) { spare_pmd(page_alloc() | PDE_KERNEL | PTE_PSE, 0); }
static void pae_pmd_beyond(void) { spare_pmd(page_alloc() | PDE_KERNEL, 1); }
static void pae_pmd_nx(void) { spare_pmd(page_alloc() | PDE_KERNEL, 0x80000000u); }

/* The kernel's PDPT entry with RW: the next use of a kernel address. */
static void pae_pdpte_flags(void)
{
    kpdpt()[3] |= PTE_W;
    hcall(LHCALL_SET_PGD, pgd_pa(kernel_pgd), 3, 0);
    touch(KERNEL_BASE);
}
#endif

static const struct kill_case {
    const char *name;
    void (*run)(void);
} cases[] = {
    { "init-twice", init_twice },
    { "hcall-3", hcall_3 },
    { "hcall-20", hcall_20 },
    { "hcall-ffffffff", hcall_ffffffff },
    { "set-pmd", set_pmd },
    { "idt-vector", idt_vector },
    { "idt-type", idt_type },
    { "idt-handler", idt_handler },
    { "stack-segment", stack_segment },
    { "stack-pages", stack_pages },
    { "stack-switcher", stack_switcher },
    { "stack-unmapped", stack_unmapped },
    { "gdt-index", gdt_index },
    { "tls-address", tls_address },
    { "pgd-index", pgd_index },
    { "pte-switcher", pte_switcher },
    { "pde-pse", pde_pse },
    { "pde-pwt", pde_pwt },
    { "pde-beyond", pde_beyond },
    { "pte-beyond", pte_beyond },
    { "pte-pat", pte_pat },
    { "flush-pte-pat", flush_pte_pat },
    { "flush-pte-beyond", flush_pte_beyond },
    { "flush-pde-pse", flush_pde_pse },
    { "notify-beyond", notify_beyond },
    { "pf-no-gate", pf_no_gate },
    { "shutdown-unreadable", shutdown_unreadable },
#ifdef LG_GEN4
    { "notify-4x", notify_4x },
    { "mmio-insn", mmio_insn },
    { "mmio-movzx", mmio_movzx },
    { "mmio-outside-bar", mmio_outside_bar },
    { "mmio-below-bars", mmio_below_bars },
#endif
#ifdef LG_PAE
    { "pae-pgd-index", pae_pgd_index },
    { "pae-2level-pgd", pae_2level_pgd },
    { "pae-pmd-index", pae_pmd_index },
    { "pae-pmd-unaligned", pae_pmd_unaligned },
    { "pae-pgtable-outside", pae_pgtable_outside },
    { "pae-pmd-nx", pae_pmd_nx },
    { "pae-pte-reserved", pae_pte_reserved },
    { "pae-pte-beyond", pae_pte_beyond },
    { "pae-pmd-pse", pae_pmd_pse },
    { "pae-pmd-beyond", pae_pmd_beyond },
    { "pae-pdpte-flags", pae_pdpte_flags },
#endif
};

void test_kill(const char *name)
{
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        if (strcmp(name, cases[i].name) != 0)
            continue;
        printf("KILL %s starting\n", name);
        cases[i].run();
        char msg[80];
        snprintf(msg, sizeof msg, "kill:%s: guest not stopped", name);
        fail("kill/not-stopped", "the guest still runs after kill:%s", name);
        printf("DONE 0 passed, 1 failed\n");
        shutdown(msg, LGUEST_SHUTDOWN_POWEROFF);
    }
    fail("kill/unknown", "no kill case '%s'", name);
    tests_done();
}
