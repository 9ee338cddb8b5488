/* PCI configuration space through mechanism #1 (ports 0xCF8/0xCFC). */
#include <stddef.h>
#include <stdio.h>
#include "drivers/pci.h"
#include "drivers/pci_cap.h"
#include "arch/x86/x86.h"
#include "kernel/log.h"

struct pci_dev pci_devs[PCI_MAX_DEVS];
uint32_t pci_ndevs;

uint32_t pci_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
    outl(0xCF8, 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (off & 0xFC));
    return inl(0xCFC);
}

void pci_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off, uint32_t v)
{
    outl(0xCF8, 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (off & 0xFC));
    outl(0xCFC, v);
}

/* Narrow writes: some devices act only on a config write of a register's
 * own width (the 6300ESB watchdog's mode and lock registers). */
void pci_write16(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off, uint16_t v)
{
    outl(0xCF8, 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (off & 0xFC));
    outw((uint16_t)(0xCFC + (off & 2)), v);
}

void pci_write8(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off, uint8_t v)
{
    outl(0xCF8, 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (off & 0xFC));
    outb((uint16_t)(0xCFC + (off & 3)), v);
}

struct cfg_addr { uint8_t bus, dev, fn; };

static uint32_t cfg_read(void *ctx, uint8_t off)
{
    const struct cfg_addr *a = ctx;
    return pci_read32(a->bus, a->dev, a->fn, off);
}

uint8_t pci_find_capability(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t id)
{
    struct cfg_addr a = { bus, dev, fn };
    return pci_cap_find(cfg_read, &a, id);
}

/* Sizes a BAR by writing all ones, with decoding off meanwhile so the probe
 * value never appears on the bus. Returns the number of BAR slots used. */
static int probe_bar(struct pci_dev *d, int i)
{
    uint8_t off = 0x10 + 4 * i;
    uint32_t orig = pci_read32(d->bus, d->dev, d->fn, off);
    pci_write32(d->bus, d->dev, d->fn, off, 0xFFFFFFFFu);
    uint32_t mask = pci_read32(d->bus, d->dev, d->fn, off);
    pci_write32(d->bus, d->dev, d->fn, off, orig);
    struct pci_bar *b = &d->bar[i];
    if (orig & 1) {
        b->io = 1;
        b->base = orig & ~3u;
        mask &= ~3u;
        b->size = mask ? (uint16_t)(~mask + 1) : 0;
        return 1;
    }
    b->prefetch = (orig >> 3) & 1;
    b->base = orig & ~0xFu;
    mask &= ~0xFu;
    b->size = mask ? (uint32_t)(~mask + 1) : 0;
    if (((orig >> 1) & 3) == 2 && i < 5) {      /* 64-bit: high half follows */
        b->is64 = 1;
        b->base |= (uint64_t)pci_read32(d->bus, d->dev, d->fn, off + 4) << 32;
        return 2;
    }
    return 1;
}

static const char *class_name(uint8_t c, uint8_t s)
{
    switch (c) {
    case 0x01: return "storage";
    case 0x02: return s == 0 ? "ethernet" : "network";
    case 0x03: return "display";
    case 0x06: return s == 0 ? "host bridge" : s == 1 ? "ISA bridge" : s == 4 ? "PCI bridge" : "bridge";
    case 0x0C: return s == 5 ? "SMBus" : "serial bus";
    default: return "device";
    }
}

static void log_dev(const struct pci_dev *d)
{
    char irq[24] = "";
    if (d->irq_pin && d->irq_line != 0xFF)
        snprintf(irq, sizeof(irq), ", irq %u", d->irq_line);
    else if (d->irq_pin)
        snprintf(irq, sizeof(irq), ", irq unrouted");
    log_info("pci %02x:%02x.%x %04x:%04x class %02x.%02x.%02x %s%s%s%s", d->bus, d->dev, d->fn,
             d->vendor, d->device, d->class, d->subclass, d->progif,
             class_name(d->class, d->subclass), irq, d->msi_cap ? ", msi" : "",
             d->msix_cap ? ", msi-x" : "");
    for (int i = 0; i < 6; i++) {
        const struct pci_bar *b = &d->bar[i];
        if (!b->size)
            continue;
        log_info("    bar%d: %s 0x%08lx%08lx size 0x%lx%s", i, b->io ? "io " : "mem",
                 (unsigned long)(b->base >> 32), (unsigned long)b->base, (unsigned long)b->size,
                 b->prefetch ? " prefetchable" : "");
    }
}

static void scan_bus(uint8_t bus, int depth);

static void scan_fn(uint8_t bus, uint8_t dev, uint8_t fn, int depth)
{
    uint32_t id = pci_read32(bus, dev, fn, 0);
    if ((id & 0xFFFF) == 0xFFFF || pci_ndevs >= PCI_MAX_DEVS)
        return;
    struct pci_dev *d = &pci_devs[pci_ndevs++];
    d->bus = bus; d->dev = dev; d->fn = fn;
    d->vendor = id & 0xFFFF;
    d->device = id >> 16;
    uint32_t cls = pci_read32(bus, dev, fn, 0x08);
    d->class = cls >> 24; d->subclass = (cls >> 16) & 0xFF; d->progif = (cls >> 8) & 0xFF;
    d->header = (pci_read32(bus, dev, fn, 0x0C) >> 16) & 0xFF;
    uint32_t irq = pci_read32(bus, dev, fn, 0x3C);
    d->irq_line = irq & 0xFF;
    d->irq_pin = (irq >> 8) & 0xFF;
    d->msi_cap = pci_find_capability(bus, dev, fn, PCI_CAP_MSI);
    d->msix_cap = pci_find_capability(bus, dev, fn, PCI_CAP_MSIX);
    int nbars = (d->header & 0x7F) == 0 ? 6 : (d->header & 0x7F) == 1 ? 2 : 0;
    if (nbars) {
        uint32_t cmd = pci_read32(bus, dev, fn, 0x04);
        pci_write32(bus, dev, fn, 0x04, cmd & ~0x3u);
        for (int i = 0; i < nbars; )
            i += probe_bar(d, i);
        pci_write32(bus, dev, fn, 0x04, cmd);
    }
    log_dev(d);
    if ((d->header & 0x7F) == 1 && depth < 8) {
        uint8_t secondary = (pci_read32(bus, dev, fn, 0x18) >> 8) & 0xFF;
        if (secondary > bus)
            scan_bus(secondary, depth + 1);
    }
}

static void scan_bus(uint8_t bus, int depth)
{
    for (uint8_t dev = 0; dev < 32; dev++) {
        if ((pci_read32(bus, dev, 0, 0) & 0xFFFF) == 0xFFFF)
            continue;
        int multi = (pci_read32(bus, dev, 0, 0x0C) >> 23) & 1;
        for (uint8_t fn = 0; fn < (multi ? 8 : 1); fn++)
            scan_fn(bus, dev, fn, depth);
    }
}

void pci_scan(void)
{
    outl(0xCF8, 0x80000000u);
    if (inl(0xCF8) != 0x80000000u) {
        log_warn("pci: configuration mechanism #1 not present; no PCI devices");
        return;
    }
    pci_ndevs = 0;
    scan_bus(0, 0);
    log_info("pci: %lu functions", (unsigned long)pci_ndevs);
}
