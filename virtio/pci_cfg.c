/* Emulated PCI configuration space: see pci_cfg.h. Each function is 256
 * bytes as the guest reads them and a mask of the bits it may write; a
 * write merges byte by byte through the mask, then the two registers with
 * side effects (BAR0 and the cfg-access window) are looked at. */
#include <string.h>
#include "virtio/pci_cfg.h"

#define CFG_ENABLE   0x80000000u
#define PCI_COMMAND  0x04
#define PCI_BAR0     0x10
#define CMD_WRITABLE 0x0407u    /* I/O, memory, bus master, INTx disable */

static void put(uint8_t *p, uint32_t off, uint32_t v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        p[off + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get(const uint8_t *p, uint32_t off, uint32_t n)
{
    uint32_t v = 0;
    for (uint32_t i = 0; i < n; i++)
        v |= (uint32_t)p[off + i] << (8 * i);
    return v;
}

void vpci_cfg_init(struct vpci_cfg *c, uint32_t bar_lo, uint32_t bar_hi, vpci_window_fn window, void *ctx)
{
    memset(c, 0, sizeof(*c));
    c->bar_lo = bar_lo;
    c->bar_hi = bar_hi;
    c->window = window;
    c->ctx = ctx;
    struct vpci_fn *b = &c->fn[0];
    b->present = true;
    put(b->cfg, 0x00, 0x1B36, 2);       /* Red Hat, QEMU's PCI host bridge id: no driver claims it */
    put(b->cfg, 0x02, 0x0008, 2);
    put(b->cfg, 0x08, 0x06000001, 4);   /* host bridge, revision 1 */
    put(b->wmask, PCI_COMMAND, CMD_WRITABLE, 2);
    put(b->wmask, 0x0C, 0xFFFF, 2);     /* cache line size, latency timer */
}

static void cap(struct vpci_fn *f, uint32_t at, uint32_t len, uint32_t next, uint32_t type, uint32_t off,
                uint32_t length)
{
    f->cfg[at] = 0x09;                  /* vendor-specific */
    f->cfg[at + 1] = (uint8_t)next;
    f->cfg[at + 2] = (uint8_t)len;
    f->cfg[at + 3] = (uint8_t)type;
    f->cfg[at + 4] = 0;                 /* BAR0 */
    put(f->cfg, at + 8, off, 4);
    put(f->cfg, at + 12, length, 4);
}

void vpci_cfg_add(struct vpci_cfg *c, uint32_t slot, uint32_t virtio_type, uint32_t class24, uint8_t irq,
                  uint32_t bar0, uint32_t devcfg_len)
{
    if (slot == 0 || slot >= VPCI_SLOTS)
        return;
    struct vpci_fn *f = &c->fn[slot];
    memset(f, 0, sizeof(*f));
    f->present = true;
    put(f->cfg, 0x00, 0x1AF4, 2);                   /* virtio 1.0 4.1.2.1 */
    put(f->cfg, 0x02, 0x1040 + virtio_type, 2);
    put(f->cfg, PCI_COMMAND, 0x0002, 2);            /* memory decoding on, as firmware leaves it */
    put(f->cfg, 0x06, 0x0010, 2);                   /* capability list */
    put(f->cfg, 0x08, class24 << 8 | 1, 4);         /* revision 1: non-transitional */
    put(f->cfg, PCI_BAR0, bar0, 4);                 /* 32-bit memory, not prefetchable */
    put(f->cfg, 0x2C, 0x1AF4, 2);
    put(f->cfg, 0x2E, 0x0040, 2);
    f->cfg[0x34] = VPCI_CAP_COMMON;
    f->cfg[0x3C] = irq;
    f->cfg[0x3D] = 1;                               /* INTA# */
    cap(f, VPCI_CAP_COMMON, 16, VPCI_CAP_NOTIFY, 1, VPCI_COMMON_OFF, VPCI_COMMON_LEN);
    cap(f, VPCI_CAP_NOTIFY, 20, VPCI_CAP_ISR, 2, VPCI_NOTIFY_OFF, 2);    /* multiplier 0 at +16 */
    cap(f, VPCI_CAP_ISR, 16, VPCI_CAP_DEVICE, 3, VPCI_ISR_OFF, 1);
    cap(f, VPCI_CAP_DEVICE, 16, VPCI_CAP_PCICFG, 4, VPCI_DEVCFG_OFF, devcfg_len);
    cap(f, VPCI_CAP_PCICFG, 20, 0, 5, 0, 0);
    f->bar0 = bar0;
    put(f->wmask, PCI_COMMAND, CMD_WRITABLE, 2);
    put(f->wmask, 0x0C, 0xFFFF, 2);
    put(f->wmask, PCI_BAR0, ~(VPCI_BAR_SIZE - 1), 4);
    f->wmask[VPCI_CAP_PCICFG + 4] = 0xFF;           /* bar, offset, length, window */
    put(f->wmask, VPCI_CAP_PCICFG + 8, 0xFFFFFFFF, 4);
    put(f->wmask, VPCI_CAP_PCICFG + 12, 0xFFFFFFFF, 4);
    put(f->wmask, VPCI_CAP_PCICFG + 16, 0xFFFFFFFF, 4);
}

int vpci_cfg_bar_at(const struct vpci_cfg *c, uint32_t gpa, uint32_t *off)
{
    for (uint32_t s = 1; s < VPCI_SLOTS; s++) {
        const struct vpci_fn *f = &c->fn[s];
        if (f->present && f->bar0 && gpa - f->bar0 < VPCI_BAR_SIZE) {
            *off = gpa - f->bar0;
            return (int)s;
        }
    }
    return -1;
}

static bool bar_acceptable(const struct vpci_cfg *c, uint32_t slot, uint32_t addr)
{
    if (addr < c->bar_lo || addr > c->bar_hi - VPCI_BAR_SIZE)
        return false;
    for (uint32_t s = 1; s < VPCI_SLOTS; s++)
        if (s != slot && c->fn[s].present && c->fn[s].bar0 && addr - c->fn[s].bar0 + VPCI_BAR_SIZE - 1 <
                                                                    2 * VPCI_BAR_SIZE - 1)
            return false;       /* the two pages overlap */
    return true;
}

/* The cfg-access capability's bar/offset/length, when they name an access
 * BAR0 can take: length 1, 2 or 4, aligned to itself, inside the BAR. */
static bool window_access(const struct vpci_fn *f, uint32_t *off, uint32_t *len)
{
    uint32_t bar = f->cfg[VPCI_CAP_PCICFG + 4];
    *off = get(f->cfg, VPCI_CAP_PCICFG + 8, 4);
    *len = get(f->cfg, VPCI_CAP_PCICFG + 12, 4);
    return bar == 0 && (*len == 1 || *len == 2 || *len == 4) && *off % *len == 0 && *off < VPCI_BAR_SIZE;
}

static bool touches(uint32_t off, uint32_t size, uint32_t reg, uint32_t reg_len)
{
    return off < reg + reg_len && reg < off + size;
}

static bool size_ok(uint32_t off, uint32_t size)
{
    return (size == 1 || size == 2 || size == 4) && off % size == 0 && off < 256;
}

enum vpci_result vpci_cfg_read(struct vpci_cfg *c, uint32_t slot, uint32_t off, uint32_t size, uint32_t *val)
{
    *val = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    if (!size_ok(off, size))
        return VPCI_UNALIGNED;
    if (slot >= VPCI_SLOTS || !c->fn[slot].present)
        return VPCI_OK;                 /* nothing there: all ones */
    struct vpci_fn *f = &c->fn[slot];
    if (slot && touches(off, size, VPCI_CAP_PCICFG + 16, 4)) {
        uint32_t woff, wlen, v = 0;
        if (!window_access(f, &woff, &wlen))
            return VPCI_WINDOW_BAD;
        if (!c->window || !c->window(c->ctx, slot, false, woff, wlen, &v))
            return VPCI_WINDOW_FAILED;
        put(f->cfg, VPCI_CAP_PCICFG + 16, v, 4);
    }
    *val = get(f->cfg, off, size);
    return VPCI_OK;
}

enum vpci_result vpci_cfg_write(struct vpci_cfg *c, uint32_t slot, uint32_t off, uint32_t size, uint32_t val)
{
    if (!size_ok(off, size))
        return VPCI_UNALIGNED;
    if (slot >= VPCI_SLOTS || !c->fn[slot].present)
        return VPCI_OK;
    struct vpci_fn *f = &c->fn[slot];
    uint32_t old_bar = get(f->cfg, PCI_BAR0, 4);
    for (uint32_t i = 0; i < size; i++) {
        uint8_t m = f->wmask[off + i], b = (uint8_t)(val >> (8 * i));
        f->cfg[off + i] = (uint8_t)((f->cfg[off + i] & ~m) | (b & m));
    }
    if (slot && touches(off, size, PCI_BAR0, 4)) {
        uint32_t bar = get(f->cfg, PCI_BAR0, 4);
        if (bar == ~(VPCI_BAR_SIZE - 1) || bar == f->bar0)
            return VPCI_OK;             /* sizing (decoding stays where it was), or no move */
        if (!bar_acceptable(c, slot, bar)) {
            put(f->cfg, PCI_BAR0, old_bar == ~(VPCI_BAR_SIZE - 1) ? f->bar0 : old_bar, 4);
            return VPCI_BAR_REFUSED;
        }
        f->bar0 = bar;
    }
    if (slot && touches(off, size, VPCI_CAP_PCICFG + 16, 4)) {
        uint32_t woff, wlen, v = get(f->cfg, VPCI_CAP_PCICFG + 16, 4);
        if (!window_access(f, &woff, &wlen))
            return VPCI_WINDOW_BAD;
        if (wlen < 4)
            v &= (1u << (8 * wlen)) - 1;
        if (!c->window || !c->window(c->ctx, slot, true, woff, wlen, &v))
            return VPCI_WINDOW_FAILED;
    }
    return VPCI_OK;
}

/* Mechanism #1: bit 31 enables, bits 23-16 bus, 15-11 device, 10-8
 * function, 7-2 the register; bits 30-24 must be zero here. Bits 1-0 are
 * ignored, as chipsets do: Linux 4.4's early PCI access (the lguest early
 * console's capability walk, read_pci_config_byte) writes the byte offset
 * there whole, and would loop for ever on all-ones reads if they counted. */
static bool decode_addr(uint32_t a, uint32_t *slot, uint32_t *reg)
{
    if (!(a & CFG_ENABLE) || (a & 0x7F000000u) || (a >> 16 & 0xFF) || (a >> 8 & 7))
        return false;
    *slot = a >> 11 & 0x1F;
    *reg = a & 0xFC;
    return true;
}

enum vpci_result vpci_cfg_in(struct vpci_cfg *c, uint16_t port, uint32_t size, uint32_t *val)
{
    *val = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    if (size != 1 && size != 2 && size != 4)
        return VPCI_UNALIGNED;
    if (port >= PCI_CFG_ADDR_PORT && port < PCI_CFG_DATA_PORT) {
        if (port != PCI_CFG_ADDR_PORT || size != 4)
            return VPCI_OK;     /* only a dword at 0xCF8 is the address register */
        *val = c->addr;
        return VPCI_OK;
    }
    uint32_t in_dword = port - PCI_CFG_DATA_PORT, slot, reg;
    if (in_dword + size > 4)
        return VPCI_UNALIGNED;
    if (!decode_addr(c->addr, &slot, &reg))
        return VPCI_OK;
    return vpci_cfg_read(c, slot, reg + in_dword, size, val);
}

enum vpci_result vpci_cfg_out(struct vpci_cfg *c, uint16_t port, uint32_t size, uint32_t val)
{
    if (size != 1 && size != 2 && size != 4)
        return VPCI_UNALIGNED;
    if (port >= PCI_CFG_ADDR_PORT && port < PCI_CFG_DATA_PORT) {
        if (port == PCI_CFG_ADDR_PORT && size == 4)
            c->addr = val;
        return VPCI_OK;         /* Linux's type-1 probe writes a byte to 0xCFB: ignored */
    }
    uint32_t in_dword = port - PCI_CFG_DATA_PORT, slot, reg;
    if (in_dword + size > 4)
        return VPCI_UNALIGNED;
    if (!decode_addr(c->addr, &slot, &reg))
        return VPCI_OK;
    return vpci_cfg_write(c, slot, reg + in_dword, size, val);
}

const char *vpci_result_text(enum vpci_result r)
{
    switch (r) {
    case VPCI_OK: return "ok";
    case VPCI_UNALIGNED: return "access not of 1, 2 or 4 bytes inside one dword";
    case VPCI_BAR_REFUSED: return "BAR0 address over RAM, another device or outside the BAR window: ignored";
    case VPCI_WINDOW_BAD: return "PCI-cfg-access capability names no valid BAR0 access";
    case VPCI_WINDOW_FAILED: return "BAR0 access through the PCI-cfg-access window refused";
    }
    return "?";
}
