/* AHCI controllers and ports: BIOS hand-off, HBA reset, port bring-up,
 * IDENTIFY, the interrupt, and the port reset that error recovery uses.
 * The commands themselves are in ahci_io.c. Command lists, FIS areas and
 * command tables are frames: identity-mapped, below 4 GiB, so their
 * physical addresses are their pointers. */
#include <stdio.h>
#include <string.h>
#include "drivers/u64dec.h"
#include "drivers/ahci.h"
#include "drivers/ahci_port.h"
#include "drivers/pci.h"
#include "drivers/pci_irq.h"
#include "arch/x86/paging.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/frames.h"
#include "kernel/log.h"

#define MAX_HBAS 4
#define PCI_COMMAND 0x04
#define PCI_CMD_MEM (1u << 1)
#define PCI_CMD_MASTER (1u << 2)
#define PCI_CMD_INTX_OFF (1u << 10)
#define TABLE_FRAMES (AHCI_SLOTS * CT_BYTES / 4096)

struct ahci_disk ahci_disks[AHCI_MAX_DISKS];
uint32_t ahci_ndisks;

struct hba {
    const struct pci_dev *pci;
    volatile uint8_t *regs;
    char name[16];              /* "ahci0", for the log and the interrupt */
    struct pci_irq irq;
    uint32_t ports;             /* bit n: port n is one of our disks */
    struct ahci_port *port[32];
};
static struct hba hbas[MAX_HBAS];
static uint32_t nhbas;
static struct ahci_port ports[AHCI_MAX_DISKS];

static uint32_t hba_rd(struct hba *h, uint32_t r) { return *(volatile uint32_t *)(h->regs + r); }
static void hba_wr(struct hba *h, uint32_t r, uint32_t v) { *(volatile uint32_t *)(h->regs + r) = v; }

static void delay_ns(uint64_t ns)
{
    uint64_t end = clock_ns() + ns;
    while (clock_ns() < end)
        pause();
}

/* Waits until (read & mask) == want; bounded. */
static bool wait_reg(volatile uint8_t *base, uint32_t r, uint32_t mask, uint32_t want, uint64_t ns)
{
    uint64_t end = clock_ns() + ns;
    while ((*(volatile uint32_t *)(base + r) & mask) != want) {
        if (clock_ns() > end)
            return false;
        pause();
    }
    return true;
}

/* The firmware may still own the controller (CAP2.BOH): ask for it. */
static void bios_handoff(struct hba *h)
{
    if (!(hba_rd(h, HBA_CAP2) & CAP2_BOH))
        return;
    hba_wr(h, HBA_BOHC, hba_rd(h, HBA_BOHC) | BOHC_OOS);
    if (!wait_reg(h->regs, HBA_BOHC, BOHC_BOS, 0, 25000000) || (hba_rd(h, HBA_BOHC) & BOHC_BB)) {
        /* the spec gives a busy BIOS 2 s to finish */
        if (!wait_reg(h->regs, HBA_BOHC, BOHC_BOS | BOHC_BB, 0, 2000000000))
            log_warn("%s: the firmware did not release the controller; taking it anyway", h->name);
    }
    log_info("%s: taken over from the firmware (BIOS/OS hand-off)", h->name);
}

static bool port_stop(struct ahci_port *p)
{
    port_wr(p, PX_CMD, port_rd(p, PX_CMD) & ~CMD_ST);
    bool ok = wait_reg(p->regs, PX_CMD, CMD_CR, 0, 500000000);
    port_wr(p, PX_CMD, port_rd(p, PX_CMD) & ~CMD_FRE);
    return wait_reg(p->regs, PX_CMD, CMD_FR, 0, 500000000) && ok;
}

/* Command list and FIS area in, errors cleared, FIS reception on, then
 * the engine once the device is ready. */
static bool port_program(struct ahci_port *p)
{
    if (!port_stop(p))
        log_warn("%s: port %lu: the command engine does not stop", p->disk->name, (unsigned long)p->number);
    port_wr(p, PX_CLB, (uint32_t)p->list);
    port_wr(p, PX_CLBU, 0);
    port_wr(p, PX_FB, (uint32_t)p->fis);
    port_wr(p, PX_FBU, 0);
    port_wr(p, PX_SERR, ~0u);
    port_wr(p, PX_IS, ~0u);
    port_wr(p, PX_CMD, port_rd(p, PX_CMD) | CMD_SUD | CMD_POD | CMD_FRE);
    if (!wait_reg(p->regs, PX_TFD, TFD_BSY | TFD_DRQ, 0, 2000000000))
        return false;
    port_wr(p, PX_SERR, ~0u);
    port_wr(p, PX_IS, ~0u);
    port_wr(p, PX_IE, IS_WANTED);
    port_wr(p, PX_CMD, port_rd(p, PX_CMD) | CMD_ST);
    return true;
}

