/* Our page tables in the PAE build (-DLG_PAE), the way a Linux 3.10
 * HIGHMEM64G lguest guest keeps and announces them (lguest-abi.md 6.9):
 * an address space is a 4-entry PDPT of 8-byte entries; entry 3 (the
 * kernel's gigabyte) names one page middle directory that every address
 * space shares, as Linux's shared kernel PMD; PMD entries name 512-entry
 * page tables. Changes are announced with SET_PGD (a PDPT entry: the PDPT
 * address and an index 0-3), SET_PMD (the PMD page and an index 0-511)
 * and SET_PTE (with the entry's high word, 0 but for test=paging's NX
 * check: our frames are below 4 GiB).
 *
 * The rest of the guest sees the same interface as for 2-level tables: a
 * "pgd" is the PDPT, pte_lookup gives the low word of the 8-byte entry. A
 * process PDPT sits 32 bytes into its page, as Linux's 32-byte pgd cache
 * places them, so the host meets PDPTs that are not page-aligned. */
#ifdef LG_PAE
#include "guest/hcall.h"
#include "guest/mm.h"
#include "guest/test.h"

#define PDPT_OFFSET 0x20

static u64 *pdpt_of(u32 *pgd) { return (u64 *)pgd; }
static u64 *table_of(u64 e) { return (u64 *)__va((u32)e & ~0xFFFu); }
static u64 *kernel_pmd(void) { return table_of(pdpt_of(kernel_pgd)[3]); }

void pgtable_drop_identity(void)
{
    /* PDPT entry 0 was the identity view of the kernel's PMD (shared with
     * entry 3, as head_32.S does it): only the entry goes */
    pdpt_of(kernel_pgd)[0] = 0;
    hcall(LHCALL_SET_PGD, cur_pgd_pa, 0, 0);
}

void pgtable_window(unsigned pde)
{
    u64 *pmd = kernel_pmd();
    for (unsigned k = 0; k < 2; k++) {
        unsigned i = (pde * 2 + k) & 511;
        pmd[i] = page_alloc() | PDE_KERNEL;
        hcall(LHCALL_SET_PMD, __pa(pmd), i, 0);
    }
}

u32 *pgd_new(void)
{
    u64 *pdpt = (u64 *)((u8 *)__va(page_alloc()) + PDPT_OFFSET);
    pdpt[3] = pdpt_of(kernel_pgd)[3];
    return (u32 *)pdpt;
}

void pgd_free(u32 *pgd)
{
    if (pgd_pa(pgd) == cur_pgd_pa || pgd == kernel_pgd)
        panic("freeing the page directory in use");
    u64 *pdpt = pdpt_of(pgd);
    for (unsigned i = 0; i < 3; i++) {
        if (!(pdpt[i] & PTE_P))
            continue;
        u64 *pmd = table_of(pdpt[i]);
        for (unsigned j = 0; j < 512; j++) {
            if (!(pmd[j] & PTE_P))
                continue;
            u64 *pt = table_of(pmd[j]);
            for (unsigned k = 0; k < 512; k++)
                if ((pt[k] & (PTE_P | PTE_OWNED)) == (PTE_P | PTE_OWNED))
                    page_free((u32)pt[k] & ~0xFFFu);
            page_free((u32)pmd[j] & ~0xFFFu);
        }
        page_free((u32)pdpt[i] & ~0xFFFu);
        pdpt[i] = 0;
        /* the host may still shadow this PDPT: its gigabyte goes */
        hcall_async(LHCALL_SET_PGD, pgd_pa(pgd), i, 0);
    }
    hcall_flush();
    page_free(pgd_pa(pgd) & ~0xFFFu);
}

u32 *pte_lookup(u32 *pgd, u32 va)
{
    u64 e = pdpt_of(pgd)[va >> 30];
    if (!(e & PTE_P))
        return 0;
    e = table_of(e)[(va >> 21) & 511];
    if (!(e & PTE_P))
        return 0;
    return (u32 *)&table_of(e)[(va >> 12) & 511];     /* the low word */
}

u32 *pde_lookup(u32 *pgd, u32 va)
{
    u64 e = pdpt_of(pgd)[va >> 30];
    return e & PTE_P ? (u32 *)&table_of(e)[(va >> 21) & 511] : 0;
}

void pde_announce(u32 *pgd, u32 va)
{
    u64 *pmd = table_of(pdpt_of(pgd)[va >> 30]);
    hcall(LHCALL_SET_PMD, __pa(pmd), (va >> 21) & 511, 0);
}

void map_page(u32 *pgd, u32 va, u32 pa, u32 flags, int lazy)
{
    void (*call)(u32, u32, u32, u32) = lazy ? hcall_async : hcall;
    u64 *pdpt = pdpt_of(pgd);
    unsigned i = va >> 30, j = (va >> 21) & 511;
    if (!(pdpt[i] & PTE_P)) {
        if (va >= KERNEL_BASE)
            panic("kernel page middle directory for 0x%x missing", (unsigned)va);
        pdpt[i] = page_alloc() | PTE_P;
        call(LHCALL_SET_PGD, pgd_pa(pgd), i, 0);
    }
    u64 *pmd = table_of(pdpt[i]);
    if (!(pmd[j] & PTE_P)) {
        if (va >= KERNEL_BASE)
            panic("kernel page table for 0x%x missing", (unsigned)va);
        pmd[j] = page_alloc() | PDE_USER;
        call(LHCALL_SET_PMD, __pa(pmd), j, 0);
    }
    u32 *pte = pte_lookup(pgd, va);
    pte[1] = 0;
    pte[0] = pa | flags | PTE_P;
    call(LHCALL_SET_PTE, pgd_pa(pgd), va, pte[0]);
}

#endif
