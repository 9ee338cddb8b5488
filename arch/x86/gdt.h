#ifndef ARCH_X86_GDT_H
#define ARCH_X86_GDT_H
#include <stdint.h>

/* The 32-bit hardware task-state segment. */
struct tss {
    uint16_t link, _r0;
    uint32_t esp0; uint16_t ss0, _r1;
    uint32_t esp1; uint16_t ss1, _r2;
    uint32_t esp2; uint16_t ss2, _r3;
    uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint16_t es, _r4, cs, _r5, ss, _r6, ds, _r7, fs, _r8, gs, _r9, ldt, _r10;
    uint16_t trap, iomap_base;
} __attribute__((packed));

/* A segment descriptor from its fields: access byte (P, DPL, S, type) and
 * the flags nibble (G, D/B, L, AVL). */
uint64_t gdt_make_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);

void gdt_init(void);
/* Reloads CS, DS, ES, SS with the hypervisor's selectors (FS, GS null). */
void gdt_reload_segments(void);
/* The double-fault task switches CR3: call once paging is on. */
void gdt_set_df_cr3(uint32_t cr3);
/* A double-fault task for another CPU, and its GDT descriptor. */
void gdt_init_df_tss(struct tss *t, uint8_t *stack, uint32_t stack_size, uint32_t cr3);
uint64_t gdt_df_tss_desc(const struct tss *t);
/* An entry of the boot GDT, for the switcher's copy. */
uint64_t gdt_host_entry(uint32_t index);
extern struct tss host_tss;
/* Inside the double-fault task: the TSS holding the faulting context. */
const struct tss *gdt_interrupted_tss(void);

#endif
