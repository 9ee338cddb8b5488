/* PCI configuration access and the early console of the 4.x build (see
 * pci.h). Only compiled into lgtest-4.elf's behaviour; the 3.10 and 2.6.32
 * builds never touch these ports. */
#include "guest/irq.h"
#include "guest/pci.h"

#define CFG_ENABLE      0x80000000u
#define VIRTIO_VENDOR   0x1AF4
#define VIRTIO_CONSOLE_PCI 0x1043       /* 0x1040 + type 3 */
#define CAP_VENDOR      0x09
#define CAP_TYPE_DEVICE 4
#define CAP_TYPE_PCI    5
#define EMERG_WR        8               /* in struct virtio_console_config */

static u32 addr_of(unsigned dev, unsigned reg) { return CFG_ENABLE | (dev & 31) << 11 | (reg & 0xFC); }

u32 pci_read_raw(u32 addr, u16 port, unsigned size)
{
    u32 flags = irq_save();
    outl(PCI_CFG_ADDR, addr);
    u32 v = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
    irq_restore(flags);
    return v;
}

void pci_write_raw(u32 addr, u16 port, unsigned size, u32 val)
{
    u32 flags = irq_save();
    outl(PCI_CFG_ADDR, addr);
    if (size == 1)
        outb(port, (u8)val);
    else if (size == 2)
        outw(port, (u16)val);
    else
        outl(port, val);
    irq_restore(flags);
}

u32 pci_read(unsigned dev, unsigned reg, unsigned size)
{
    return pci_read_raw(addr_of(dev, reg), (u16)(PCI_CFG_DATA + (reg & 3)), size);
}

void pci_write(unsigned dev, unsigned reg, unsigned size, u32 val)
{
    pci_write_raw(addr_of(dev, reg), (u16)(PCI_CFG_DATA + (reg & 3)), size, val);
}

/* Found once, as Linux 4.x's probe_pci_console does: the console's
 * device-config offset in BAR0 and its cfg-access capability. */
static int early_state;                 /* 0 not looked, 1 found, -1 none */
static unsigned early_cap, early_off;

static void early_probe(void)
{
    early_state = -1;
    if (pci_read(1, 0, 2) != VIRTIO_VENDOR || pci_read(1, 2, 2) != VIRTIO_CONSOLE_PCI)
        return;
    unsigned devcfg = 0, cap_pci = 0, found_dev = 0;
    for (unsigned at = pci_read(1, 0x34, 1), n = 0; at >= 0x40 && n < 48; at = pci_read(1, at + 1, 1), n++) {
        if (pci_read(1, at, 1) != CAP_VENDOR)
            continue;
        unsigned type = pci_read(1, at + 3, 1);
        if (type == CAP_TYPE_DEVICE && !found_dev) {
            devcfg = pci_read(1, at + 8, 4);
            found_dev = 1;
        } else if (type == CAP_TYPE_PCI && !cap_pci) {
            cap_pci = at;
        }
    }
    if (!found_dev || !cap_pci)
        return;
    early_cap = cap_pci;
    early_off = devcfg + EMERG_WR;
    early_state = 1;
    pci_early_window();
}

void pci_early_window(void)
{
    /* bar 0, length 4, offset of emerg_wr: then each data dword is a byte */
    pci_write(1, early_cap + 4, 1, 0);
    pci_write(1, early_cap + 12, 4, 4);
    pci_write(1, early_cap + 8, 4, early_off);
}

int pci_early_putc(char c)
{
    if (!early_state)
        early_probe();
    if (early_state < 0)
        return 0;
    pci_write(1, early_cap + 16, 4, (u8)c);
    return 1;
}
