/* ACPI: what lgvisor reads from the firmware's tables to know the machine
 * (CPUs, I/O APICs, interrupt overrides, power control, PCIe ECAM, HPET).
 * The tables are untrusted input like any other: every checksum, length and
 * entry is checked, and a table that fails is reported by name and left out,
 * so the machine falls back to what works without it (one CPU, the PIC). */
#ifndef DRIVERS_ACPI_H
#define DRIVERS_ACPI_H
#include <stdbool.h>
#include <stdint.h>
#include "kernel/diag.h"

#define ACPI_MAX_CPUS 64
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 24
#define ACPI_MAX_NMIS 16

/* MPS INTI flags of an override or NMI entry */
#define ACPI_POLARITY_MASK 0x3          /* 0 bus default, 1 high, 3 low */
#define ACPI_TRIGGER_MASK 0xC           /* 0 bus default, 4 edge, 0xC level */

struct acpi_cpu { uint8_t acpi_id, apic_id; bool enabled; };
/* The MADT gives an I/O APIC's first GSI only; how many it has is in its
 * version register, which the I/O APIC driver reads. */
struct acpi_ioapic { uint8_t id; uint32_t addr, gsi_base; };
struct acpi_override { uint8_t bus, source; uint32_t gsi; uint16_t flags; };
struct acpi_nmi { uint8_t acpi_id; uint16_t flags; uint8_t lint; };   /* acpi_id 0xFF: all */

/* A Generic Address Structure. */
struct acpi_gas { uint8_t space, width, offset, access; uint64_t addr; };
#define ACPI_SPACE_MEM 0
#define ACPI_SPACE_IO 1
#define ACPI_SPACE_PCI 2

struct acpi_info {
    bool present;                       /* an RSDP with a valid checksum was found */
    uint64_t rsdp_addr;                 /* 0 when it came as a multiboot2 tag copy */
    uint8_t revision;                   /* 0: ACPI 1.0 (RSDT), 2+: XSDT */
    char oem[7];
    bool xsdt;                          /* the root table walked: XSDT, else RSDT */
    uint64_t root_addr;
    uint32_t ntables;                   /* root entries whose table passed the checks */
    char tables[160];                   /* their signatures, "FACP APIC HPET ..." */

    bool madt;
    uint32_t lapic_addr;
    bool pcat_compat;                   /* 8259s present (MADT flag bit 0) */
    uint32_t ncpus;                     /* entries kept, enabled or not */
    uint32_t cpus_dropped;              /* beyond ACPI_MAX_CPUS */
    struct acpi_cpu cpus[ACPI_MAX_CPUS];
    uint32_t nioapics;
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    uint32_t noverrides;
    struct acpi_override overrides[ACPI_MAX_OVERRIDES];
    uint32_t nnmis;
    struct acpi_nmi nmis[ACPI_MAX_NMIS];

    bool fadt;
    bool reset_supported;               /* FADT flag RESET_REG_SUP with a usable register */
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint32_t pm1a_cnt, pm1b_cnt;        /* I/O ports, 0 = none */
    uint32_t smi_cmd;
    uint8_t acpi_enable;                /* value for smi_cmd that turns ACPI mode on */
    uint64_t dsdt_addr;                 /* X_DSDT when present, else DSDT; 0 = none */
    bool s5;                            /* \_S5_ found in the DSDT */
    uint8_t slp_typa, slp_typb;

    bool mcfg;
    uint64_t ecam_base;
    uint16_t ecam_segment;
    uint8_t ecam_bus_start, ecam_bus_end;

    bool hpet;
    uint64_t hpet_addr;

    struct diag problems;               /* each rejected table or entry, by name */
};

/* How the parser reaches physical memory: a pointer to len readable bytes
 * at phys, or NULL when they cannot be reached. The hypervisor passes an
 * identity accessor (it parses before paging is on, below 4 GiB); the unit
 * tests pass fake memory. */
typedef const void *(*acpi_phys_fn)(uint64_t phys, uint32_t len);

/* Reads the tables from an RSDP: a copy (rsdp, rsdp_len, from multiboot2)
 * if given, else one found at rsdp_phys. Fills out; returns 0 if an RSDP
 * was accepted, -1 if not (out->problems says why). */
int acpi_parse(acpi_phys_fn phys, const void *rsdp, uint32_t rsdp_len, uint64_t rsdp_phys,
               struct acpi_info *out);
/* Looks for the RSDP in the BIOS areas (EBDA's first KiB, 0xE0000-0xFFFFF);
 * its physical address, or 0. */
uint64_t acpi_find_rsdp(acpi_phys_fn phys);

/* The machine's tables, once kernel/main.c has read them. */
extern struct acpi_info acpi;

/* Reads the tables into acpi (the multiboot2 RSDP copy first, then the
 * BIOS areas) and logs what was found and every problem. Called while
 * paging is still off: the tables may lie in memory the identity map
 * leaves out. */
struct boot_info;
void acpi_init(const struct boot_info *bi);

/* Power, through the FADT; each returns only if it did not work. */
void acpi_poweroff(void);
void acpi_reset(void);

#endif
