#include <string.h>
#include "guest/hcall.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/test.h"

u32 *kernel_pgd = boot_pgdir;
u32 cur_pgd_pa;
volatile u32 demand_faults;

/* One bit per RAM page, set = in use. */
static u32 page_map[(MAX_RAM >> PAGE_SHIFT) / 32];
static u32 ram_pages, free_count, hint;

static int used(u32 pfn) { return page_map[pfn / 32] >> (pfn % 32) & 1; }
static void mark(u32 pfn, int on)
{
    if (on)
        page_map[pfn / 32] |= 1u << (pfn % 32);
    else
        page_map[pfn / 32] &= ~(1u << (pfn % 32));
}

u32 pages_alloc(unsigned n)
{
    u32 flags = irq_save();
    for (u32 tries = 0; tries < 2; tries++) {
        u32 run = 0;
        for (u32 pfn = hint; pfn < ram_pages; pfn++) {
            run = used(pfn) ? 0 : run + 1;
            if (run == n) {
                u32 first = pfn + 1 - n;
                for (u32 i = first; i <= pfn; i++)
                    mark(i, 1);
                free_count -= n;
                hint = pfn + 1;
                irq_restore(flags);
                memset(__va(first << PAGE_SHIFT), 0, n * PAGE_SIZE);
                return first << PAGE_SHIFT;
            }
        }
        hint = 0;
    }
    irq_restore(flags);
    panic("out of guest memory (%u pages free, %u contiguous wanted)", free_count, n);
}

u32 page_alloc(void) { return pages_alloc(1); }

void pages_free(u32 pa, unsigned n)
{
    u32 flags = irq_save();
    for (u32 pfn = pa >> PAGE_SHIFT; n--; pfn++) {
        if (pfn >= ram_pages || !used(pfn))
            panic("freeing page 0x%x twice or outside RAM", (unsigned)(pfn << PAGE_SHIFT));
        mark(pfn, 0);
        free_count++;
    }
    irq_restore(flags);
}

unsigned pages_free_count(void) { return free_count; }
int page_is_free(u32 pa) { return pa < ram_bytes && !used(pa >> PAGE_SHIFT); }

void mm_init(void)
{
    cur_pgd_pa = pgd_pa(kernel_pgd);
    pgtable_drop_identity();

    ram_pages = ram_bytes >> PAGE_SHIFT;
    for (u32 pfn = 0; pfn < ram_pages; pfn++)
        mark(pfn, 1);
    for (u32 pfn = boot_free_pa >> PAGE_SHIFT; pfn < ram_pages; pfn++) {
        mark(pfn, 0);
        free_count++;
    }
    hint = boot_free_pa >> PAGE_SHIFT;

    /* The kernel windows get their page tables now, before any process
     * directory copies the kernel half. */
    pgtable_window(KMAP_PDE);
    pgtable_window(DEMAND_PDE);
}

/* In the PAE build the entry's high word stays 0 here (our frames are
 * below 4 GiB; only test=paging's NX check sets NX, with its own call),
 * and so does ESI, its half of the call. */
void set_pte(u32 *pgd, u32 va, u32 value)
{
    u32 *pte = pte_lookup(pgd, va);
    if (!pte)
        panic("set_pte: no page table for 0x%x", (unsigned)va);
    *pte = value;
    hcall(LHCALL_SET_PTE, pgd_pa(pgd), va, value);
}

void mm_switch(u32 *pgd)
{
    cur_pgd_pa = pgd_pa(pgd);
    hcall(LHCALL_NEW_PGTABLE, cur_pgd_pa, 0, 0);
}

u32 kmap(unsigned slot, u32 pa, u32 flags)
{
    u32 va = KMAP_VA + slot * PAGE_SIZE;
    /* Kernel addresses: the change applies to every address space. */
    set_pte(kernel_pgd, va, pa | flags | PTE_P);
    return va;
}

void kunmap(unsigned slot) { set_pte(kernel_pgd, KMAP_VA + slot * PAGE_SIZE, 0); }

int mm_demand_fault(u32 cr2, u32 error)
{
    if (cr2 < DEMAND_VA || cr2 >= DEMAND_VA + (4u << 20) || (error & PTE_P))
        return 0;
    u32 va = cr2 & ~0xFFFu;
    set_pte(kernel_pgd, va, page_alloc() | PTE_W | PTE_P | PTE_OWNED);
    demand_faults++;
    return 1;
}

int user_range_ok(u32 *pgd, u32 va, u32 len, int write)
{
    if (!len)
        return 1;
    if (va >= KERNEL_BASE || len > KERNEL_BASE - va)
        return 0;
    for (u32 page = va & ~0xFFFu; page <= ((va + len - 1) & ~0xFFFu); page += PAGE_SIZE) {
        u32 *dir = pde_lookup(pgd, page);
        if (!dir || (*dir & (PTE_P | PTE_U)) != (PTE_P | PTE_U))
            return 0;
        u32 pte = *pte_lookup(pgd, page);
        if ((pte & (PTE_P | PTE_U)) != (PTE_P | PTE_U) || (write && !(pte & PTE_W)))
            return 0;
    }
    return 1;
}

void *dev_map(u32 pa, u32 len)
{
    static u32 mapped[DEV_PAGES];       /* pa | 1 of what each slot maps */
    if (pa < ram_bytes || !len || len > DEV_PAGES * PAGE_SIZE || pa - ram_bytes > DEV_PAGES * PAGE_SIZE - len)
        return 0;
    u32 first = (pa - ram_bytes) >> PAGE_SHIFT, last = (pa + len - 1 - ram_bytes) >> PAGE_SHIFT;
    for (u32 i = first; i <= last; i++) {
        u32 page = ram_bytes + (i << PAGE_SHIFT);
        if (mapped[i] != (page | 1)) {
            kmap(DEV_KMAP_FIRST + i, page, PTE_W);
            mapped[i] = page | 1;
        }
    }
    return (void *)(KMAP_VA + (DEV_KMAP_FIRST << PAGE_SHIFT) + (pa - ram_bytes));
}
