/* Setting up the switcher pages (see switcher.h for the layout and
 * switcher.S for the code). Two page tables map them: the hypervisor's,
 * where the tables page is writable, and the one every guest address space
 * shares, where only the register frame is writable. The CPU itself runs
 * on the switcher's GDT, TSS and IDT from here on, hypervisor and guests
 * alike, so a guest entry costs no lgdt, lidt or ltr. */
#include "kernel/hot.h"
#include <stdlib.h>
#include <string.h>
#include "arch/x86/switcher.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/paging.h"
#include "arch/x86/selectors.h"
#include "arch/x86/x86.h"
#include "kernel/frames.h"
#include "kernel/percpu.h"
#include "kernel/panic.h"

extern const uint8_t switcher_start[], switcher_end[];
extern const uint32_t switcher_stub_offsets[256], switcher_entry_offset;

#define DF_STACK 8192u

static uint32_t code;               /* the code pages, shared by every CPU */

/* Through the switcher's own mapping: on each CPU, that CPU's tables. */
HOT uint64_t *switcher_gdt(void) { return (uint64_t *)(SWITCHER_TABLES_VA + TBL_GDT); }
HOT uint64_t *switcher_idt(void) { return (uint64_t *)(SWITCHER_TABLES_VA + TBL_IDT); }
HOT struct tss *switcher_tss(void) { return (struct tss *)(SWITCHER_TABLES_VA + TBL_TSS); }
HOT uint64_t switcher_guest_pde(void) { return (uint32_t)this_cpu()->guest_pt | PTE_P | PTE_W; }

static uint32_t zeroed_frame(void)
{
    uint32_t f = frame_alloc();
    if (f)
        memset((void *)f, 0, PAGE_SIZE);
    return f;
}

uint64_t switcher_stub_gate(uint32_t vector, uint32_t dpl)
{
    uint32_t handler = SWITCHER_VA + switcher_stub_offsets[vector & 255];
    return (handler & 0xFFFF) | ((uint64_t)SEL_HOST_CS << 16) |
           ((uint64_t)(0x8E00 | (dpl & 3) << 13) << 32) | ((uint64_t)(handler >> 16) << 48);
}

HOT void switcher_set_regs_page(uint32_t phys)
{
    struct percpu *c = this_cpu();
    c->guest_pt[PT_INDEX(SWITCHER_REGS_VA)] = phys | PTE_P | PTE_W | paging_xd;
    c->host_pt[PT_INDEX(SWITCHER_REGS_VA)] = phys | PTE_P | PTE_W | paging_xd;
    invlpg(SWITCHER_REGS_VA);
}

static void build_tables(struct percpu *c, uint64_t df_desc)
{
    uint64_t *gdt = (uint64_t *)(c->tables + TBL_GDT);
    gdt[GDT_HOST_CS] = gdt_host_entry(GDT_HOST_CS);
    gdt[GDT_HOST_DS] = gdt_host_entry(GDT_HOST_DS);
    gdt[GDT_HOST_DF_TSS] = df_desc;
    gdt[GDT_HOST_TSS] = gdt_make_desc(SWITCHER_TABLES_VA + TBL_TSS, sizeof(struct tss) - 1, 0x89, 0);

    struct tss *tss = (struct tss *)(c->tables + TBL_TSS);
    tss->ss0 = SEL_HOST_DS;
    tss->esp0 = SWITCHER_REGS_VA + PAGE_SIZE;   /* the top of the guest's frame */
    tss->iomap_base = sizeof(struct tss);       /* no I/O bitmap: every port traps */

    uint64_t *idt = (uint64_t *)(c->tables + TBL_IDT);
    for (uint32_t v = 0; v < 256; v++)
        idt[v] = switcher_stub_gate(v, 0);
    idt[0x1F] = switcher_stub_gate(0x1F, 1);    /* the hypercall: guest kernel only */
    idt[8] = ((uint64_t)SEL_HOST_DF_TSS << 16) | ((uint64_t)0x8500 << 32);

    *(uint32_t *)(c->tables + TBL_HOST_CR3) = c->cr3;
    *(uint32_t *)(c->tables + TBL_CPU) = c->index;
}

