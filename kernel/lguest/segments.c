/* Guest descriptors and selectors (ABI section 5). A descriptor is handled
 * as one uint64_t: bit n of the 8-byte entry is bit n here. */
#include "kernel/hot.h"
#include <stdbool.h>
#include <stdint.h>
#include "kernel/lguest/segments.h"

#define DESC_ACCESSED   (1ull << 40)
#define DESC_RW         (1ull << 41)    /* data: writable; code: readable */
#define DESC_DC         (1ull << 42)    /* data: expand-down; code: conforming */
#define DESC_CODE       (1ull << 43)
#define DESC_S          (1ull << 44)    /* 1: code or data; 0: system */
#define DESC_DPL_SHIFT  45
#define DESC_DPL_MASK   (3ull << DESC_DPL_SHIFT)
#define DESC_PRESENT    (1ull << 47)

#define SEL_TI          4u
#define SEL_RPL_MASK    3u

HOT bool gdt_index_host_owned(uint32_t index)
{
    return index == 10 || index == 11 || index == 16 || index == 31;
}

HOT uint64_t gdt_fixup(uint64_t desc)
{
    if (!(desc & DESC_S))
        return 0;
    if (!(desc & DESC_DPL_MASK))
        desc |= 1ull << DESC_DPL_SHIFT;
    return desc | DESC_ACCESSED;
}

static uint32_t desc_dpl(uint64_t d)
{
    return (uint32_t)((d & DESC_DPL_MASK) >> DESC_DPL_SHIFT);
}

/* The checks mirror what the CPU does when the switcher, at CPL 0, pops
 * DS/ES/FS/GS and then irets with CS and SS to CPL 1 or 3: a failure there
 * is a fault inside the hypervisor, so every such case is refused here. */
HOT bool selector_ok(const uint64_t gdt[GUEST_GDT_ENTRIES], uint32_t sel, enum seg_kind kind,
                 uint32_t cpl)
{
    if (cpl != 1 && cpl != 3)
        return false;
    /* sel >> 3 rather than a 13-bit field: anything above 0xFFFF is not a
     * selector and lands at index >= 8192, refused below. */
    uint32_t index = sel >> 3, rpl = sel & SEL_RPL_MASK;
    if (kind == SEG_DATA && sel < 4)
        return true;                    /* null: loads fine, faults only on use */
    if ((sel & SEL_TI) || index >= GUEST_GDT_ENTRIES || gdt_index_host_owned(index))
        return false;
    uint64_t d = gdt[index];
    /* Accessed must already be set: otherwise the load would make the CPU
     * write the read-only GDT, a page fault in the switcher. */
    if (!(d & DESC_PRESENT) || !(d & DESC_S) || !(d & DESC_ACCESSED))
        return false;
    bool code = d & DESC_CODE, rw = d & DESC_RW, dc = d & DESC_DC;
    uint32_t dpl = desc_dpl(d);
    switch (kind) {
    case SEG_DATA:
        /* CPL is 0 at the pop, so only RPL <= DPL is checked. Data or
         * non-conforming code with DPL < the new CPL is silently nulled by
         * the iret, which is not a fault. */
        if (code && !rw)
            return false;
        return (code && dc) || dpl >= rpl;
    case SEG_CODE:
        if (rpl != cpl || !code)
            return false;
        return dc ? dpl <= rpl : dpl == rpl;
    case SEG_STACK:
        return rpl == cpl && !code && rw && dpl == cpl;
    }
    return false;
}
