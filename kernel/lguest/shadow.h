/* Shadow page tables (lguest ABI 6): the page tables the CPU really uses
 * while a guest runs. They are a cache of the guest's own tables, 2-level
 * or PAE, filled on page faults and emptied when the guest says its tables
 * changed, exactly like a TLB. They are PAE tables for every guest, as the
 * hypervisor pages with PAE (arch/x86/paging.h): a 2-level guest's 4 MiB
 * page table is shadowed by two 512-entry tables, a PAE guest's tables one
 * for one. Every entry is checked against the guest's memory, so a shadow
 * entry can only ever point into that guest's own frames. */
#ifndef KERNEL_LGUEST_SHADOW_H
#define KERNEL_LGUEST_SHADOW_H
#include <stdbool.h>
#include <stdint.h>

#define SHADOW_ROOTS 4              /* address spaces kept, so a process switch is cheap */
#define SHADOW_MAX_FRAMES 2048      /* per guest: 8 MiB of shadow tables at most */

struct shadow_root {
    bool used;
    uint32_t gpgd;                  /* GPA of the guest page directory (or PDPT) */
    uint64_t *pd;                   /* its four shadow directories, flat (PD_ENTRIES), or NULL */
    uint64_t *pdpt;                 /* what CR3 names: the page before pd */
    uint32_t tables[2048 / 32];     /* bit i: pd[i] holds a table, live or parked */
};

struct shadow {
    struct shadow_root roots[SHADOW_ROOTS];
    uint32_t cur;                   /* the root in use */
    uint32_t victim;                /* next root to recycle */
    bool linear;                    /* before the first NEW_PGTABLE (ABI 1.5) */
    bool pae;                       /* the guest's tables are PAE (shadow_pae.h) */
    bool pin_needed;                /* the kernel stack must be faulted in again */
    uint32_t *pool;                 /* free shadow frames, linked through word 0 */
    uint32_t frames;                /* shadow frames owned, pool included */
};

struct guest;

/* One walk of the guest's tables for a virtual address. */
struct shadow_walk {
    uint32_t pde;           /* the guest PDE (PAE: the PMD entry's low word; 0 in linear mode) */
    uint64_t gpte;          /* the guest PTE (2-level: zero-extended), upper-level permissions folded in */
    uint32_t gpte_gpa;      /* where it lives (0 in linear mode) */
    bool present;           /* every level present */
};

enum shadow_result {
    SHADOW_FIXED,                   /* the shadow now maps the page: resume */
    SHADOW_GUEST_FAULT,             /* the guest's own tables say fault: reflect */
    SHADOW_KILLED,                  /* the guest was stopped (bad entry) */
    SHADOW_MMIO,                    /* a 4.x guest's mapping of a virtio-pci BAR: never
                                     * mapped, every access emulated (shadow_translate
                                     * gives its GPA) */
};

void shadow_init(struct guest *g);          /* linear mode, nothing cached */
void shadow_release(struct guest *g);       /* frees every shadow frame */
/* CR3 for the guest's current address space. 0 if the guest was killed. */
uint32_t shadow_cr3(struct guest *g);
/* A page fault at va with hardware error code *err (updated to what the
 * guest's tables say, for reflection). */
enum shadow_result shadow_fault(struct guest *g, uint32_t va, uint32_t *err);
/* The shadow entry the CPU uses for va now (0: none). */
uint64_t shadow_entry(struct guest *g, uint32_t va);
/* Guest-virtual to guest-physical through the guest's tables, as an access
 * by the guest kernel (write: the page must be writable; A and D are set as
 * the CPU would). */
enum shadow_result shadow_translate(struct guest *g, uint32_t va, bool write, uint32_t *gpa);
/* Instruction bytes at va as the guest kernel would fetch them: copies up
 * to n into buf (and each one's GPA into gpa, if given), stopping at the
 * first that is not mapped; returns how many. The guest may have been
 * killed on the way (a bad table entry): the caller checks guest_alive. */
uint32_t shadow_fetch(struct guest *g, uint32_t va, uint8_t *buf, uint32_t *gpa, uint32_t n);
/* Faults in the kernel stack pages (SET_STACK) so a direct system call can
 * always push its frame. False if the guest was killed. */
bool shadow_pin_stack(struct guest *g);

/* Without the big lock, on the guest's own CPU (shadow_fast.c). A page
 * fault: FAST_FIXED as shadow_fault's SHADOW_FIXED, FAST_REFLECT as its
 * SHADOW_GUEST_FAULT (*err updated), FAST_SLOW having changed nothing when
 * the exit needs the usual path. */
enum shadow_fast { FAST_SLOW, FAST_FIXED, FAST_REFLECT };
enum shadow_fast shadow_fault_fast(struct guest *g, uint32_t va, uint32_t *err);
/* As shadow_set_pte when nothing but the shadow tables is involved; false,
 * having changed nothing, otherwise. */
bool shadow_set_pte_fast(struct guest *g, uint32_t gpgd, uint32_t va, uint32_t gpte);
/* The guest kernel's writable, already-shadowed [va, va + len) (one page,
 * aligned words) in host memory, or NULL: for pushing a trap frame. */
volatile uint32_t *shadow_stack_fast(struct guest *g, uint32_t va, uint32_t len);

/* The page-table hypercalls (ABI 6.3). */
void shadow_new_pgtable(struct guest *g, uint32_t gpgd);
/* Only the low word of a PAE guest's PTE (ESI holds the high one) is
 * passed: the entry is read afresh from its tables before any use, and a
 * 2-level guest's three-argument call may leave anything in ESI (some
 * lguest kernels make it with kvm_hypercall3). */
void shadow_set_pte(struct guest *g, uint32_t gpgd, uint32_t va, uint32_t gpte);
void shadow_set_pgd(struct guest *g, uint32_t gpgd, uint32_t index);
void shadow_set_pmd(struct guest *g, uint32_t pmd, uint32_t index);
void shadow_flush(struct guest *g, bool all);
/* Forgets the shadow of table gpgd (unless it is the one in use): for
 * tables whose changes the guest never announces, such as the first tables
 * of a 2.6.32 guest, which it leaves for good and reuses as memory. */
void shadow_forget(struct guest *g, uint32_t gpgd);

#endif
