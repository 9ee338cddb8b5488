/* A PCI function's interrupt, connected the best way the machine allows:
 * MSI when the function has it and the I/O APIC is in use, else its INTx
 * pin. Under the I/O APIC an INTx pin's GSI is not in config space (the
 * interrupt_line register holds the ISA IRQ the BIOS chose for the 8259s)
 * and the ACPI _PRT that maps it needs AML, so the GSI is found by asking
 * the device for a test interrupt: the driver supplies raise and clear. */
#ifndef DRIVERS_PCI_IRQ_H
#define DRIVERS_PCI_IRQ_H
#include "arch/x86/irq.h"

struct pci_dev;

/* raise: make the device assert its interrupt; clear: withdraw it (and
 * any cause left pending). Both must be safe to call repeatedly. */
struct pci_irq_test { void (*raise)(void *ctx); void (*clear)(void *ctx); void *ctx; };

enum pci_irq_kind { PCI_IRQ_NONE, PCI_IRQ_MSI, PCI_IRQ_INTX };
struct pci_irq {
    enum pci_irq_kind kind;
    int line;                       /* INTx: the irq.h line (GSI or 8259 line) */
    int vector;                     /* MSI */
    char how[64];                   /* for the driver's log line: "GSI 22", "MSI vector 0x70" */
};

/* MSI if possible, else INTx as below. 0, or -1 (out->kind NONE) when the
 * function has no usable interrupt. */
int pci_irq_set_handler(const struct pci_dev *d, const struct pci_irq_test *t, irq_fn fn, void *ctx,
                        const char *name, struct pci_irq *out);
/* INTx only. PIC mode: the interrupt_line register (3-15). I/O APIC mode:
 * the GSI that the test interrupt arrives on, among the ISA line's GSI
 * (through the overrides) and every GSI from 16 (PCI's own inputs, which
 * win if both fire); logged as "NAME: INTx -> GSI N (found by a test
 * interrupt)". Without t, or when nothing fires, the ISA line's GSI, level,
 * as the 8259s would have it (a warning when the test failed). */
int pci_intx_set_handler(const struct pci_dev *d, const struct pci_irq_test *t, irq_fn fn, void *ctx,
                         const char *name, struct pci_irq *out);
/* Undoes either: handler removed, MSI off. */
void pci_irq_release(const struct pci_dev *d, struct pci_irq *irq, irq_fn fn, void *ctx);

#endif
