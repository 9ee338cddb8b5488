/* The hypervisor's GDT and task-state segments. The double fault has a
 * task of its own, with its own stack, so that even a hypervisor stack
 * overflow ends in a readable report instead of a triple-fault reset. */
#include "arch/x86/gdt.h"
#include "arch/x86/selectors.h"
#include "arch/x86/x86.h"
#include "arch/x86/trap.h"

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(64)));
struct tss host_tss __attribute__((aligned(128)));
static struct tss df_tss __attribute__((aligned(128)));
static uint8_t df_stack[8192] __attribute__((aligned(16)));

uint64_t gdt_make_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (uint64_t)(limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) |
           ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xF) << 48) |
           ((uint64_t)(flags & 0xF) << 52) | ((uint64_t)(base >> 24) << 56);
}

/* Accessed bits are preset: the CPU never needs to write the GDT. */
#define ACCESS_CODE0 0x9B   /* present, DPL 0, code, readable, accessed */
#define ACCESS_DATA0 0x93   /* present, DPL 0, data, writable, accessed */
#define ACCESS_TSS   0x89   /* present, DPL 0, 32-bit available TSS */
#define FLAGS_4K_32  0xC    /* 4 KiB granularity, 32-bit */

static void reload_segments(void)
{
    __asm__ volatile(
        "ljmp %0, $1f\n1:\n"
        "movw %w1, %%ds\n movw %w1, %%es\n movw %w1, %%ss\n"
        "xorl %%eax, %%eax\n movw %%ax, %%fs\n movw %%ax, %%gs\n"
        :: "i"(SEL_HOST_CS), "r"(SEL_HOST_DS) : "eax", "memory");
}

void gdt_init(void)
{
    gdt[GDT_HOST_CS] = gdt_make_desc(0, 0xFFFFF, ACCESS_CODE0, FLAGS_4K_32);
    gdt[GDT_HOST_DS] = gdt_make_desc(0, 0xFFFFF, ACCESS_DATA0, FLAGS_4K_32);

    host_tss.ss0 = SEL_HOST_DS;
    host_tss.iomap_base = sizeof(struct tss);   /* no I/O bitmap */
    gdt[GDT_HOST_TSS] = gdt_make_desc((uint32_t)&host_tss, sizeof(struct tss) - 1, ACCESS_TSS, 0);

    df_tss.eip = (uint32_t)double_fault_task;
    df_tss.esp = (uint32_t)(df_stack + sizeof(df_stack));
    df_tss.cs = SEL_HOST_CS;
    df_tss.ds = df_tss.es = df_tss.ss = SEL_HOST_DS;
    df_tss.eflags = 0x2;
    df_tss.cr3 = read_cr3();
    df_tss.iomap_base = sizeof(struct tss);
    gdt[GDT_HOST_DF_TSS] = gdt_make_desc((uint32_t)&df_tss, sizeof(struct tss) - 1, ACCESS_TSS, 0);

    struct dtr d = { sizeof(gdt) - 1, (uint32_t)gdt };
    lgdt(&d);
    reload_segments();
    ltr(SEL_HOST_TSS);
}

uint64_t gdt_host_entry(uint32_t index)
{
    return gdt[index % GDT_ENTRIES];
}

void gdt_set_df_cr3(uint32_t cr3)
{
    df_tss.cr3 = cr3;
}

/* The task the double fault interrupted: the back link of the double-fault
 * TSS names it, and its descriptor (in whichever GDT is loaded: the boot
 * one or the switcher's) gives its address. */
const struct tss *gdt_interrupted_tss(void)
{
    struct dtr d;
    __asm__ volatile("sgdt %0" : "=m"(d));
    uint32_t index = df_tss.link >> 3;
    if (index * 8 + 7 > d.limit)
        return &host_tss;
    uint64_t desc = ((const uint64_t *)d.base)[index];
    uint32_t base = (uint32_t)((desc >> 16) & 0xFFFFFF) | (uint32_t)((desc >> 56) << 24);
    return (const struct tss *)base;
}