/* The switcher slot of one CPU: code (global: mapped identically on both
 * sides, so no TLB miss for it on any world switch; nothing else is
 * global), its regs page, and its tables page, read-only for guests. */
static int map_slot(struct percpu *c)
{
    c->tables = (uint8_t *)zeroed_frame();
    uint32_t idle_regs = zeroed_frame();
    c->host_pt = (uint64_t *)zeroed_frame();
    c->guest_pt = (uint64_t *)zeroed_frame();
    if (!c->tables || !idle_regs || !c->host_pt || !c->guest_pt)
        return -1;
    uint32_t g = cpu.pge ? PTE_G : 0;
    uint64_t xd = paging_xd;
    for (uint32_t i = 0; i < SWITCHER_CODE_PAGES; i++) {
        uint32_t va = SWITCHER_VA + i * PAGE_SIZE;
        c->host_pt[PT_INDEX(va)] = (code + i * PAGE_SIZE) | PTE_P | g;
        c->guest_pt[PT_INDEX(va)] = (code + i * PAGE_SIZE) | PTE_P | g;
    }
    c->host_pt[PT_INDEX(SWITCHER_TABLES_VA)] = (uint32_t)c->tables | PTE_P | PTE_W | xd;
    c->guest_pt[PT_INDEX(SWITCHER_TABLES_VA)] = (uint32_t)c->tables | PTE_P | xd;
    c->host_pt[PT_INDEX(SWITCHER_REGS_VA)] = idle_regs | PTE_P | PTE_W | xd;
    c->guest_pt[PT_INDEX(SWITCHER_REGS_VA)] = idle_regs | PTE_P | PTE_W | xd;
    return 0;
}

void switcher_load_cpu(void)
{
    struct dtr gd = { GDT_ENTRIES * 8 - 1, SWITCHER_TABLES_VA + TBL_GDT };
    lgdt(&gd);
    ltr(SEL_HOST_TSS);          /* the new TSS descriptor is not busy yet */
    struct dtr id = { 256 * 8 - 1, SWITCHER_TABLES_VA + TBL_IDT };
    lidt(&id);
    /* no sysenter into the hypervisor: a guest's sysenter must #GP */
    if (cpu.msr)
        wrmsr(0x174, 0);
}

void switcher_init(void)
{
    uint32_t size = (uint32_t)(switcher_end - switcher_start);
    if (size > SWITCHER_CODE_PAGES * PAGE_SIZE)
        panic("switcher: code is %lu bytes, more than its pages", (unsigned long)size);
    code = frames_alloc(SWITCHER_CODE_PAGES, 1);
    if (!code)
        panic("switcher: out of memory");
    memset((void *)code, 0, SWITCHER_CODE_PAGES * PAGE_SIZE);
    memcpy((void *)code, switcher_start, size);

    struct percpu *c = &cpus[0];
    c->cr3 = paging_kernel_cr3();
    if (map_slot(c))
        panic("switcher: out of memory");
    paging_set_switcher_pt((uint32_t)c->host_pt);
    if (cpu.pge)
        write_cr4(read_cr4() | CR4_PGE);
    build_tables(c, gdt_host_entry(GDT_HOST_DF_TSS));
    switcher_load_cpu();
    percpu_ready = true;
}

int switcher_prepare_cpu(struct percpu *c)
{
    if (map_slot(c))
        return -1;
    c->cr3 = paging_new_cpu_space((uint32_t)c->host_pt);
    c->df_tss = malloc(sizeof(struct tss));
    uint8_t *df_stack = malloc(DF_STACK);
    if (!c->cr3 || !c->df_tss || !df_stack)
        return -1;
    gdt_init_df_tss(c->df_tss, df_stack, DF_STACK, c->cr3);
    build_tables(c, gdt_df_tss_desc(c->df_tss));
    return 0;
}

HOT uint32_t switcher_run(uint32_t cr3)
{
    uint32_t (*enter)(uint32_t) = (uint32_t (*)(uint32_t))(SWITCHER_VA + switcher_entry_offset);
    return enter(cr3);
}
