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

void gdt_reload_segments(void)
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
    gdt_reload_segments();
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

/* Another CPU's double-fault task: the same entry point, its own stack
 * (a CPU that double-faults must not write over the boot CPU's report). */
void gdt_init_df_tss(struct tss *t, uint8_t *stack, uint32_t stack_size, uint32_t cr3)
{
    *t = df_tss;
    t->esp = (uint32_t)(stack + stack_size);
    t->cr3 = cr3;
    t->link = 0;
}

uint64_t gdt_df_tss_desc(const struct tss *t)
{
    return gdt_make_desc((uint32_t)t, sizeof(struct tss) - 1, ACCESS_TSS, 0);
}

static const struct tss *tss_of(const struct dtr *d, uint32_t sel)
{
    uint32_t index = sel >> 3;
    if (index * 8 + 7 > d->limit)
        return 0;
    uint64_t desc = ((const uint64_t *)d->base)[index];
    return (const struct tss *)((uint32_t)((desc >> 16) & 0xFFFFFF) | (uint32_t)((desc >> 56) << 24));
}

/* The task the double fault interrupted: the task register names this
 * CPU's double-fault TSS, whose back link names the interrupted one; both
 * descriptors are in whichever GDT is loaded (the boot one or this CPU's
 * switcher copy). */
const struct tss *gdt_interrupted_tss(void)
{
    struct dtr d;
    uint16_t tr;
    __asm__ volatile("sgdt %0" : "=m"(d));
    __asm__ volatile("str %0" : "=r"(tr));
    const struct tss *self = tss_of(&d, tr);
    const struct tss *t = self ? tss_of(&d, self->link) : 0;
    return t ? t : &host_tss;
}
