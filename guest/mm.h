/* Guest-physical pages and our own 2-level page tables. Every change to a
 * table that the host may have shadowed is announced (lguest-abi.md 6.3):
 * SET_PGD for a directory entry, SET_PTE for a table entry, NEW_PGTABLE
 * to switch. */
#ifndef GUEST_MM_H
#define GUEST_MM_H
#include "guest/layout.h"

#define PTE_P       0x001
#define PTE_W       0x002
#define PTE_U       0x004
#define PTE_PWT     0x008
#define PTE_A       0x020
#define PTE_D       0x040
#define PTE_PSE     0x080       /* PAT in a PTE: both forbidden by the host */
#define PTE_OWNED   0x200       /* software bit: the page belongs to this mapping */
#define PDE_USER    0x067       /* P RW US A D: everything the host allows */
#define PDE_KERNEL  0x063

/* From entry.S. */
extern u32 boot_pgdir[1024];
extern u32 ram_bytes, boot_pt_count, boot_free_pa;
extern char boot_stack_top[];

/* The kernel's own directory (boot_pgdir after mm_init) and the one the
 * host is translating through now. */
extern u32 *kernel_pgd;
extern u32 cur_pgd_pa;

void mm_init(void);
/* mm_init's table work (pgtable.c, or pgtable_pae.c in the PAE build):
 * the boot identity map removed; one 4 MiB kernel window (directory
 * index pde) given its page table(s). */
void pgtable_drop_identity(void);
void pgtable_window(unsigned pde);

/* Zeroed pages; panic when memory runs out. */
u32 page_alloc(void);
u32 pages_alloc(unsigned n);            /* contiguous */
void pages_free(u32 pa, unsigned n);
static inline void page_free(u32 pa) { pages_free(pa, 1); }
unsigned pages_free_count(void);
int page_is_free(u32 pa);

/* A new address space: user half empty, kernel half (PDEs 768-1022) the
 * same tables as kernel_pgd's. */
u32 *pgd_new(void);
/* Frees the user half (page tables and PTE_OWNED pages, each cleared PDE
 * announced) and the directory. Must not be the current one. */
void pgd_free(u32 *pgd);

/* The PTE for va, or 0 if its page table does not exist. */
u32 *pte_lookup(u32 *pgd, u32 va);
/* The directory-level entry over va (2-level: the PDE, 4 MiB; PAE: the
 * low word of the PMD entry, 2 MiB), or 0 if there is none (PAE: no PMD
 * page); pde_announce tells the host it changed (SET_PGD, or SET_PMD). */
u32 *pde_lookup(u32 *pgd, u32 va);
void pde_announce(u32 *pgd, u32 va);
/* Entry i of the page table at pa (its low word in the PAE build). */
static inline u32 *pt_slot(u32 pa, unsigned i)
{
#ifdef LG_PAE
    return (u32 *)__va(pa) + 2 * i;
#else
    return (u32 *)__va(pa) + i;
#endif
}
/* Maps va -> pa with flags (PTE_P added), creating the page table if
 * needed. lazy: the announcements go into the async ring (the caller
 * flushes); else they are synchronous. */
void map_page(u32 *pgd, u32 va, u32 pa, u32 flags, int lazy);
/* Writes a PTE value and announces it synchronously. */
void set_pte(u32 *pgd, u32 va, u32 pte);

/* NEW_PGTABLE, synchronously. */
void mm_switch(u32 *pgd);

/* KMAP window: slot n is the page at KMAP_VA + n * 4096. Returns the VA. */
#define KMAP_SLOTS 1024
u32 kmap(unsigned slot, u32 pa, u32 flags);
void kunmap(unsigned slot);

/* The device page and the rings after RAM (lguest-abi.md 8.1) are not
 * RAM, so not in the direct map: they get the top KMAP slots, one slot
 * per page from ram_bytes on (the host lets us reach 64 pages past RAM). */
#define DEV_KMAP_FIRST  960
#define DEV_PAGES       (KMAP_SLOTS - DEV_KMAP_FIRST)
/* Maps the device-area pages holding [pa, pa + len) (once each) and
 * returns the virtual address of pa, or 0 if the range is not inside the
 * device area. */
void *dev_map(u32 pa, u32 len);

/* Our own #PF handler's work for the DEMAND window: 1 if it mapped a page. */
int mm_demand_fault(u32 cr2, u32 error);
extern volatile u32 demand_faults;

/* Is [va, va + len) user-accessible (and writable) in pgd? */
int user_range_ok(u32 *pgd, u32 va, u32 len, int write);

static inline u32 pgd_pa(u32 *pgd) { return __pa(pgd); }

#endif
