/* MSI and MSI-X programming. The message: address 0xFEE00000 with the
 * destination APIC ID in bits 12-19 (physical mode, no redirection hint),
 * data = the vector with fixed delivery and edge trigger (all other bits
 * zero). The MSI capability comes in four layouts (32- or 64-bit address,
 * with or without per-vector mask bits), told apart by its message
 * control; only one vector is ever enabled (multiple message enable 0). */
#include "drivers/pci_msi.h"
#include "drivers/pci.h"
#include "arch/x86/paging.h"
#include "kernel/log.h"

#define PCI_COMMAND 0x04
#define PCI_CMD_MEM (1u << 1)
#define PCI_CMD_MASTER (1u << 2)
#define PCI_CMD_INTX_OFF (1u << 10)

#define MSI_CTL_ENABLE (1u << 0)
#define MSI_CTL_MME (7u << 4)
#define MSI_CTL_64 (1u << 7)
#define MSI_CTL_PVM (1u << 8)           /* per-vector masking */

#define MSIX_CTL_SIZE 0x7FFu
#define MSIX_CTL_FMASK (1u << 14)
#define MSIX_CTL_ENABLE (1u << 15)
#define MSIX_ENTRY 16
#define MSIX_VEC_MASKED 1u

#define MSI_ADDR(dest) (0xFEE00000u | ((uint32_t)(dest) << 12))

static uint32_t cfg(const struct pci_dev *d, uint8_t off) { return pci_read32(d->bus, d->dev, d->fn, off); }
static void set_cfg(const struct pci_dev *d, uint8_t off, uint32_t v) { pci_write32(d->bus, d->dev, d->fn, off, v); }

/* The message control word is the top half of the capability's first
 * dword; the bottom half (id, next) is read-only, so writing it back is
 * harmless. */
static uint16_t ctl(const struct pci_dev *d, uint8_t cap) { return (uint16_t)(cfg(d, cap) >> 16); }
static void set_ctl(const struct pci_dev *d, uint8_t cap, uint16_t v)
{
    set_cfg(d, cap, (cfg(d, cap) & 0xFFFF) | (uint32_t)v << 16);
}

/* Command register with bits changed; the status half is write-1-to-clear,
 * so it is written as zeros. */
static void command(const struct pci_dev *d, uint32_t set, uint32_t clear)
{
    uint32_t cmd = cfg(d, PCI_COMMAND) & 0xFFFF;
    set_cfg(d, PCI_COMMAND, (cmd | set) & ~clear);
}

static void msi_enable(const struct pci_dev *d, uint8_t vector, uint8_t dest)
{
    uint8_t cap = d->msi_cap;
    uint16_t c = ctl(d, cap) & ~(MSI_CTL_ENABLE | MSI_CTL_MME);
    set_ctl(d, cap, c);
    set_cfg(d, cap + 4, MSI_ADDR(dest));
    uint8_t data = cap + 8, mask = cap + 12;
    if (c & MSI_CTL_64) {
        set_cfg(d, cap + 8, 0);
        data = cap + 12;
        mask = cap + 16;
    }
    /* data is the low 16 bits; the high half is reserved (or extended
     * data, off unless enabled): zero */
    set_cfg(d, data, vector);
    if (c & MSI_CTL_PVM)
        set_cfg(d, mask, cfg(d, mask) & ~1u);  /* vector 0 unmasked; the others unused */
    set_ctl(d, cap, c | MSI_CTL_ENABLE);
}

/* The table's BAR must be memory, and the table must fit inside it. */
static volatile uint32_t *msix_table(const struct pci_dev *d, uint32_t *entries)
{
    uint32_t tbl = cfg(d, d->msix_cap + 4);
    uint32_t bir = tbl & 7, off = tbl & ~7u;
    *entries = (ctl(d, d->msix_cap) & MSIX_CTL_SIZE) + 1u;
    if (bir > 5)
        return 0;
    const struct pci_bar *b = &d->bar[bir];
    uint64_t end = (uint64_t)off + (uint64_t)*entries * MSIX_ENTRY;
    if (b->io || !b->base || end > b->size || b->base + b->size > 0xFFC00000ull)
        return 0;
    uint32_t phys = (uint32_t)b->base + off;
    paging_map_mmio(phys, *entries * MSIX_ENTRY);
    return (volatile uint32_t *)phys;
}

static int msix_enable(const struct pci_dev *d, uint8_t vector, uint8_t dest)
{
    uint32_t n;
    volatile uint32_t *t = msix_table(d, &n);
    if (!t) {
        log_warn("msi: %02x:%02x.%x: MSI-X table outside its BAR; not used", d->bus, d->dev, d->fn);
        return -1;
    }
    uint8_t cap = d->msix_cap;
    /* enabled with the function masked: INTx is off and no entry fires
     * while the table is being written */
    set_ctl(d, cap, (ctl(d, cap) | MSIX_CTL_ENABLE | MSIX_CTL_FMASK));
    for (uint32_t i = 1; i < n; i++)
        t[i * 4 + 3] |= MSIX_VEC_MASKED;
    t[0] = MSI_ADDR(dest);
    t[1] = 0;
    t[2] = vector;
    t[3] &= ~MSIX_VEC_MASKED;
    set_ctl(d, cap, (ctl(d, cap) & ~MSIX_CTL_FMASK));
    return 0;
}

int pci_msi_enable(const struct pci_dev *d, uint8_t vector, uint8_t dest_apic_id)
{
    /* the largest MSI layout is 24 bytes, MSI-X's 12: both inside config space */
    if ((!d->msi_cap || d->msi_cap > 0x100 - 24) && (!d->msix_cap || d->msix_cap > 0x100 - 12))
        return -1;
    /* the message is a memory write by the device: bus mastering on */
    command(d, PCI_CMD_MASTER | PCI_CMD_INTX_OFF, 0);
    if (d->msi_cap && d->msi_cap <= 0x100 - 24)
        msi_enable(d, vector, dest_apic_id);
    else if (msix_enable(d, vector, dest_apic_id) != 0) {
        command(d, 0, PCI_CMD_INTX_OFF);
        return -1;
    }
    return 0;
}

void pci_msi_disable(const struct pci_dev *d)
{
    if (d->msi_cap)
        set_ctl(d, d->msi_cap, ctl(d, d->msi_cap) & ~MSI_CTL_ENABLE);
    if (d->msix_cap)
        set_ctl(d, d->msix_cap, ctl(d, d->msix_cap) & ~MSIX_CTL_ENABLE);
    command(d, 0, PCI_CMD_INTX_OFF);
}
