/* Guest-virtual addresses as the debugger sees them: the same two-level
 * walk of the guest's current tables as the shadow code's (shadow.c), but
 * without any of its effects. Nothing is installed, no accessed or dirty
 * bit is set, and an entry the shadow code would stop the guest for is
 * simply "not mapped": looking at a guest must never change it. */
#include "kernel/lguest/guest.h"
#include "arch/x86/paging.h"
#include "arch/x86/switcher.h"
#include "kernel/lguest/pte.h"

bool gvirt_to_gpa(const struct guest *g, uint32_t va, uint32_t *gpa)
{
    if (va >= SWITCHER_VA)
        return false;               /* the hypervisor's: never the guest's memory */
    if (g->shadow.linear) {
        /* Before its first NEW_PGTABLE (ABI 1.5) the guest sees va = GPA.
         * Its kernel's symbols are linked at its direct map, though
         * (PAGE_OFFSET = kernel_address), which will map them onto the
         * same frames: so a debugger holding the guest at its first
         * instruction may already set breakpoints there. */
        uint32_t pa = va >= g->kernel_address ? va - g->kernel_address : va;
        if (pa >= g->mem.size)
            return false;
        *gpa = pa;
        return true;
    }
    uint32_t gpgd = g->shadow.roots[g->shadow.cur].gpgd, pde, pte;
    if (!gmem_read_u32(&g->mem, gpgd + (va >> 22) * 4, &pde) || !(pde & PTE_P) ||
        guest_pde_check(pde, g->pfn_limit))
        return false;
    if (!gmem_read_u32(&g->mem, (pde & ~0xFFFu) + ((va >> 12) & 1023) * 4, &pte) ||
        !(pte & PTE_P) || guest_pte_check(pte, g->pfn_limit))
        return false;
    *gpa = (pte & ~0xFFFu) | (va & 0xFFF);
    return gmem_ok(&g->mem, *gpa, 1);
}
