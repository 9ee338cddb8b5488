/* Setting up the switcher pages (see switcher.h for the layout and
 * switcher.S for the code). Two page tables map them: the hypervisor's,
 * where the tables page is writable, and the one every guest address space
 * shares, where only the register frame is writable. The CPU itself runs
 * on the switcher's GDT, TSS and IDT from here on, hypervisor and guests
 * alike, so a guest entry costs no lgdt, lidt or ltr. */
#include "kernel/hot.h"
#include <string.h>
#include "arch/x86/switcher.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/paging.h"
#include "arch/x86/selectors.h"
#include "arch/x86/x86.h"
#include "kernel/frames.h"
#include "kernel/panic.h"

extern const uint8_t switcher_start[], switcher_end[];
extern const uint32_t switcher_stub_offsets[256], switcher_entry_offset;

#define PT_INDEX(va) (((va) >> 12) & 1023)

static uint32_t *host_pt, *guest_pt;
static uint8_t *tables;             /* the tables page, through the identity map */
static uint32_t idle_regs_page;     /* the regs slot before any guest has run */

HOT uint64_t *switcher_gdt(void) { return (uint64_t *)(tables + TBL_GDT); }
HOT uint64_t *switcher_idt(void) { return (uint64_t *)(tables + TBL_IDT); }
HOT struct tss *switcher_tss(void) { return (struct tss *)(tables + TBL_TSS); }
uint32_t switcher_guest_pde(void) { return (uint32_t)guest_pt | PTE_P | PTE_W; }

static uint32_t zeroed_frame(void)
{
    uint32_t f = frame_alloc();
    if (!f)
        panic("switcher: out of memory");
    memset((void *)f, 0, PAGE_SIZE);
    return f;
}

uint64_t switcher_stub_gate(uint32_t vector, uint32_t dpl)
{
    uint32_t handler = SWITCHER_VA + switcher_stub_offsets[vector & 255];
    return (handler & 0xFFFF) | ((uint64_t)SEL_HOST_CS << 16) |
           ((uint64_t)(0x8E00 | (dpl & 3) << 13) << 32) | ((uint64_t)(handler >> 16) << 48);
}

void switcher_set_regs_page(uint32_t phys)
{
    guest_pt[PT_INDEX(SWITCHER_REGS_VA)] = phys | PTE_P | PTE_W;
    host_pt[PT_INDEX(SWITCHER_REGS_VA)] = phys | PTE_P | PTE_W;
    invlpg(SWITCHER_REGS_VA);
}

static void build_tables(void)
{
    uint64_t *gdt = switcher_gdt();
    gdt[GDT_HOST_CS] = gdt_host_entry(GDT_HOST_CS);
    gdt[GDT_HOST_DS] = gdt_host_entry(GDT_HOST_DS);
    gdt[GDT_HOST_DF_TSS] = gdt_host_entry(GDT_HOST_DF_TSS);
    gdt[GDT_HOST_TSS] = gdt_make_desc(SWITCHER_TABLES_VA + TBL_TSS, sizeof(struct tss) - 1, 0x89, 0);

    struct tss *tss = switcher_tss();
    tss->ss0 = SEL_HOST_DS;
    tss->esp0 = SWITCHER_REGS_VA + PAGE_SIZE;   /* the top of the guest's frame */
    tss->iomap_base = sizeof(struct tss);       /* no I/O bitmap: every port traps */

    uint64_t *idt = switcher_idt();
    for (uint32_t v = 0; v < 256; v++)
        idt[v] = switcher_stub_gate(v, 0);
    idt[0x1F] = switcher_stub_gate(0x1F, 1);    /* the hypercall: guest kernel only */
    idt[8] = ((uint64_t)SEL_HOST_DF_TSS << 16) | ((uint64_t)0x8500 << 32);

    *(uint32_t *)(tables + TBL_HOST_CR3) = paging_kernel_cr3();
}

void switcher_init(void)
{
    uint32_t size = (uint32_t)(switcher_end - switcher_start);
    if (size > SWITCHER_CODE_PAGES * PAGE_SIZE)
        panic("switcher: code is %lu bytes, more than its pages", (unsigned long)size);
    uint32_t code = frames_alloc(SWITCHER_CODE_PAGES, 1);
    if (!code)
        panic("switcher: out of memory");
    memset((void *)code, 0, SWITCHER_CODE_PAGES * PAGE_SIZE);
    memcpy((void *)code, switcher_start, size);
    tables = (uint8_t *)zeroed_frame();
    idle_regs_page = zeroed_frame();
    host_pt = (uint32_t *)zeroed_frame();
    guest_pt = (uint32_t *)zeroed_frame();

    /* Code is mapped identically on both sides, so it may be global: no TLB
     * miss for it on any world switch. Nothing else is global. */
    uint32_t g = cpu.pge ? PTE_G : 0;
    for (uint32_t i = 0; i < SWITCHER_CODE_PAGES; i++) {
        uint32_t va = SWITCHER_VA + i * PAGE_SIZE;
        host_pt[PT_INDEX(va)] = (code + i * PAGE_SIZE) | PTE_P | g;
        guest_pt[PT_INDEX(va)] = (code + i * PAGE_SIZE) | PTE_P | g;
    }
    host_pt[PT_INDEX(SWITCHER_TABLES_VA)] = (uint32_t)tables | PTE_P | PTE_W;
    guest_pt[PT_INDEX(SWITCHER_TABLES_VA)] = (uint32_t)tables | PTE_P;
    paging_set_switcher_pt((uint32_t)host_pt);
    switcher_set_regs_page(idle_regs_page);
    if (cpu.pge)
        write_cr4(read_cr4() | CR4_PGE);

    build_tables();
    struct dtr gd = { GDT_ENTRIES * 8 - 1, SWITCHER_TABLES_VA + TBL_GDT };
    lgdt(&gd);
    ltr(SEL_HOST_TSS);          /* the new TSS descriptor is not busy yet */
    struct dtr id = { 256 * 8 - 1, SWITCHER_TABLES_VA + TBL_IDT };
    lidt(&id);
    /* no sysenter into the hypervisor: a guest's sysenter must #GP */
    if (cpu.msr)
        wrmsr(0x174, 0);
}

HOT uint32_t switcher_run(uint32_t cr3)
{
    uint32_t (*enter)(uint32_t) = (uint32_t (*)(uint32_t))(SWITCHER_VA + switcher_entry_offset);
    return enter(cr3);
}
