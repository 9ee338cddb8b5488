/* Message-signalled interrupts: the device writes its message (a vector)
 * straight to a local APIC, with no I/O APIC or shared line in between.
 * MSI is preferred where the capability exists; MSI-X (a table in a BAR)
 * is used through its first entry only. */
#ifndef DRIVERS_PCI_MSI_H
#define DRIVERS_PCI_MSI_H
#include <stdint.h>

struct pci_dev;

/* Programs MSI (else MSI-X) to send vector to dest_apic_id, edge, fixed
 * delivery, and turns INTx off. 0, or -1 if the function has neither or
 * its MSI-X table is not where its BAR says. */
int pci_msi_enable(const struct pci_dev *d, uint8_t vector, uint8_t dest_apic_id);
/* Back to INTx (enabled again in the command register). */
void pci_msi_disable(const struct pci_dev *d);

#endif
