/* PCI configuration mechanism #1 (ports 0xCF8/0xCFC), as a 4.x Linux
 * lguest guest uses it: each in/out faults at CPL 1 and the host emulates
 * it against its per-guest configuration space. Bus 0 only. */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H
#include "guest/layout.h"

#define PCI_CFG_ADDR 0xCF8
#define PCI_CFG_DATA 0xCFC

static inline void outl(u16 port, u32 v) { __asm__ __volatile__("outl %0, %w1" :: "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ __volatile__("outw %0, %w1" :: "a"(v), "Nd"(port)); }
static inline void outb(u16 port, u8 v) { __asm__ __volatile__("outb %0, %w1" :: "a"(v), "Nd"(port)); }
static inline u32 inl(u16 port) { u32 v; __asm__ __volatile__("inl %w1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; __asm__ __volatile__("inw %w1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u8 inb(u16 port) { u8 v; __asm__ __volatile__("inb %w1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* Register reg (size 1, 2 or 4, aligned) of device dev, function 0, bus
 * 0. Interrupts are held off between the address and the data access. */
u32 pci_read(unsigned dev, unsigned reg, unsigned size);
void pci_write(unsigned dev, unsigned reg, unsigned size, u32 val);
/* The raw pair, for the hostile tests: addr as written to 0xCF8. */
u32 pci_read_raw(u32 addr, u16 port, unsigned size);
void pci_write_raw(u32 addr, u16 port, unsigned size, u32 val);

/* The early console (Linux 4.x's emerg_wr): one byte written to the
 * console device at 00:01.0 through its PCI-configuration-access
 * capability, before any driver runs. 0 when there is no such console. */
int pci_early_putc(char c);
/* Points the console's cfg-access window at emerg_wr again (after a test
 * aimed it elsewhere). */
void pci_early_window(void);

#endif