bool ahci_port_reset(struct ahci_port *p)
{
    port_stop(p);
    uint32_t sctl = port_rd(p, PX_SCTL) & ~0xFu;
    port_wr(p, PX_SCTL, sctl | 1);                  /* DET = 1: COMRESET */
    delay_ns(2000000);                              /* at least 1 ms */
    port_wr(p, PX_SCTL, sctl);
    if (!wait_reg(p->regs, PX_SSTS, 0xF, DET_PRESENT, 1000000000))
        return false;
    return port_program(p);
}

static void hba_irq(void *ctx)
{
    struct hba *h = ctx;
    uint32_t is = hba_rd(h, HBA_IS);
    if (!is)
        return;                                     /* a shared line: someone else's */
    for (uint32_t n = 0; n < 32; n++) {
        if (!(is & (1u << n)))
            continue;
        if (h->port[n])
            ahci_port_service(h->port[n]);
        else {
            volatile uint8_t *r = h->regs + PORT_BASE(n);
            *(volatile uint32_t *)(r + PX_IS) = *(volatile uint32_t *)(r + PX_IS);
        }
    }
    hba_wr(h, HBA_IS, is);
}

/* INTx test interrupt: an IDENTIFY on the first disk's free slot 31
 * ends with a D2H FIS, which is an interrupt. */
static void test_raise(void *ctx)
{
    struct hba *h = ctx;
    for (uint32_t n = 0; n < 32; n++) {
        struct ahci_port *p = h->port[n];
        if (!p || (port_rd(p, PX_CI) & (1u << (p->nslots - 1))))
            continue;
        uint32_t s = p->nslots - 1;
        struct ahci_cmd_table *t = &p->tables[s];
        memset(t->cfis, 0, sizeof(t->cfis));
        t->cfis[0] = FIS_H2D;
        t->cfis[1] = 0x80;
        t->cfis[2] = ATA_IDENTIFY;
        static uint8_t junk[512];
        t->prd[0] = (struct ahci_prd){ (uint32_t)junk, 0, 0, 511 };
        p->list[s] = (struct ahci_cmd_hdr){ HDR_CFL_H2D | 1u << 16, 0, (uint32_t)t, 0, { 0 } };
        hba_wr(h, HBA_GHC, hba_rd(h, HBA_GHC) | GHC_IE);
        port_wr(p, PX_CI, 1u << s);
        return;
    }
}

static void test_clear(void *ctx)
{
    struct hba *h = ctx;
    for (uint32_t n = 0; n < 32; n++)
        if (h->port[n]) {
            wait_reg(h->port[n]->regs, PX_CI, ~0u, 0, 10000000);
            port_wr(h->port[n], PX_IS, ~0u);
        }
    hba_wr(h, HBA_IS, ~0u);
}

static void ata_string(const uint16_t *w, uint32_t words, char *out)
{
    for (uint32_t i = 0; i < words; i++) {
        out[2 * i] = (char)(w[i] >> 8);
        out[2 * i + 1] = (char)w[i];
    }
    uint32_t n = 2 * words;
    out[n] = 0;
    while (n && (out[n - 1] == ' ' || out[n - 1] == 0))
        out[--n] = 0;
    for (uint32_t i = 0; i < n; i++)
        if (out[i] < 0x20 || out[i] > 0x7E)
            out[i] = '?';
}

static uint16_t ident[256] __attribute__((aligned(4)));

/* IDENTIFY DEVICE: size, model, LBA48, NCQ and its depth. */
static bool identify(struct ahci_port *p)
{
    struct ahci_disk *d = p->disk;
    if (ahci_sync(d, AHCI_IDENTIFY, 0, 1, ident)) {
        log_err("%s: port %lu: IDENTIFY DEVICE failed", d->name, (unsigned long)p->number);
        return false;
    }
    ata_string(ident + 27, 20, d->model);
    bool lba48 = ident[83] & (1u << 10);
    uint64_t lba28 = ident[60] | (uint32_t)ident[61] << 16;
    uint64_t big = ident[100] | (uint64_t)ident[101] << 16 | (uint64_t)ident[102] << 32 |
                   (uint64_t)ident[103] << 48;
    d->sectors = lba48 ? big : lba28;
    if (!lba48) {
        log_err("%s: '%s' has no 48-bit LBA; not used", d->name, d->model);
        return false;
    }
    /* word 106: logical sectors larger than 512 bytes are not supported */
    if ((ident[106] & 0xC000) == 0x4000 && (ident[106] & (1u << 12)) &&
        (ident[117] | (uint32_t)ident[118] << 16) != 256) {
        log_err("%s: '%s' has logical sectors of %lu bytes; only 512 is supported", d->name, d->model,
                (unsigned long)(2 * (ident[117] | (uint32_t)ident[118] << 16)));
        return false;
    }
    return true;
}

