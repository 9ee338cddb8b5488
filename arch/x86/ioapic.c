/* The I/O APIC is reached through two registers: write a register index to
 * IOREGSEL (offset 0), then read or write its value in IOWIN (offset 0x10).
 * Register 1 holds the version and the highest redirection entry; entry n
 * is the 64-bit pair at 0x10 + 2n. Nothing here runs concurrently (the
 * hypervisor holds interrupts off), so the select/window pair needs no lock
 * yet; with SMP it will. */
#include "arch/x86/ioapic.h"
#include "arch/x86/paging.h"
#include "kernel/bootinfo.h"
#include "kernel/log.h"

#define IOREGSEL 0
#define IOWIN 4                         /* in 32-bit words: byte offset 0x10 */
#define REG_VERSION 0x01
#define REG_REDIR(n) (0x10 + 2 * (n))
#define RTE_MASKED (1u << 16)
#define RTE_LEVEL (1u << 15)
#define RTE_ACTIVE_LOW (1u << 13)

extern struct boot_info boot_info;

static struct ioapic chips[IOAPIC_MAX];
static uint32_t nchips;

static uint32_t rd(const struct ioapic *a, uint32_t reg)
{
    a->regs[IOREGSEL] = reg;
    return a->regs[IOWIN];
}

static void wr(const struct ioapic *a, uint32_t reg, uint32_t v)
{
    a->regs[IOREGSEL] = reg;
    a->regs[IOWIN] = v;
}

/* Firmware that names RAM as an I/O APIC would have us write redirection
 * entries into someone's memory; device memory is never "available". */
static bool inside_ram(uint32_t phys)
{
    for (uint32_t i = 0; i < boot_info.nmmap; i++) {
        const struct boot_mmap_entry *e = &boot_info.mmap[i];
        if (e->type == MMAP_AVAILABLE && phys >= e->base && phys < e->base + e->len)
            return true;
    }
    return false;
}

static struct ioapic *chip_of(uint32_t gsi, uint32_t *pin)
{
    for (uint32_t i = 0; i < nchips; i++) {
        struct ioapic *a = &chips[i];
        if (gsi >= a->gsi_base && gsi - a->gsi_base < a->nlines) {
            *pin = gsi - a->gsi_base;
            return a;
        }
    }
    return 0;
}

int ioapic_add(uint8_t id, uint32_t phys, uint32_t gsi_base)
{
    if (nchips >= IOAPIC_MAX) {
        log_warn("ioapic: I/O APIC %u left out: more than %d", id, IOAPIC_MAX);
        return -1;
    }
    /* the switcher owns the top 4 MiB; the register block is 0x20 bytes */
    if (!phys || (phys & 0xF) || phys >= 0xFFC00000u || inside_ram(phys)) {
        log_warn("ioapic: I/O APIC %u at 0x%08lx left out: not a usable device address", id,
                 (unsigned long)phys);
        return -1;
    }
    paging_map_mmio(phys, 0x20);
    struct ioapic *a = &chips[nchips];
    *a = (struct ioapic){ .id = id, .phys = phys, .gsi_base = gsi_base,
                          .regs = (volatile uint32_t *)phys };
    uint32_t ver = rd(a, REG_VERSION);
    /* all ones: nothing answers there; the entry count is 8 bits + 1 */
    if (ver == 0xFFFFFFFFu || ver == 0) {
        log_warn("ioapic: I/O APIC %u at 0x%08lx left out: version register reads 0x%08lx", id,
                 (unsigned long)phys, (unsigned long)ver);
        return -1;
    }
    a->version = ver & 0xFF;
    a->nlines = ((ver >> 16) & 0xFF) + 1;
    if ((uint64_t)gsi_base + a->nlines > 0xFFFFFFFFull) {
        log_warn("ioapic: I/O APIC %u: GSI base %lu too large", id, (unsigned long)gsi_base);
        return -1;
    }
    for (uint32_t i = 0; i < nchips; i++) {
        const struct ioapic *b = &chips[i];
        if (gsi_base < b->gsi_base + b->nlines && b->gsi_base < gsi_base + a->nlines) {
            log_warn("ioapic: I/O APIC %u left out: GSIs %lu-%lu overlap I/O APIC %u's", id,
                     (unsigned long)gsi_base, (unsigned long)(gsi_base + a->nlines - 1), b->id);
            return -1;
        }
    }
    /* masked, edge, vector 0: nothing is delivered until a line is routed */
    for (uint32_t n = 0; n < a->nlines; n++) {
        wr(a, REG_REDIR(n), RTE_MASKED);
        wr(a, REG_REDIR(n) + 1, 0);
    }
    nchips++;
    return 0;
}

uint32_t ioapic_count(void) { return nchips; }
const struct ioapic *ioapic_get(uint32_t i) { return i < nchips ? &chips[i] : 0; }

bool ioapic_has_gsi(uint32_t gsi)
{
    uint32_t pin;
    return chip_of(gsi, &pin) != 0;
}

int ioapic_route(uint32_t gsi, uint8_t vector, uint8_t dest_apic_id, bool level, bool active_low)
{
    uint32_t pin;
    struct ioapic *a = chip_of(gsi, &pin);
    if (!a)
        return -1;
    uint32_t lo = (rd(a, REG_REDIR(pin)) & RTE_MASKED) | vector;     /* fixed, physical */
    if (level)
        lo |= RTE_LEVEL;
    if (active_low)
        lo |= RTE_ACTIVE_LOW;
    /* masked while the halves disagree, so no half-written entry fires */
    wr(a, REG_REDIR(pin), RTE_MASKED);
    wr(a, REG_REDIR(pin) + 1, (uint32_t)dest_apic_id << 24);
    wr(a, REG_REDIR(pin), lo);
    return 0;
}

static void set_mask(uint32_t gsi, bool masked)
{
    uint32_t pin;
    struct ioapic *a = chip_of(gsi, &pin);
    if (!a)
        return;
    uint32_t lo = rd(a, REG_REDIR(pin));
    wr(a, REG_REDIR(pin), masked ? lo | RTE_MASKED : lo & ~RTE_MASKED);
}

void ioapic_mask(uint32_t gsi) { set_mask(gsi, true); }
void ioapic_unmask(uint32_t gsi) { set_mask(gsi, false); }
