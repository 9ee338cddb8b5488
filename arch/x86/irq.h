/* Device interrupts, whichever controller carries them. trap.h dispatches
 * CPU vectors; this layer hands out *lines*: with the 8259s a line is a PIC
 * input (0-15), with the I/O APIC it is a GSI (0-63, vector VEC_FIRST_GSI +
 * GSI). Drivers ask for an ISA IRQ (the layer applies the MADT's overrides)
 * or, for PCI INTx, a line found by drivers/pci_irq.c; MSI vectors come
 * from their own small pool. Handlers run with interrupts off; the layer
 * acknowledges the controller after them. Lines may be shared (level PCI
 * INTx): every handler of a line runs and must tell by its device's status
 * whether the interrupt was its own. */
#ifndef ARCH_X86_IRQ_H
#define ARCH_X86_IRQ_H
#include <stdbool.h>
#include <stdint.h>
#include "kernel/options.h"

enum irq_chip { IRQCHIP_PIC, IRQCHIP_IOAPIC };

#define IRQ_MAX_LINES 64            /* GSIs with a vector; the 8259 uses 0-15 */
#define IRQ_MAX_SHARED 4            /* handlers on one line */
#define IRQ_MAX_MSI 16              /* vectors VEC_FIRST_MSI.. */

typedef void (*irq_fn)(void *ctx);

struct irq_handler { irq_fn fn; void *ctx; const char *name; };

/* One line, kept whole so it can be re-routed (another CPU) later. */
struct irq_line {
    uint32_t nhandlers;
    struct irq_handler h[IRQ_MAX_SHARED];
    int isa;                        /* the ISA IRQ routed here, or -1 */
    bool level, active_low, masked;
    uint8_t vector, dest_apic_id;   /* I/O APIC mode */
    uint64_t count;
};

/* Picks the controller: the I/O APIC(s) of the MADT unless mode is
 * IRQ_PIC, there is none, or no local APIC; then the 8259s as before.
 * Runs after paging, acpi_init and lapic_init; logs the choice. */
void irq_init(enum irq_mode mode);
enum irq_chip irq_chip(void);
/* Why the 8259s were chosen (for the monitor), "" in I/O APIC mode. */
const char *irq_pic_reason(void);

/* An ISA IRQ (0-15): its line (GSI through the overrides, with their
 * trigger and polarity; else edge, active high), or -1. */
int isa_irq_line(int isa, bool *level, bool *active_low);
/* Installs fn on ISA IRQ isa and unmasks it; the line, or -1. */
int isa_irq_set_handler(int isa, irq_fn fn, void *ctx, const char *name);
/* Installs fn on a line with the given trigger (ignored by the 8259s)
 * and unmasks it; sharing needs the same trigger. The line, or -1. */
int irq_line_set_handler(int line, bool level, bool active_low, irq_fn fn, void *ctx,
                         const char *name);
/* Removes fn/ctx from the line; the line is masked when none is left. */
void irq_line_remove_handler(int line, irq_fn fn, void *ctx);
void irq_line_mask(int line);
void irq_line_unmask(int line);
/* Sends the line to another CPU's local APIC (I/O APIC mode); 0 or -1. */
int irq_line_set_dest(int line, uint8_t apic_id);
/* The line's state for the monitor, or NULL if out of range. */
const struct irq_line *irq_line_get(int line);
int irq_nlines(void);

/* MSI: a vector of its own for a device that writes its message to the
 * local APIC. Only in I/O APIC mode (irq=pic means legacy everything).
 * The vector, or -1. */
bool irq_msi_available(void);
int irq_msi_alloc(irq_fn fn, void *ctx, const char *name);
void irq_msi_free(int vector);
/* The MSI vector's handler (NULL if free) and count, for the monitor. */
const struct irq_handler *irq_msi_get(int vector, uint64_t *count);

/* Which GSI carries a device's interrupt, by experiment: with the device
 * quiet, then with raise() holding its interrupt, each candidate GSI is
 * unmasked briefly (interrupts on, bounded waits). A candidate counts when
 * it fired while raised and not while quiet; up to three rounds. Returns
 * the candidates (bit i: c[i]) that did; 0 if none, or not in I/O APIC
 * mode. Lines already in use keep their handlers and trigger throughout. */
struct irq_candidate { uint32_t gsi; bool level, active_low; };
uint64_t irq_probe_gsi(const struct irq_candidate *c, uint32_t n, void (*raise)(void *ctx),
                       void (*clear)(void *ctx), void *ctx);

#endif