static struct ahci_port *port_create(struct hba *h, uint32_t n, uint32_t cap)
{
    if (ahci_ndisks == AHCI_MAX_DISKS) {
        log_warn("%s: port %lu: more than %d disks; not used", h->name, (unsigned long)n, AHCI_MAX_DISKS);
        return 0;
    }
    uint32_t mem = frames_alloc(1 + TABLE_FRAMES, 1);
    if (!mem) {
        log_err("%s: port %lu: no memory for its command list", h->name, (unsigned long)n);
        return 0;
    }
    memset((void *)mem, 0, (1 + TABLE_FRAMES) * 4096);
    struct ahci_disk *d = &ahci_disks[ahci_ndisks];
    struct ahci_port *p = &ports[ahci_ndisks];
    memset(d, 0, sizeof(*d));
    memset(p, 0, sizeof(*p));
    snprintf(d->name, sizeof(d->name), "sata%lu", (unsigned long)ahci_ndisks);
    d->port = p;
    p->disk = d;
    p->regs = h->regs + PORT_BASE(n);
    p->hba = h->regs;
    p->number = n;
    p->list = (struct ahci_cmd_hdr *)mem;           /* 1 KiB, then the FIS area at 1 KiB */
    p->fis = (uint8_t *)mem + 1024;
    p->tables = (struct ahci_cmd_table *)(mem + 4096);
    p->nslots = CAP_NCS(cap);
    for (uint32_t s = 0; s < AHCI_SLOTS; s++) {
        p->list[s].ctba = (uint32_t)&p->tables[s];
        p->list[s].ctbau = 0;
    }
    p->polled = true;                               /* until the interrupt is connected */
    d->depth = 1;                                   /* until IDENTIFY has told */
    if (!port_program(p)) {
        log_warn("%s: port %lu: the device does not become ready (TFD 0x%02lx); not used", h->name,
                 (unsigned long)n, (unsigned long)(port_rd(p, PX_TFD) & 0xFF));
        port_stop(p);
        frames_free(mem, 1 + TABLE_FRAMES);
        return 0;
    }
    /* the signature is only certain once the device's first D2H FIS has
     * come in, which needs FIS reception on: an ATAPI drive (q35 puts the
     * CD-ROM here) reads 0xFFFFFFFF before */
    uint32_t sig = port_rd(p, PX_SIG);
    if (sig != SIG_ATA) {
        log_info("%s: port %lu: not a disk (signature 0x%08lx: %s); not used", h->name, (unsigned long)n,
                 (unsigned long)sig, sig == 0xEB140101u ? "ATAPI" : "unknown");
        port_stop(p);
        frames_free(mem, 1 + TABLE_FRAMES);
        return 0;
    }
    ahci_ndisks++;
    if (!identify(p)) {
        port_stop(p);
        ahci_ndisks--;
        frames_free(mem, 1 + TABLE_FRAMES);
        return 0;
    }
    memcpy(d->blk.name, d->name, sizeof(d->blk.name));
    d->blk.kind = "SATA";
    d->blk.sectors = d->sectors;
    d->blk.max_sectors = AHCI_MAX_SECTORS;
    d->blk.align = 2;
    d->blk.ops = &ahci_blk_ops;
    if (!blk_register(&d->blk)) {
        log_warn("%s: more than %d disks in all; not used", d->name, BLK_MAX_DEVS);
        port_stop(p);
        ahci_ndisks--;
        frames_free(mem, 1 + TABLE_FRAMES);
        return 0;
    }
    bool ncq = (cap & CAP_SNCQ) && (ident[76] & (1u << 8));
    uint32_t qd = (ident[75] & 0x1F) + 1;
    d->ncq = ncq;
    d->depth = ncq ? (qd < p->nslots ? qd : p->nslots) : 1;
    bool wcache = ident[85] & (1u << 5);
    d->flush_cmd = ident[83] & (1u << 13) ? ATA_FLUSH_CACHE_EXT : ATA_FLUSH_CACHE;
    uint64_t mib = d->sectors >> 11;
    log_info("%s: %s port %lu: '%s', %s sectors (%s MiB), %s, write cache %s", d->name, h->name,
             (unsigned long)n, d->model, U64(d->sectors), U64(mib), ncq ? "NCQ" : "no NCQ", wcache ? "on" : "off");
    if (ncq)
        log_info("%s: queue depth %lu (device %lu, controller %lu slots)", d->name, (unsigned long)d->depth,
                 (unsigned long)qd, (unsigned long)p->nslots);
    return p;
}

