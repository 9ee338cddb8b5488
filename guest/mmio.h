/* Register accesses to a virtio-pci BAR (the 4.x build). The host never
 * maps BAR pages: every access faults and the host decodes the faulting
 * instruction, which it does only for the plain mov forms Linux's
 * readb/readw/readl and writeb/writew/writel compile to (8A/8B, 88/89,
 * with 66 for 16 bits). So they are spelt out here rather than left to
 * the compiler, which may pick movzx or an ALU op with a memory operand. */
#ifndef GUEST_MMIO_H
#define GUEST_MMIO_H
#include "guest/layout.h"

static inline u8 mmio_read8(volatile void *p)
{
    u8 v;
    __asm__ __volatile__("movb %1, %0" : "=q"(v) : "m"(*(volatile u8 *)p) : "memory");
    return v;
}

static inline u16 mmio_read16(volatile void *p)
{
    u16 v;
    __asm__ __volatile__("movw %1, %0" : "=r"(v) : "m"(*(volatile u16 *)p) : "memory");
    return v;
}

static inline u32 mmio_read32(volatile void *p)
{
    u32 v;
    __asm__ __volatile__("movl %1, %0" : "=r"(v) : "m"(*(volatile u32 *)p) : "memory");
    return v;
}

static inline void mmio_write8(volatile void *p, u8 v)
{
    __asm__ __volatile__("movb %1, %0" : "=m"(*(volatile u8 *)p) : "q"(v) : "memory");
}

static inline void mmio_write16(volatile void *p, u16 v)
{
    __asm__ __volatile__("movw %1, %0" : "=m"(*(volatile u16 *)p) : "r"(v) : "memory");
}

static inline void mmio_write32(volatile void *p, u32 v)
{
    __asm__ __volatile__("movl %1, %0" : "=m"(*(volatile u32 *)p) : "r"(v) : "memory");
}

#endif
