#ifndef ARCH_X86_PAGING_H
#define ARCH_X86_PAGING_H
#include <stdbool.h>
#include <stdint.h>

/* The hypervisor pages with PAE: 64-bit entries, a PDPT of four page
 * directories of 512 entries each, 2 MiB large pages. Every address space
 * it builds (its own, each CPU's, each guest's shadow) keeps its four
 * directories in four contiguous frames, so one flat array of 2048 entries
 * indexed by va >> 21 is the whole directory level. */
#define PAGE_SIZE 4096u
#define PTE_P   0x001u
#define PTE_W   0x002u
#define PTE_U   0x004u
#define PTE_PWT 0x008u
#define PTE_PCD 0x010u
#define PTE_A   0x020u
#define PTE_D   0x040u
#define PTE_PS  0x080u
#define PTE_G   0x100u
#define PTE_XD  (1ull << 63)            /* no-execute: only with EFER.NXE */
#define PTE_ADDR 0x000FFFFFFFFFF000ull  /* bits 12-51 */
#define LARGE_PAGE (2u << 20)
#define PD_ENTRIES 2048u                /* four directories, flat */
#define PT_ENTRIES 512u
#define PD_INDEX(va) ((va) >> 21)
#define PT_INDEX(va) (((va) >> 12) & 511)
#define SWITCHER_PDE 2046u              /* PD_INDEX(SWITCHER_VA): its first 2 MiB */

struct boot_info;

/* PTE_XD where the CPU has NX (EFER.NXE set by paging_init), else 0: what
 * every mapping of data gets. */
extern uint64_t paging_xd;

/* Builds the hypervisor's identity map of RAM below 4 GiB (2 MiB pages;
 * 4 KiB pages over the image so its data is no-execute, and page 0 left
 * unmapped to catch NULL), and turns PAE paging on. Returns the bytes
 * mapped. Stops the machine on a CPU without PAE. */
uint64_t paging_init(const struct boot_info *bi);
/* Identity-maps device memory uncached. */
void paging_map_mmio(uint32_t phys, uint32_t size);
/* The hypervisor's CR3: its PDPT. */
uint32_t paging_kernel_cr3(void);
/* The address space of another CPU: the same mappings (kept in step from
 * now on), with that CPU's switcher page table at SWITCHER_PDE. Its CR3,
 * or 0 when memory ran out. */
uint32_t paging_new_cpu_space(uint32_t switcher_pt);
/* Points the boot CPU's SWITCHER_PDE at the switcher's page table. */
void paging_set_switcher_pt(uint32_t pt);
/* Makes a PDPT (32-byte aligned, below 4 GiB) name four contiguous
 * directories starting at dirs. */
void paging_fill_pdpt(uint64_t *pdpt, uint32_t dirs);

#endif
