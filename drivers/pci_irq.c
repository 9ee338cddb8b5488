/* Connecting a PCI function's interrupt (see pci_irq.h). */
#include <stdio.h>
#include "drivers/pci_irq.h"
#include "drivers/pci.h"
#include "drivers/pci_msi.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/lapic.h"
#include "kernel/log.h"

#define PCI_FIRST_GSI 16            /* below: the ISA IRQs' inputs */

/* Lines 0-2 are the PIT, keyboard and cascade: a value there (or 0xFF)
 * means the firmware never routed the pin. */
static bool isa_line_valid(const struct pci_dev *d)
{
    return d->irq_pin && d->irq_line >= 3 && d->irq_line <= 15;
}

static int attach(int line, bool level, bool low, irq_fn fn, void *ctx, const char *name,
                  struct pci_irq *out)
{
    if (irq_line_set_handler(line, level, low, fn, ctx, name) < 0)
        return -1;
    out->kind = PCI_IRQ_INTX;
    out->line = line;
    snprintf(out->how, sizeof(out->how), "%s %d", irq_chip() == IRQCHIP_PIC ? "8259 line" : "GSI", line);
    return 0;
}

/* The candidates: the ISA line's GSI with the override's polarity (PCI
 * INTx is always level), then every GSI from 16, level, active low as PCI
 * signals. */
static uint32_t candidates(const struct pci_dev *d, struct irq_candidate *c, uint32_t max)
{
    uint32_t n = 0;
    bool level, low;
    if (isa_line_valid(d)) {
        int g = isa_irq_line(d->irq_line, &level, &low);
        if (g >= 0)
            c[n++] = (struct irq_candidate){ (uint32_t)g, true, low };
    }
    for (uint32_t g = PCI_FIRST_GSI; g < IRQ_MAX_LINES && n < max; g++)
        if (ioapic_has_gsi(g) && (n == 0 || c[0].gsi != g))
            c[n++] = (struct irq_candidate){ g, true, true };
    return n;
}

int pci_intx_set_handler(const struct pci_dev *d, const struct pci_irq_test *t, irq_fn fn, void *ctx,
                         const char *name, struct pci_irq *out)
{
    *out = (struct pci_irq){ .kind = PCI_IRQ_NONE, .line = -1, .vector = -1 };
    if (!d->irq_pin)
        return -1;
    if (irq_chip() == IRQCHIP_PIC)
        return isa_line_valid(d) ? attach(d->irq_line, true, true, fn, ctx, name, out) : -1;

    struct irq_candidate c[IRQ_MAX_LINES];
    uint32_t n = candidates(d, c, IRQ_MAX_LINES);
    uint64_t hits = t && n ? irq_probe_gsi(c, n, t->raise, t->clear, t->ctx) : 0;
    int pick = -1;
    for (uint32_t i = 0; i < n; i++)
        if ((hits >> i) & 1 && (pick < 0 || c[i].gsi >= PCI_FIRST_GSI))
            pick = (int)i;
    if (pick >= 0) {
        const struct irq_candidate *p = &c[pick];
        if (attach((int)p->gsi, p->level, p->active_low, fn, ctx, name, out) < 0)
            return -1;
        log_info("%s: INTx -> GSI %lu (found by a test interrupt)", name, (unsigned long)p->gsi);
        return 0;
    }
    bool level = true, low = false;
    int g = isa_line_valid(d) ? isa_irq_line(d->irq_line, &level, &low) : -1;
    if (t)
        log_warn("%s: INTx test interrupt arrived on no GSI; %s", name,
                 g >= 0 ? "using the ISA line's GSI, as the 8259s would" : "no interrupt");
    if (g < 0 || attach(g, true, low, fn, ctx, name, out) < 0)
        return -1;
    snprintf(out->how, sizeof(out->how), "GSI %d (ISA line %u, untested)", g, d->irq_line);
    return 0;
}

int pci_irq_set_handler(const struct pci_dev *d, const struct pci_irq_test *t, irq_fn fn, void *ctx,
                        const char *name, struct pci_irq *out)
{
    if (irq_msi_available() && (d->msi_cap || d->msix_cap)) {
        int v = irq_msi_alloc(fn, ctx, name);
        if (v >= 0 && pci_msi_enable(d, (uint8_t)v, (uint8_t)lapic_id()) == 0) {
            *out = (struct pci_irq){ .kind = PCI_IRQ_MSI, .line = -1, .vector = v };
            snprintf(out->how, sizeof(out->how), "MSI vector 0x%02x", v);
            return 0;
        }
        if (v >= 0)
            irq_msi_free(v);
    }
    return pci_intx_set_handler(d, t, fn, ctx, name, out);
}

void pci_irq_release(const struct pci_dev *d, struct pci_irq *irq, irq_fn fn, void *ctx)
{
    if (irq->kind == PCI_IRQ_MSI) {
        pci_msi_disable(d);
        irq_msi_free(irq->vector);
    } else if (irq->kind == PCI_IRQ_INTX) {
        irq_line_remove_handler(irq->line, fn, ctx);
    }
    irq->kind = PCI_IRQ_NONE;
}
