/* QEMU's "edu" teaching device (PCI 1234:11e8), used only by the test
 * option test_msi=on: a device that interrupts on request, by MSI or INTx. */
#ifndef DRIVERS_EDU_H
#define DRIVERS_EDU_H

/* Finds edu, has it interrupt through MSI, then (MSI off) through INTx
 * via the I/O APIC, and logs what was delivered:
 * "msi: edu at 00:04.0 delivered vector 0x70 through MSI",
 * "irq: edu INTx -> GSI 11 delivered". Runs at boot, interrupts off. */
void edu_selftest(void);

#endif