static void hba_init(const struct pci_dev *pd)
{
    if (nhbas == MAX_HBAS) {
        log_warn("ahci: more than %d controllers; %02x:%02x.%x not used", MAX_HBAS, pd->bus, pd->dev, pd->fn);
        return;
    }
    struct hba *h = &hbas[nhbas];
    memset(h, 0, sizeof(*h));
    h->pci = pd;
    snprintf(h->name, sizeof(h->name), "ahci%lu", (unsigned long)nhbas);
    const struct pci_bar *bar = &pd->bar[5];
    if (bar->io || !bar->base || bar->base + bar->size > 0xFFC00000ull || bar->size < 0x180) {
        log_err("%s: %04x:%04x at %02x:%02x.%x: BAR5 (ABAR) is not usable memory", h->name, pd->vendor,
                pd->device, pd->bus, pd->dev, pd->fn);
        return;
    }
    nhbas++;
    uint32_t cmd = pci_read32(pd->bus, pd->dev, pd->fn, PCI_COMMAND) & 0xFFFF;
    pci_write32(pd->bus, pd->dev, pd->fn, PCI_COMMAND, (cmd | PCI_CMD_MEM | PCI_CMD_MASTER) & ~PCI_CMD_INTX_OFF);
    paging_map_mmio((uint32_t)bar->base, (uint32_t)bar->size);
    h->regs = (volatile uint8_t *)(uint32_t)bar->base;

    bios_handoff(h);
    hba_wr(h, HBA_GHC, hba_rd(h, HBA_GHC) | GHC_AE);
    hba_wr(h, HBA_GHC, GHC_AE | GHC_HR);
    if (!wait_reg(h->regs, HBA_GHC, GHC_HR, 0, 1000000000)) {
        log_err("%s: does not come out of reset", h->name);
        return;
    }
    hba_wr(h, HBA_GHC, GHC_AE);                     /* interrupts off until connected */
    uint32_t cap = hba_rd(h, HBA_CAP), pi = hba_rd(h, HBA_PI), vs = hba_rd(h, HBA_VS);
    log_info("%s: %04x:%04x at %02x:%02x.%x, AHCI %lu.%lu, %lu ports (implemented 0x%08lx), %lu slots%s",
             h->name, pd->vendor, pd->device, pd->bus, pd->dev, pd->fn, (unsigned long)(vs >> 16),
             (unsigned long)((vs >> 8) & 0xFF), (unsigned long)CAP_NP(cap),
             (unsigned long)pi, (unsigned long)CAP_NCS(cap), cap & CAP_SNCQ ? ", NCQ" : "");
    for (uint32_t n = 0; n < 32; n++) {
        if (!(pi & (1u << n)))
            continue;
        volatile uint8_t *r = h->regs + PORT_BASE(n);
        /* a link may take a moment after the reset: wait while a device is seen without one */
        uint64_t end = clock_ns() + 1000000000;
        uint32_t ssts;
        while (SSTS_DET(ssts = *(volatile uint32_t *)(r + PX_SSTS)) == 1 && clock_ns() < end)
            pause();
        if (SSTS_DET(ssts) != DET_PRESENT)
            continue;                               /* empty port: not worth a line */
        uint32_t sig = *(volatile uint32_t *)(r + PX_SIG);
        if (sig != SIG_ATA && sig != 0xFFFFFFFFu) {
            log_info("%s: port %lu: not a disk (signature 0x%08lx: %s); not used", h->name, (unsigned long)n,
                     (unsigned long)sig, sig == 0xEB140101u ? "ATAPI" : "unknown");
            continue;
        }
        struct ahci_port *p = port_create(h, n, cap);
        if (p) {
            h->port[n] = p;
            h->ports |= 1u << n;
        }
    }
    if (!h->ports) {
        log_info("%s: no disks", h->name);
        return;
    }
    struct pci_irq_test test = { test_raise, test_clear, h };
    bool irq_ok = pci_irq_set_handler(pd, &test, hba_irq, h, h->name, &h->irq) == 0;
    test_clear(h);
    hba_wr(h, HBA_GHC, GHC_AE | GHC_IE);
    for (uint32_t n = 0; n < 32; n++)
        if (h->port[n])
            h->port[n]->polled = !irq_ok;
    if (irq_ok)
        log_info("%s: interrupt: %s", h->name, h->irq.how);
    else
        log_warn("%s: no usable interrupt; polled every millisecond while busy", h->name);
}

uint32_t ahci_init(void)
{
    for (uint32_t i = 0; i < pci_ndevs; i++) {
        const struct pci_dev *d = &pci_devs[i];
        if (d->class == 0x01 && d->subclass == 0x06 && d->progif == 0x01)
            hba_init(d);
    }
    return ahci_ndisks;
}

struct ahci_disk *ahci_find(const char *name)
{
    for (uint32_t i = 0; i < ahci_ndisks; i++)
        if (strcmp(ahci_disks[i].name, name) == 0)
            return &ahci_disks[i];
    return 0;
}
