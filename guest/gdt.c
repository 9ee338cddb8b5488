/* Our GDT is only a list of what we told the host: the host applies its
 * fix-ups (DPL 0 -> 1, accessed bit) and owns entries 10, 11, 16 and 31,
 * which it ignores when we send them (ABI 5.1, 5.2). */
#include "guest/gdt.h"
#include "guest/hcall.h"

static u64 gdt[GDT_ENTRIES];

void gdt_load_entry(unsigned index, u64 desc)
{
    if (index < GDT_ENTRIES)
        gdt[index] = desc;
    hcall(LHCALL_LOAD_GDT_ENTRY, index, (u32)desc, (u32)(desc >> 32));
}

void gdt_init(void)
{
    /* Kernel segments with DPL 0 like Linux's: the host raises them to
     * DPL 1, which is what the CS 0x61 / SS 0x69 we run on need. */
    gdt[GDT_KERNEL_CS] = desc_make(0, 0xFFFFF, DESC_CODE, DESC_FLAT);
    gdt[GDT_KERNEL_DS] = desc_make(0, 0xFFFFF, DESC_DATA, DESC_FLAT);
    gdt[GDT_USER_CS] = desc_make(0, 0xFFFFF, DESC_CODE | DESC_DPL3, DESC_FLAT);
    gdt[GDT_USER_DS] = desc_make(0, 0xFFFFF, DESC_DATA | DESC_DPL3, DESC_FLAT);
    /* All 32, as Linux sends them when it loads a GDT. */
    for (unsigned i = 0; i < GDT_ENTRIES; i++)
        gdt_load_entry(i, gdt[i]);
}

void gdt_load_tls(const u64 tls[3])
{
    for (unsigned i = 0; i < 3; i++)
        gdt[GDT_TLS_FIRST + i] = tls[i];
    hcall(LHCALL_LOAD_TLS, __pa(tls), 0, 0);
}
