/* The virtio-pci (virtio 1.0) transport of 4.x lguest guests: their PCI
 * configuration space through ports 0xCF8/0xCFC and their BAR0 registers
 * (common configuration, notify, ISR, device configuration), over the same
 * devices and backends as the lguest bus. */
#ifndef VIRTIO_VPCI_H
#define VIRTIO_VPCI_H
#include <stdbool.h>
#include <stdint.h>
#include "virtio/pci_cfg.h"

struct guest;
struct trap_frame;

#define VPCI_BAR_BASE_PAGES 256     /* BAR0s start 256 pages after RAM, as the 4.x Launcher's */
#define VPCI_COMPLAINTS 16          /* bad accesses logged per guest start; the rest counted */

struct vpci {
    struct vpci_cfg cfg;
    uint8_t dev_of_slot[VPCI_SLOTS];    /* index in g->bus.dev */
    uint32_t complaints;
    uint64_t cfg_accesses, mmio_accesses, notifies;
};

/* At a 4.x guest's LGUEST_INIT: its devices move to virtio-pci. */
void vpci_attach(struct guest *g);
/* An in/out of size bytes on port: true when it was PCI configuration
 * (0xCF8-0xCFF; *eax updated for an in), false for any other port. */
bool vpci_port_io(struct guest *g, bool in, uint16_t port, uint32_t size, uint32_t *eax);
/* The BAR0 register access at gpa: false (nothing done, logged) when
 * gpa is in no BAR. */
bool vpci_mmio(struct guest *g, uint32_t gpa, bool write, uint32_t size, uint32_t *val);
/* gpa lies in one of g's BARs. */
bool vpci_is_mmio(const struct guest *g, uint32_t gpa);

#endif
