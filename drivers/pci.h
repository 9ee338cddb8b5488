#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H
#include <stdint.h>

struct pci_bar {
    uint64_t base, size;
    uint8_t io, is64, prefetch;
};

struct pci_dev {
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    uint8_t class, subclass, progif, header;
    uint8_t irq_line, irq_pin;
    uint8_t msi_cap, msix_cap;      /* capability offsets in config space, 0 = none */
    struct pci_bar bar[6];
};

#define PCI_MAX_DEVS 64
extern struct pci_dev pci_devs[PCI_MAX_DEVS];
extern uint32_t pci_ndevs;

uint32_t pci_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off);
void pci_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off, uint32_t v);
void pci_write16(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off, uint16_t v);
void pci_write8(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off, uint8_t v);
/* The config-space offset of the function's first capability with this
 * id, or 0 (drivers/pci_cap.h: every pointer checked, a loop ends). */
uint8_t pci_find_capability(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t id);
#define PCI_CAP_MSI 0x05
#define PCI_CAP_MSIX 0x11
/* Walks every bus reachable from bus 0 through bridges; logs each function. */
void pci_scan(void);

#endif
