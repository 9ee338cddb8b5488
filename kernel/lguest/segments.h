/* Guest segment descriptors (lguest ABI section 5): the fix-ups applied to
 * every descriptor a guest loads, and the checks made before the switcher
 * loads a guest selector. Pure logic. */
#ifndef KERNEL_LGUEST_SEGMENTS_H
#define KERNEL_LGUEST_SEGMENTS_H
#include <stdbool.h>
#include <stdint.h>

#define GUEST_GDT_ENTRIES 32
#define GUEST_TLS_FIRST   6     /* LOAD_TLS fills entries 6, 7, 8 */
#define GUEST_TLS_COUNT   3

/* Entries 10, 11, 16, 31 are the hypervisor's (its CS, DS, TSS and
 * double-fault TSS); guest writes to them are ignored. */
bool gdt_index_host_owned(uint32_t index);

/* The descriptor stored for a guest's descriptor:
 *  - a system descriptor (S bit 44 clear: TSS, LDT, call/task/interrupt
 *    gates) is refused: stored as 0, so using it faults in the guest and it
 *    can never reach ring 0 or a hypervisor task;
 *  - otherwise DPL 0 becomes DPL 1 (the guest kernel runs in ring 1) and the
 *    accessed bit (bit 40) is set, so the CPU never writes the read-only GDT.
 *    Any other bit is kept, present or not. */
uint64_t gdt_fixup(uint64_t desc);

enum seg_kind {
    SEG_DATA,       /* DS, ES, FS, GS: null allowed */
    SEG_CODE,       /* CS */
    SEG_STACK,      /* SS */
};

/* Would the CPU, with gdt loaded, accept sel in a segment register when
 * the hypervisor returns to the guest at privilege level cpl (1 or 3; the
 * RPL of the CS being returned to)? Used before every entry that follows a
 * change of the GDT or of saved selectors, so a stale selector can never
 * fault inside the switcher. Rules:
 *  - cpl other than 1 or 3: refused, whatever the kind;
 *  - TI (bit 2, LDT) set: refused; index (sel >> 3, so any sel > 0xFFFF)
 *    >= 32 or host-owned: refused;
 *  - every non-null selector: the descriptor's accessed bit must be set
 *    (gdt_fixup guarantees it), else the load would write the read-only GDT;
 *  - SEG_DATA: null (index 0, any RPL) accepted; else present, S=1, data or
 *    readable code, and for data or non-conforming code DPL >= RPL;
 *  - SEG_CODE: RPL == cpl, cpl 1 or 3; present, S=1, code; non-conforming:
 *    DPL == RPL; conforming: DPL <= RPL;
 *  - SEG_STACK: RPL == cpl; present, S=1, writable data, DPL == cpl. */
bool selector_ok(const uint64_t gdt[GUEST_GDT_ENTRIES], uint32_t sel, enum seg_kind kind,
                 uint32_t cpl);

#endif
