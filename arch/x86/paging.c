/* The hypervisor's own address space, in PAE format (paging.h): RAM below
 * 4 GiB identity-mapped, so a physical address there is also a pointer,
 * and device memory mapped uncached on request. SWITCHER_PDE stays empty
 * here: it belongs to the switcher, at the same address in every address
 * space. Nothing here is global (see paging_init). */
#include <string.h>
#include "arch/x86/paging.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/x86.h"
#include "kernel/bootinfo.h"
#include "kernel/frames.h"
#include "kernel/image.h"
#include "kernel/panic.h"

#define LOW_LIMIT ((uint64_t)SWITCHER_PDE * LARGE_PAGE)  /* the switcher's 4 MiB start here */
#define LAST_DIR  (3 * PT_ENTRIES)      /* the directory of 3-4 GiB: the per-CPU one */

uint64_t paging_xd;

static uint64_t kernel_pd[PD_ENTRIES] __attribute__((aligned(4096), section(".bss.pagealigned")));
static uint64_t kernel_pdpt[4] __attribute__((aligned(32)));

/* The other CPUs' address spaces share the first three directories with
 * this one and have their own copy of the last (it holds their switcher
 * slot), so an entry written there is written to each copy. (An entry only
 * ever goes from not present to present, and the CPU caches no
 * not-present entries, so no other CPU needs a TLB flush.) */
static uint64_t *cpu_last_dirs[64];
static uint32_t ncpu_spaces;

void paging_fill_pdpt(uint64_t *pdpt, uint32_t dirs)
{
    /* a PDPT entry has P and the address only: every other bit is reserved */
    for (uint32_t i = 0; i < 4; i++)
        pdpt[i] = (uint64_t)(dirs + i * PAGE_SIZE) | PTE_P;
}

static void set_pde(uint32_t index, uint64_t pde)
{
    kernel_pd[index] = pde;
    if (index >= LAST_DIR)
        for (uint32_t i = 0; i < ncpu_spaces; i++)
            cpu_last_dirs[i][index - LAST_DIR] = pde;
}

static uint64_t *table_for(uint32_t pde_index)
{
    uint64_t pde = kernel_pd[pde_index];
    if (pde & PTE_P)
        return (uint64_t *)(uint32_t)(pde & PTE_ADDR);
    uint32_t frame = frame_alloc();
    if (!frame)
        panic("paging: out of memory for a page table");
    memset((void *)frame, 0, PAGE_SIZE);
    set_pde(pde_index, (uint64_t)frame | PTE_P | PTE_W);
    return (uint64_t *)frame;
}

static void map_4k(uint32_t phys, uint64_t flags)
{
    uint64_t *pt = table_for(PD_INDEX(phys));
    pt[PT_INDEX(phys)] = (uint64_t)phys | flags | PTE_P;
}

/* Maps [start, end) at 2 MiB granularity, above the image's small pages. */
static void map_range(uint64_t start, uint64_t end, uint32_t small_end)
{
    for (uint64_t a = start & ~(uint64_t)(LARGE_PAGE - 1); a < end && a < LOW_LIMIT; a += LARGE_PAGE) {
        uint32_t idx = PD_INDEX((uint32_t)a);
        if (a < small_end || (kernel_pd[idx] & PTE_P))
            continue;
        kernel_pd[idx] = a | PTE_PS | PTE_W | PTE_P | paging_xd;
    }
}

uint64_t paging_init(const struct boot_info *bi)
{
    if (!cpu.pae)
        panic("paging: this CPU has no PAE, which lgvisor needs (any CPU since the Pentium Pro has it)");
    if (cpu.nx && cpu.msr) {
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
        paging_xd = PTE_XD;
    }
    /* No global pages: a global TLB entry outlives the CR3 load into a
     * guest's address space, and would let the guest reach this memory.
     * The first 2 MiB steps that hold the image are 4 KiB pages, so only
     * its text is executable: below 1 MiB (the firmware's areas and the
     * other CPUs' start-up page) stays executable too; page 0 is left out. */
    uint32_t small_end = ((uint32_t)__image_end + LARGE_PAGE - 1) & ~(LARGE_PAGE - 1);
    for (uint32_t p = PAGE_SIZE; p < small_end; p += PAGE_SIZE) {
        bool exec = p < 0x100000u || (p >= (uint32_t)__image_start && p < (uint32_t)__text_end);
        map_4k(p, PTE_W | (exec ? 0 : paging_xd));
    }
    for (uint32_t i = 0; i < bi->nmmap; i++) {
        const struct boot_mmap_entry *e = &bi->mmap[i];
        if (e->type == MMAP_AVAILABLE)
            map_range(e->base, e->base + e->len, small_end);
    }
    for (uint32_t i = 0; i < bi->nmodules; i++)
        map_range(bi->modules[i].start, bi->modules[i].end, small_end);
    uint64_t mapped = small_end;
    for (uint32_t i = PD_INDEX(small_end); i < SWITCHER_PDE; i++)
        if (kernel_pd[i] & PTE_P)
            mapped += LARGE_PAGE;

    paging_fill_pdpt(kernel_pdpt, (uint32_t)kernel_pd);
    uint32_t cr4 = read_cr4() | CR4_PAE;
    if (cpu.fxsr) cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    write_cr4(cr4);
    write_cr3((uint32_t)kernel_pdpt);
    write_cr0(read_cr0() | CR0_PG | CR0_WP | CR0_NE);
    gdt_set_df_cr3((uint32_t)kernel_pdpt);
    return mapped;
}

void paging_map_mmio(uint32_t phys, uint32_t size)
{
    if (!size)
        return;
    uint64_t end = (uint64_t)phys + size;
    for (uint64_t p = phys & ~0xFFFu; p < end; p += PAGE_SIZE) {
        uint32_t idx = PD_INDEX((uint32_t)p);
        if (idx >= SWITCHER_PDE)
            panic("paging: device memory at 0x%08lx collides with the switcher", (unsigned long)p);
        if (kernel_pd[idx] & PTE_PS)
            continue;   /* inside a RAM large page: already reachable */
        map_4k((uint32_t)p, PTE_W | PTE_PCD | PTE_PWT | paging_xd);
        invlpg((uint32_t)p);
    }
}

uint32_t paging_kernel_cr3(void) { return (uint32_t)kernel_pdpt; }

uint32_t paging_new_cpu_space(uint32_t switcher_pt)
{
    if (ncpu_spaces == sizeof(cpu_last_dirs) / sizeof(cpu_last_dirs[0]))
        return 0;
    uint32_t pdpt_page = frame_alloc(), last = frame_alloc();
    if (!pdpt_page || !last) {
        if (pdpt_page) frame_free(pdpt_page);
        if (last) frame_free(last);
        return 0;
    }
    uint64_t *pdpt = (uint64_t *)pdpt_page, *dir = (uint64_t *)last;
    memset(pdpt, 0, PAGE_SIZE);
    paging_fill_pdpt(pdpt, (uint32_t)kernel_pd);
    pdpt[3] = (uint64_t)last | PTE_P;
    memcpy(dir, &kernel_pd[LAST_DIR], PAGE_SIZE);
    dir[SWITCHER_PDE - LAST_DIR] = (uint64_t)switcher_pt | PTE_P | PTE_W;
    cpu_last_dirs[ncpu_spaces++] = dir;
    return pdpt_page;
}

void paging_set_switcher_pt(uint32_t pt)
{
    kernel_pd[SWITCHER_PDE] = (uint64_t)pt | PTE_P | PTE_W;
    write_cr3((uint32_t)kernel_pdpt);
}
