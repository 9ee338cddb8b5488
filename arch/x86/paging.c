/* The hypervisor's own address space: RAM identity-mapped, so a physical
 * address is also a pointer, and device memory mapped uncached on request.
 * The top 4 MiB (page-directory slot 1023) stay empty: they belong to the
 * switcher, at the same address in every address space. Nothing here is
 * global (see paging_init). */
#include <string.h>
#include "arch/x86/paging.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/x86.h"
#include "kernel/bootinfo.h"
#include "kernel/frames.h"
#include "kernel/panic.h"

#define SWITCHER_PDE 1023

static uint32_t kernel_pd[1024] __attribute__((aligned(4096), section(".bss.pagealigned")));
static uint32_t low_pt[1024] __attribute__((aligned(4096), section(".bss.pagealigned")));

/* The other CPUs' copies of kernel_pd: every slot but the switcher's is
 * the same in all, so a new slot is written to each. (A slot only ever goes
 * from not present to present, and the CPU caches no not-present entries,
 * so no other CPU needs a TLB flush.) */
static uint32_t *cpu_pds[64];
static uint32_t ncpu_pds;

static void set_pde(uint32_t index, uint32_t pde)
{
    kernel_pd[index] = pde;
    for (uint32_t i = 0; i < ncpu_pds; i++)
        cpu_pds[i][index] = pde;
}

static uint32_t *table_for(uint32_t pde_index)
{
    uint32_t pde = kernel_pd[pde_index];
    if (pde & PTE_P)
        return (uint32_t *)(pde & ~0xFFFu);
    uint32_t frame = frame_alloc();
    if (!frame)
        panic("paging: out of memory for a page table");
    memset((void *)frame, 0, PAGE_SIZE);
    set_pde(pde_index, frame | PTE_P | PTE_W);
    return (uint32_t *)frame;
}

static void map_4k(uint32_t phys, uint32_t flags)
{
    uint32_t *pt = table_for(phys >> 22);
    pt[(phys >> 12) & 1023] = phys | flags | PTE_P;
}

/* Maps [start, end) at 4 MiB granularity (or 4 KiB without PSE). */
static void map_range(uint32_t start, uint64_t end, uint32_t flags)
{
    for (uint64_t a = start & ~(LARGE_PAGE - 1); a < end; a += LARGE_PAGE) {
        uint32_t idx = (uint32_t)(a >> 22);
        if (idx == 0 || idx >= SWITCHER_PDE)
            continue;
        if (cpu.pse && !(kernel_pd[idx] & PTE_P)) {
            kernel_pd[idx] = (uint32_t)a | flags | PTE_PS | PTE_P;
        } else if (!cpu.pse) {
            uint64_t lo = a < start ? start & ~0xFFFu : a;
            uint64_t hi = a + LARGE_PAGE < end ? a + LARGE_PAGE : end;
            for (uint64_t p = lo; p < hi; p += PAGE_SIZE)
                map_4k((uint32_t)p, flags);
        }
    }
}

uint64_t paging_init(const struct boot_info *bi)
{
    /* No global pages: a global TLB entry outlives the CR3 load into a
     * guest's address space, and would let the guest reach this memory. */
    /* first 4 MiB in small pages, page 0 left out */
    kernel_pd[0] = (uint32_t)low_pt | PTE_P | PTE_W;
    for (uint32_t i = 1; i < 1024; i++)
        low_pt[i] = (i << 12) | PTE_P | PTE_W;
    uint64_t mapped = LARGE_PAGE;
    for (uint32_t i = 0; i < bi->nmmap; i++) {
        const struct boot_mmap_entry *e = &bi->mmap[i];
        if (e->type != MMAP_AVAILABLE || e->base >= 0xFFC00000ull)
            continue;
        uint64_t end = e->base + e->len;
        if (end > 0xFFC00000ull)
            end = 0xFFC00000ull;
        map_range((uint32_t)e->base, end, PTE_W);
    }
    for (uint32_t i = 0; i < bi->nmodules; i++)
        map_range(bi->modules[i].start, bi->modules[i].end, PTE_W);
    for (uint32_t i = 1; i < SWITCHER_PDE; i++)
        if (kernel_pd[i] & PTE_P)
            mapped += LARGE_PAGE;

    uint32_t cr4 = read_cr4();
    if (cpu.pse) cr4 |= CR4_PSE;
    if (cpu.fxsr) cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    write_cr4(cr4);
    write_cr3((uint32_t)kernel_pd);
    write_cr0(read_cr0() | CR0_PG | CR0_WP | CR0_NE);
    gdt_set_df_cr3((uint32_t)kernel_pd);
    return mapped;
}

void paging_map_mmio(uint32_t phys, uint32_t size)
{
    if (!size)
        return;
    uint64_t end = (uint64_t)phys + size;
    for (uint64_t p = phys & ~0xFFFu; p < end; p += PAGE_SIZE) {
        uint32_t idx = (uint32_t)(p >> 22);
        if (idx >= SWITCHER_PDE)
            panic("paging: device memory at 0x%08lx collides with the switcher", (unsigned long)p);
        if (kernel_pd[idx] & PTE_PS)
            continue;   /* inside a RAM large page: already reachable */
        map_4k((uint32_t)p, PTE_W | PTE_PCD | PTE_PWT);
        invlpg((uint32_t)p);
    }
}

uint32_t paging_kernel_cr3(void) { return (uint32_t)kernel_pd; }

uint32_t *paging_new_cpu_pd(uint32_t switcher_pt)
{
    if (ncpu_pds == sizeof(cpu_pds) / sizeof(cpu_pds[0]))
        return 0;
    uint32_t *pd = (uint32_t *)frame_alloc();
    if (!pd)
        return 0;
    memcpy(pd, kernel_pd, PAGE_SIZE);
    pd[SWITCHER_PDE] = switcher_pt | PTE_P | PTE_W;
    cpu_pds[ncpu_pds++] = pd;
    return pd;
}

void paging_set_switcher_pt(uint32_t pt)
{
    kernel_pd[SWITCHER_PDE] = pt | PTE_P | PTE_W;
    write_cr3((uint32_t)kernel_pd);
}
