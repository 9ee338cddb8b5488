/* I/O APICs: the interrupt controllers that turn device lines (global
 * system interrupts, GSIs) into messages to a local APIC. Each one owns a
 * contiguous range of GSIs from its MADT base; a redirection entry per line
 * says which vector goes to which CPU, and how the line signals. */
#ifndef ARCH_X86_IOAPIC_H
#define ARCH_X86_IOAPIC_H
#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_MAX 8

struct ioapic {
    uint8_t id;                 /* as the MADT names it */
    uint8_t version;            /* from its version register */
    uint32_t phys;
    uint32_t gsi_base, nlines;
    volatile uint32_t *regs;
};

/* Maps the I/O APIC at phys, reads how many lines it has and masks them
 * all. 0, or -1 with the reason logged (nothing there, an address inside
 * RAM, a GSI range overlapping another I/O APIC's). */
int ioapic_add(uint8_t id, uint32_t phys, uint32_t gsi_base);
uint32_t ioapic_count(void);
const struct ioapic *ioapic_get(uint32_t i);
/* Some I/O APIC has this line. */
bool ioapic_has_gsi(uint32_t gsi);
/* Writes the line's redirection entry: fixed delivery of vector to the
 * local APIC dest_apic_id (physical mode). The line stays masked or
 * unmasked as it was, so a live line can be retargeted. 0, or -1 if no
 * I/O APIC has the GSI. */
int ioapic_route(uint32_t gsi, uint8_t vector, uint8_t dest_apic_id, bool level, bool active_low);
void ioapic_mask(uint32_t gsi);
void ioapic_unmask(uint32_t gsi);

#endif
