/* Our 2-level page tables (the default build; pgtable_pae.c is the PAE
 * one): the directory, its tables and their announcements to the host. */
#ifndef LG_PAE
#include "guest/hcall.h"
#include "guest/mm.h"
#include "guest/test.h"

void pgtable_drop_identity(void)
{
    /* The identity half of the boot tables was only for the jump to
     * KERNEL_BASE. Without it, address 0 faults and the user half of the
     * kernel's directory is empty, as in every process directory. */
    for (u32 i = 0; i < boot_pt_count; i++) {
        kernel_pgd[i] = 0;
        hcall_async(LHCALL_SET_PGD, cur_pgd_pa, i, 0);
    }
    hcall_flush();
}

void pgtable_window(unsigned pde)
{
    kernel_pgd[pde] = page_alloc() | PDE_KERNEL;
    hcall(LHCALL_SET_PGD, pgd_pa(kernel_pgd), pde, 0);
}

u32 *pgd_new(void)
{
    u32 *pgd = __va(page_alloc());
    for (unsigned i = KERNEL_BASE >> 22; i < 1023; i++)
        pgd[i] = kernel_pgd[i];
    return pgd;
}

void pgd_free(u32 *pgd)
{
    if (pgd_pa(pgd) == cur_pgd_pa || pgd == kernel_pgd)
        panic("freeing the page directory in use");
    for (unsigned i = 0; i < KERNEL_BASE >> 22; i++) {
        if (!(pgd[i] & PTE_P))
            continue;
        u32 *pt = __va(pgd[i] & ~0xFFFu);
        for (unsigned j = 0; j < 1024; j++)
            if ((pt[j] & (PTE_P | PTE_OWNED)) == (PTE_P | PTE_OWNED))
                page_free(pt[j] & ~0xFFFu);
        page_free(pgd[i] & ~0xFFFu);
        pgd[i] = 0;
        /* The host may still shadow this directory: once its page is
         * reused (perhaps as another directory), nothing stale may stay. */
        hcall_async(LHCALL_SET_PGD, pgd_pa(pgd), i, 0);
    }
    hcall_flush();
    page_free(pgd_pa(pgd));
}

u32 *pte_lookup(u32 *pgd, u32 va)
{
    u32 pde = pgd[va >> 22];
    if (!(pde & PTE_P))
        return 0;
    return (u32 *)__va(pde & ~0xFFFu) + (va >> 12 & 1023);
}

u32 *pde_lookup(u32 *pgd, u32 va) { return &pgd[va >> 22]; }
void pde_announce(u32 *pgd, u32 va) { hcall(LHCALL_SET_PGD, pgd_pa(pgd), va >> 22, 0); }

void map_page(u32 *pgd, u32 va, u32 pa, u32 flags, int lazy)
{
    void (*call)(u32, u32, u32, u32) = lazy ? hcall_async : hcall;
    unsigned i = va >> 22;
    if (!(pgd[i] & PTE_P)) {
        if (va >= KERNEL_BASE)
            panic("kernel page table for 0x%x missing", (unsigned)va);
        pgd[i] = page_alloc() | PDE_USER;
        call(LHCALL_SET_PGD, pgd_pa(pgd), i, 0);
    }
    u32 *pte = pte_lookup(pgd, va);
    *pte = pa | flags | PTE_P;
    call(LHCALL_SET_PTE, pgd_pa(pgd), va, *pte);
}

#endif
