/* The edu device's registers (BAR0, 32-bit accesses): 0x00 identification
 * (0x010000ed: version 1.0, "ed"), 0x24 interrupt status, 0x60 raise (the
 * value written is ORed into the status and the interrupt raised), 0x64
 * acknowledge (the value written is cleared from the status; INTx drops
 * when nothing is left). With MSI enabled each raise sends one message. */
#include <stdbool.h>
#include "drivers/edu.h"
#include "drivers/pci.h"
#include "drivers/pci_irq.h"
#include "drivers/pci_msi.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/log.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define REG_ID 0x00
#define REG_IRQ_STATUS 0x24
#define REG_IRQ_RAISE 0x60
#define REG_IRQ_ACK 0x64
#define TEST_STATUS 0x1u
#define WAIT_NS 100000000ull            /* 100 ms: generous under TCG on a busy host */

static volatile uint32_t *regs;
static volatile uint32_t delivered;

static uint32_t rd(uint32_t off) { return regs[off / 4]; }
static void wr(uint32_t off, uint32_t v) { regs[off / 4] = v; }

/* Acknowledges whatever is set, so a level INTx drops; counts only when
 * edu had something set (the line may be shared). */
static void edu_irq(void *ctx)
{
    uint32_t status = rd(REG_IRQ_STATUS);
    if (!status)
        return;
    wr(REG_IRQ_ACK, status);
    delivered++;
}

static void raise(void *ctx) { wr(REG_IRQ_RAISE, TEST_STATUS); }
static void clear(void *ctx) { wr(REG_IRQ_ACK, rd(REG_IRQ_STATUS)); }

/* Raises once and waits, interrupts on, for the handler. */
static bool raise_and_wait(void)
{
    delivered = 0;
    raise(0);
    uint64_t end = clock_ns() + WAIT_NS;
    sti();
    while (!delivered && clock_ns() < end)
        pause();
    cli();
    return delivered != 0;
}

static const struct pci_dev *find_edu(void)
{
    for (uint32_t i = 0; i < pci_ndevs; i++)
        if (pci_devs[i].vendor == EDU_VENDOR && pci_devs[i].device == EDU_DEVICE)
            return &pci_devs[i];
    return 0;
}

static void test_msi(const struct pci_dev *d)
{
    if (!irq_msi_available()) {
        log_info("msi: not used with the 8259s (%s)", irq_pic_reason());
        return;
    }
    if (!d->msi_cap) {
        log_err("msi: edu at %02x:%02x.%x has no MSI capability", d->bus, d->dev, d->fn);
        return;
    }
    int v = irq_msi_alloc(edu_irq, 0, "edu");
    if (v < 0 || pci_msi_enable(d, (uint8_t)v, (uint8_t)lapic_id()) != 0) {
        log_err("msi: edu: no MSI vector or MSI not enabled");
        irq_msi_free(v);
        return;
    }
    if (raise_and_wait())
        log_info("msi: edu at %02x:%02x.%x delivered vector 0x%02x through MSI", d->bus, d->dev, d->fn, v);
    else
        log_err("msi: edu at %02x:%02x.%x: no interrupt on vector 0x%02x within %lu ms", d->bus,
                d->dev, d->fn, v, (unsigned long)(WAIT_NS / 1000000));
    pci_msi_disable(d);
    irq_msi_free(v);
    clear(0);
}

static void test_intx(const struct pci_dev *d)
{
    struct pci_irq_test t = { raise, clear, 0 };
    struct pci_irq irq;
    if (pci_intx_set_handler(d, &t, edu_irq, 0, "edu", &irq) != 0) {
        log_err("irq: edu: INTx not connected");
        return;
    }
    const char *via = irq_chip() == IRQCHIP_IOAPIC ? "GSI" : "8259 line";
    if (raise_and_wait())
        log_info("irq: edu INTx -> %s %d delivered", via, irq.line);
    else
        log_err("irq: edu INTx -> %s %d: no interrupt within %lu ms", via, irq.line,
                (unsigned long)(WAIT_NS / 1000000));
    pci_irq_release(d, &irq, edu_irq, 0);
    clear(0);
}

void edu_selftest(void)
{
    const struct pci_dev *d = find_edu();
    if (!d) {
        log_err("msi: test_msi=on but no edu device (PCI 1234:11e8)");
        return;
    }
    const struct pci_bar *b = &d->bar[0];
    if (b->io || !b->base || b->size < 4096 || b->base + b->size > 0xFFC00000ull) {
        log_err("msi: edu BAR0 is not usable memory");
        return;
    }
    uint32_t cmd = pci_read32(d->bus, d->dev, d->fn, 0x04) & 0xFFFF;
    pci_write32(d->bus, d->dev, d->fn, 0x04, cmd | 0x6);     /* memory, bus master */
    paging_map_mmio((uint32_t)b->base, 4096);
    regs = (volatile uint32_t *)(uint32_t)b->base;
    uint32_t id = rd(REG_ID);
    if ((id & 0xFF) != 0xed) {
        log_err("msi: edu identification reads 0x%08lx, not 0x......ed", (unsigned long)id);
        return;
    }
    clear(0);
    test_msi(d);
    test_intx(d);
}
