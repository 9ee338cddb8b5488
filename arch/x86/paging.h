#ifndef ARCH_X86_PAGING_H
#define ARCH_X86_PAGING_H
#include <stdint.h>

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
#define LARGE_PAGE (4u << 20)

struct boot_info;

/* Builds the hypervisor's identity map of RAM (4 MiB pages where the CPU
 * has PSE, global where it has PGE; page 0 left unmapped to catch NULL) and
 * turns paging on. Returns the bytes mapped. */
uint64_t paging_init(const struct boot_info *bi);
/* Identity-maps device memory uncached. */
void paging_map_mmio(uint32_t phys, uint32_t size);
uint32_t paging_kernel_cr3(void);
/* A page directory for another CPU: kernel_pd's mappings (kept in step
 * with it from now on), with that CPU's switcher page table in slot 1023. */
uint32_t *paging_new_cpu_pd(uint32_t switcher_pt);
/* Fills slot 1023 with the switcher's page table. */
void paging_set_switcher_pt(uint32_t pt);

#endif
