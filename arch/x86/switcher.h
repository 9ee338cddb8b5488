/* The switcher: the few pages mapped at the top of the hypervisor's and of
 * every guest's address space, through which every guest entry and exit
 * passes (docs/ARCHITECTURE.md, "The switcher"). Layout of the top 4 MiB
 * (of which only the first 2 MiB, SWITCHER_PDE, hold anything):
 *
 *   SWITCHER_VA + 0x0000  code (2 pages): entry, exit, one stub per vector
 *                         read-only and global in both address spaces
 *   SWITCHER_REGS_VA      the running guest's register frame (struct
 *                         trap_frame); the TSS ring-0 stack ends at its top,
 *                         so the CPU pushes a guest's trap frame straight
 *                         into it. Writable: the CPU pushes there at CPL 0.
 *   SWITCHER_TABLES_VA    the GDT, TSS, IDT and host state that every trap
 *                         needs; read-only for the guest, writable for the
 *                         hypervisor through its own page table. */
#ifndef ARCH_X86_SWITCHER_H
#define ARCH_X86_SWITCHER_H

#define SWITCHER_VA         0xFFC00000u
#define SWITCHER_CODE_PAGES 2
#define SWITCHER_REGS_VA    (SWITCHER_VA + SWITCHER_CODE_PAGES * 0x1000u)
#define SWITCHER_TABLES_VA  (SWITCHER_REGS_VA + 0x1000u)
#define SWITCHER_RESERVE    0x400000u   /* lguest_data.reserve_mem: the top 4 MiB */

/* Offsets inside the tables page. */
#define TBL_GDT        0x000    /* 32 descriptors */
#define TBL_TSS        0x100    /* struct tss, 104 bytes */
#define TBL_HOST_CR3   0x180
#define TBL_HOST_ESP   0x184
#define TBL_CPU        0x188    /* this CPU's index in cpus[] */
#define TBL_IDT        0x800    /* 256 gates */

/* What switch_to_guest returns. */
#define SWITCH_EXIT        0    /* the guest trapped: its frame is in its regs page */
#define SWITCH_ENTRY_FAULT 1    /* loading the guest's state faulted (bad selector or EIP) */

#ifndef __ASSEMBLER__
#include <stdint.h>

struct percpu;
/* Maps the switcher into the hypervisor, and moves the boot CPU onto its
 * GDT, TSS and IDT (used from then on by hypervisor and guests alike). */
void switcher_init(void);
/* Builds another CPU's switcher pages, tables and page directory (run by
 * the boot CPU); 0, or -1 when memory ran out. */
int switcher_prepare_cpu(struct percpu *c);
/* Moves the calling CPU onto its own GDT, TSS and IDT. */
void switcher_load_cpu(void);
/* The directory entry every guest address space holds at SWITCHER_PDE. */
uint64_t switcher_guest_pde(void);
/* Points the switcher's register page at a guest's frame (host physical). */
void switcher_set_regs_page(uint32_t phys);
/* Enters the guest whose shadow PDPT is cr3, and returns when it
 * traps: SWITCH_EXIT or SWITCH_ENTRY_FAULT. */
uint32_t switcher_run(uint32_t cr3);

/* The calling CPU's live tables, writable by the hypervisor. */
uint64_t *switcher_gdt(void);
uint64_t *switcher_idt(void);
struct tss *switcher_tss(void);
/* The gate for a vector's switcher stub (present, interrupt gate, DPL dpl). */
uint64_t switcher_stub_gate(uint32_t vector, uint32_t dpl);
#endif

#endif
