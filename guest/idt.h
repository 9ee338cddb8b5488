/* Interrupt gates as LOAD_IDT_ENTRY takes them (lguest-abi.md 4.2). */
#ifndef GUEST_IDT_H
#define GUEST_IDT_H
#include "guest/layout.h"

#define GATE_INT    0xE
#define GATE_TRAP   0xF

/* The two words of a present gate to handler (selector 0x60 like Linux;
 * the host forces 0x61). */
static inline u32 gate_lo(u32 handler) { return (0x60u << 16) | (handler & 0xFFFF); }
static inline u32 gate_hi(u32 handler, u32 type, u32 dpl)
{
    return (handler & 0xFFFF0000) | 0x8000 | (dpl & 3) << 13 | (type & 0xF) << 8;
}

void idt_init(void);
void idt_set(unsigned vector, u32 handler, u32 type, u32 dpl);
/* The gate idt_init gave this vector. */
void idt_restore(unsigned vector);
/* A not-present gate. */
void idt_clear(unsigned vector);

#endif
