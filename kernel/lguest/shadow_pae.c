/* PAE guests: see shadow_pae.h. Their tables are read here only, through
 * the guest's checked memory, and every entry is judged by pte_pae.h's
 * checks before anything is made from it. */
#include "kernel/hot.h"
#include "kernel/lguest/shadow_pae.h"
#include "arch/x86/paging.h"
#include "kernel/lguest/guest.h"
#include "kernel/lguest/pte.h"
#include "kernel/lguest/pte_pae.h"
#include "kernel/log.h"
#include "virtio/vpci.h"
#include "kernel/lguest/shadow_int.h"

#define HI(e) ((unsigned long)((e) >> 32))
#define LO(e) ((unsigned long)(uint32_t)(e))

bool shadow_pae_decide(struct guest *g, uint32_t gpgd)
{
    enum guest_paging want = g->cfg ? g->cfg->paging : GUEST_PAGING_AUTO;
    uint32_t words[8] = { 0 };
    bool pae, read = gmem_read(&g->mem, gpgd & ~0x1Fu, words, sizeof(words));
    const char *why;
    if (want == GUEST_PAGING_PAE) {
        pae = true;
        why = "paging=pae";
    } else if (want == GUEST_PAGING_2LEVEL) {
        pae = false;
        why = "paging=2level";
    } else {
        pae = read && pae_looks_like_pdpt(gpgd, words);
        why = pae ? "its first page table is a PDPT" : "its first page table is a page directory";
    }
    if (pae && g->gen == GEN_2632) {
        guest_kill(g, "PAE page tables from a 2.6.32-era guest (%s): its first tables are the host's, "
                      "which are 2-level; build it without HIGHMEM64G", why);
        return false;
    }
    g->shadow.pae = pae;
    log_info("guest %s: %s page tables (%s, at 0x%08lx)", g->name, pae ? "PAE (3-level)" : "2-level", why,
             (unsigned long)gpgd);
    return true;
}

static bool read_u64(struct guest *g, uint32_t gpa, uint64_t *v, const char *what)
{
    if (gmem_read(&g->mem, gpa, v, 8))
        return true;
    guest_kill(g, "bad read address 0x%08lx len 8 (%s)", (unsigned long)gpa, what);
    return false;
}

HOT enum shadow_result shadow_pae_walk(struct guest *g, uint32_t gpdpt, uint32_t va, struct shadow_walk *w)
{
    uint64_t pdpte, pmd, pte;
    const char *why;
    if (!read_u64(g, gpdpt + pae_pdpt_index(va) * 8, &pdpte, "PDPT"))
        return SHADOW_KILLED;
    if (!(pdpte & PTE_P))
        return SHADOW_GUEST_FAULT;
    if ((why = pae_pdpte_check(pdpte, g->pfn_limit))) {
        guest_kill(g, "bad PDPT entry 0x%08lx%08lx for 0x%08lx: %s", HI(pdpte), LO(pdpte), (unsigned long)va, why);
        return SHADOW_KILLED;
    }
    if (!read_u64(g, (uint32_t)(pdpte & PAE_FRAME_MASK) + pae_pmd_index(va) * 8, &pmd, "page middle directory"))
        return SHADOW_KILLED;
    if (!(pmd & PTE_P))
        return SHADOW_GUEST_FAULT;
    if ((why = pae_pmd_check(pmd, g->pfn_limit))) {
        guest_kill(g, "bad page middle directory entry 0x%08lx%08lx for 0x%08lx: %s", HI(pmd), LO(pmd),
                   (unsigned long)va, why);
        return SHADOW_KILLED;
    }
    uint32_t gpa = (uint32_t)(pmd & PAE_FRAME_MASK) + pae_pte_index(va) * 8;
    if (!read_u64(g, gpa, &pte, "page table"))
        return SHADOW_KILLED;
    if (!(pte & PTE_P))
        return SHADOW_GUEST_FAULT;
    uint32_t lo = (uint32_t)pte, pmd_lo = (uint32_t)pmd;
    enum shadow_result r = SHADOW_FIXED;
    if (__builtin_expect(g->gen == GEN_4, 0) && !(pte >> 32) && lo >> 12 >= g->pfn_limit &&
        vpci_is_mmio(g, lo & ~0xFFFu)) {
        r = SHADOW_MMIO;
    } else if ((why = pae_pte_check(pte, g->pfn_limit, paging_xd != 0))) {
        guest_kill(g, "bad page table entry 0x%08lx%08lx for 0x%08lx: %s", HI(pte), LO(pte), (unsigned long)va, why);
        return SHADOW_KILLED;
    }
    /* the PDPT entry has no permissions in PAE paging: the PMD's and the
     * PTE's are intersected, as on the CPU */
    w->gpte = pte & pde_fold(pmd_lo);
    w->pde = pmd_lo;
    w->gpte_gpa = gpa;          /* A and D live in the low word */
    w->present = true;
    return r;
}

HOT bool shadow_pae_pte(struct guest *g, uint32_t pmd_lo, uint32_t i, uint64_t *out)
{
    uint64_t pte;
    if (!gmem_read(&g->mem, (pmd_lo & ~0xFFFu) + i * 8, &pte, 8))
        return false;
    if ((pte & (PTE_P | PTE_A)) != (PTE_P | PTE_A) || pae_pte_check(pte, g->pfn_limit, paging_xd != 0))
        return false;
    *out = pte;
    return true;
}

HOT bool shadow_pae_recheck(struct guest *g, uint32_t gpdpt, uint32_t i, uint64_t *spt)
{
    uint64_t pdpte, pmd;
    if (!gmem_read(&g->mem, gpdpt + (i >> 9) * 8, &pdpte, 8) || !(pdpte & PTE_P) ||
        pae_pdpte_check(pdpte, g->pfn_limit))
        return false;
    uint32_t limit = g->pfn_limit;
    uint32_t pmd_gpa = (uint32_t)(pdpte & PAE_FRAME_MASK) + (i & 511) * 8;
    const volatile uint64_t *gpt = 0;
    if (gmem_read(&g->mem, pmd_gpa, &pmd, 8) && (pmd & PTE_P) && !pae_pmd_check(pmd, limit))
        gpt = gmem_ptr(&g->mem, (uint32_t)(pmd & PAE_FRAME_MASK), PAGE_SIZE);
    if (!gpt)
        return false;
    uint64_t fold = pde_fold((uint32_t)pmd), base = g->mem.phys;
    for (uint32_t j = 0; j < PT_ENTRIES; j++) {
        uint64_t se = spt[j];
        if (!se)
            continue;
        uint64_t pte = gpt[j];
        if (pae_pte_check(pte, limit, paging_xd != 0) || !shadow_pte_current(se, pte, fold, base, limit)) {
            spt[j] = 0;
            g->stats.shadow_unpark_dropped++;
        }
    }
    return true;
}
