/* The hypervisor's segment selectors. They are the lguest host selectors
 * (GDT entries 10, 11, 16 and 31), so the same values stay loaded when the
 * switcher swaps in a guest's GDT, which reserves exactly those entries. */
#ifndef ARCH_X86_SELECTORS_H
#define ARCH_X86_SELECTORS_H
#define GDT_ENTRIES      32
#define GDT_HOST_CS      10
#define GDT_HOST_DS      11
#define GDT_HOST_TSS     16
#define GDT_HOST_DF_TSS  31
#define SEL_HOST_CS      (GDT_HOST_CS * 8)      /* 0x50 */
#define SEL_HOST_DS      (GDT_HOST_DS * 8)      /* 0x58 */
#define SEL_HOST_TSS     (GDT_HOST_TSS * 8)     /* 0x80 */
#define SEL_HOST_DF_TSS  (GDT_HOST_DF_TSS * 8)  /* 0xF8 */
#endif
