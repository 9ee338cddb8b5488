#include "guest/tests/tests.h"

u32 median_u32(u32 *v, unsigned n)
{
    /* Insertion sort: n is a few thousand at most. */
    for (unsigned i = 1; i < n; i++) {
        u32 x = v[i];
        unsigned j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
    return n ? v[n / 2] : 0;
}

#include "guest/mm.h"

u32 *space_with_page(u32 va, u32 marker, u32 *pa_out)
{
    u32 *pgd = pgd_new();
    u32 pa = page_alloc();
    *(u32 *)__va(pa) = marker;
    map_page(pgd, va, pa, PTE_U | PTE_W | PTE_OWNED, 0);
    if (pa_out)
        *pa_out = pa;
    return pgd;
}

u32 read_in_space(u32 *pgd, u32 va)
{
    mm_switch(pgd);
    u32 v = *(volatile u32 *)va;
    mm_switch(kernel_pgd);
    return v;
}

u32 page_with(u32 marker)
{
    u32 pa = page_alloc();
    *(u32 *)__va(pa) = marker;
    return pa;
}
