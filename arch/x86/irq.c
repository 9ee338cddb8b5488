/* The device-interrupt layer (see irq.h): one table of lines, filled by
 * drivers, dispatched either from the 8259 driver (which acknowledges the
 * PIC itself) or from the GSI vectors (acknowledged at the local APIC,
 * whose EOI also tells a level-triggered I/O APIC line it may fire again).
 *
 * Why the overrides: the I/O APIC's inputs are GSIs, and the ISA IRQs sit
 * on GSIs of the same number unless the MADT says otherwise. On nearly
 * every PC the PIT's IRQ 0 is wired to GSI 2, and the chipset's PCI-shared
 * ISA lines (QEMU: 5, 9, 10, 11) are level-triggered. */
#include <stdio.h>
#include <string.h>
#include "arch/x86/irq.h"
#include "arch/x86/irq_probe.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/lapic.h"
#include "arch/x86/pic.h"
#include "arch/x86/trap.h"
#include "arch/x86/x86.h"
#include "drivers/acpi.h"
#include "kernel/log.h"

struct isa_route { uint32_t gsi; bool level, active_low; };

static enum irq_chip chip = IRQCHIP_PIC;
static const char *pic_reason = "not initialised";
static struct irq_line lines[IRQ_MAX_LINES];
static struct isa_route isa[16];
static struct irq_handler msi[IRQ_MAX_MSI];
static uint64_t msi_count[IRQ_MAX_MSI];
volatile uint64_t irq_probe_watch, irq_probe_fired;

enum irq_chip irq_chip(void) { return chip; }
const char *irq_pic_reason(void) { return chip == IRQCHIP_PIC ? pic_reason : ""; }
int irq_nlines(void) { return chip == IRQCHIP_PIC ? 16 : IRQ_MAX_LINES; }
bool irq_msi_available(void) { return chip == IRQCHIP_IOAPIC; }

const struct irq_line *irq_line_get(int line)
{
    return line >= 0 && line < irq_nlines() ? &lines[line] : 0;
}

static void run_line(struct irq_line *l)
{
    l->count++;
    for (uint32_t i = 0; i < l->nhandlers; i++)
        l->h[i].fn(l->h[i].ctx);
}

static void pic_line(int line) { run_line(&lines[line & 15]); }

static void gsi_vector(uint32_t vector)
{
    uint32_t gsi = vector - VEC_FIRST_GSI;
    if (gsi >= IRQ_MAX_LINES)
        return;
    if (irq_probe_watch & (1ull << gsi)) {
        /* masked at once: a level line nobody clears would fire forever */
        irq_probe_fired |= 1ull << gsi;
        ioapic_mask(gsi);
    }
    run_line(&lines[gsi]);
    lapic_eoi();
}

static void msi_vector(uint32_t vector)
{
    uint32_t i = vector - VEC_FIRST_MSI;
    if (i < IRQ_MAX_MSI) {
        msi_count[i]++;
        if (msi[i].fn)
            msi[i].fn(msi[i].ctx);
    }
    lapic_eoi();
}

/* ISA IRQs default to edge, active high on the GSI of their number; an
 * override with bus 0 may move one and give it its own signalling. The
 * MPS flag encodings 2 (polarity) and 8 (trigger) are reserved: taken as
 * "bus default", with a warning. */
static void read_overrides(void)
{
    bool seen[16] = { false };
    for (int i = 0; i < 16; i++)
        isa[i] = (struct isa_route){ .gsi = (uint32_t)i };
    for (uint32_t i = 0; i < acpi.noverrides && i < ACPI_MAX_OVERRIDES; i++) {
        const struct acpi_override *o = &acpi.overrides[i];
        if (o->bus != 0 || o->source > 15 || !ioapic_has_gsi(o->gsi) || o->gsi >= IRQ_MAX_LINES) {
            log_warn("irq: MADT override bus %u IRQ %u -> GSI %lu ignored (no such ISA IRQ or GSI)",
                     o->bus, o->source, (unsigned long)o->gsi);
            continue;
        }
        if (seen[o->source]) {
            log_warn("irq: second MADT override for ISA IRQ %u ignored", o->source);
            continue;
        }
        seen[o->source] = true;
        uint16_t pol = o->flags & ACPI_POLARITY_MASK, trig = o->flags & ACPI_TRIGGER_MASK;
        if (pol == 2 || trig == 8)
            log_warn("irq: MADT override for ISA IRQ %u has reserved flags 0x%x; bus defaults used",
                     o->source, o->flags);
        isa[o->source] = (struct isa_route){ .gsi = o->gsi, .level = trig == 0xC,
                                             .active_low = pol == 3 };
    }
}

static void log_ioapic_mode(void)
{
    char buf[200], remaps[80] = "", sig[120] = "";
    size_t n = 0;
    for (uint32_t i = 0; i < ioapic_count(); i++) {
        const struct ioapic *a = ioapic_get(i);
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sI/O APIC %u at 0x%08lx (%lu lines",
                              i ? ", " : "", a->id, (unsigned long)a->phys, (unsigned long)a->nlines);
        if (n < sizeof(buf) && a->gsi_base)
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, ", GSI %lu-%lu", (unsigned long)a->gsi_base,
                                  (unsigned long)(a->gsi_base + a->nlines - 1));
        if (n < sizeof(buf))
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, ")");
        if (n >= sizeof(buf))
            break;
    }
    size_t r = 0, s = 0;
    for (int i = 0; i < 16; i++) {
        if (isa[i].gsi != (uint32_t)i && r < sizeof(remaps))
            r += (size_t)snprintf(remaps + r, sizeof(remaps) - r, "%sISA IRQ %d -> GSI %lu",
                                  r ? ", " : "; ", i, (unsigned long)isa[i].gsi);
        if ((isa[i].level || isa[i].active_low) && s < sizeof(sig))
            s += (size_t)snprintf(sig + s, sizeof(sig) - s, " %d %s/%s", i,
                                  isa[i].level ? "level" : "edge", isa[i].active_low ? "low" : "high");
    }
    log_info("irq: %s, 8259s masked%s", buf, remaps);
    if (s)
        log_info("irq: ISA IRQs signalled as the MADT says:%s", sig);
}

static void use_pic(const char *why)
{
    chip = IRQCHIP_PIC;
    pic_reason = why;
    log_info("irq: 8259 PIC (%s)", why);
}

void irq_init(enum irq_mode mode)
{
    for (int i = 0; i < IRQ_MAX_LINES; i++)
        lines[i] = (struct irq_line){ .isa = -1, .masked = true };
    pic_init();                 /* remapped in either mode: strays land on known vectors */
    const char *why = mode == IRQ_PIC ? "irq=pic"
                    : !acpi.madt || !acpi.nioapics ? "no I/O APIC in the MADT"
                    : !lapic_present() ? "no local APIC" : 0;
    if (!why) {
        for (uint32_t i = 0; i < acpi.nioapics && i < ACPI_MAX_IOAPICS; i++)
            ioapic_add(acpi.ioapics[i].id, acpi.ioapics[i].addr, acpi.ioapics[i].gsi_base);
        if (!ioapic_count())
            why = "no usable I/O APIC";
    }
    if (why) {
        use_pic(why);
        return;
    }
    chip = IRQCHIP_IOAPIC;
    pic_mask_all();
    lapic_mask_lint0();
    for (uint32_t v = 0; v < IRQ_MAX_LINES; v++)
        irq_set_handler(VEC_FIRST_GSI + v, gsi_vector);
    for (uint32_t v = 0; v < IRQ_MAX_MSI; v++)
        irq_set_handler(VEC_FIRST_MSI + v, msi_vector);
    read_overrides();
    log_ioapic_mode();
}

int isa_irq_line(int irq, bool *level, bool *active_low)
{
    if (irq < 0 || irq > 15)
        return -1;
    *level = chip == IRQCHIP_IOAPIC && isa[irq].level;
    *active_low = chip == IRQCHIP_IOAPIC && isa[irq].active_low;
    return chip == IRQCHIP_PIC ? irq : (int)isa[irq].gsi;
}

int isa_irq_set_handler(int irq, irq_fn fn, void *ctx, const char *name)
{
    bool level, low;
    int line = isa_irq_line(irq, &level, &low);
    if (line < 0)
        return -1;
    if (irq_line_set_handler(line, level, low, fn, ctx, name) < 0)
        return -1;
    lines[line].isa = irq;
    return line;
}

int irq_line_set_handler(int line, bool level, bool active_low, irq_fn fn, void *ctx,
                         const char *name)
{
    if (line < 0 || line >= irq_nlines() || !fn)
        return -1;
    struct irq_line *l = &lines[line];
    if (chip == IRQCHIP_IOAPIC && !ioapic_has_gsi((uint32_t)line)) {
        log_warn("irq: %s: no I/O APIC has GSI %d", name, line);
        return -1;
    }
    if (l->nhandlers >= IRQ_MAX_SHARED) {
        log_warn("irq: %s: line %d already has %d handlers", name, line, IRQ_MAX_SHARED);
        return -1;
    }
    if (l->nhandlers && chip == IRQCHIP_IOAPIC && (l->level != level || l->active_low != active_low)) {
        log_warn("irq: %s: GSI %d is %s/%s for %s; cannot share it %s/%s", name, line,
                 l->level ? "level" : "edge", l->active_low ? "low" : "high", l->h[0].name,
                 level ? "level" : "edge", active_low ? "low" : "high");
        return -1;
    }
    l->h[l->nhandlers++] = (struct irq_handler){ fn, ctx, name };
    if (chip == IRQCHIP_PIC) {
        pic_set_handler(line, pic_line);        /* unmasks */
    } else if (l->nhandlers == 1) {
        l->level = level;
        l->active_low = active_low;
        l->vector = (uint8_t)(VEC_FIRST_GSI + line);
        l->dest_apic_id = (uint8_t)lapic_id();  /* the boot CPU, until SMP spreads them */
        ioapic_route((uint32_t)line, l->vector, l->dest_apic_id, level, active_low);
    }
    irq_line_unmask(line);
    return line;
}

void irq_line_remove_handler(int line, irq_fn fn, void *ctx)
{
    if (line < 0 || line >= irq_nlines())
        return;
    struct irq_line *l = &lines[line];
    for (uint32_t i = 0; i < l->nhandlers; i++) {
        if (l->h[i].fn == fn && l->h[i].ctx == ctx) {
            memmove(&l->h[i], &l->h[i + 1], (l->nhandlers - i - 1) * sizeof(l->h[0]));
            l->nhandlers--;
            break;
        }
    }
    if (!l->nhandlers) {
        irq_line_mask(line);
        l->isa = -1;
    }
}

void irq_line_mask(int line)
{
    if (line < 0 || line >= irq_nlines())
        return;
    lines[line].masked = true;
    if (chip == IRQCHIP_PIC)
        pic_mask(line);
    else
        ioapic_mask((uint32_t)line);
}

void irq_line_unmask(int line)
{
    if (line < 0 || line >= irq_nlines())
        return;
    lines[line].masked = false;
    if (chip == IRQCHIP_PIC)
        pic_unmask(line);
    else
        ioapic_unmask((uint32_t)line);
}

int irq_line_set_dest(int line, uint8_t apic_id)
{
    if (chip != IRQCHIP_IOAPIC || line < 0 || line >= IRQ_MAX_LINES || !lines[line].nhandlers)
        return -1;
    struct irq_line *l = &lines[line];
    l->dest_apic_id = apic_id;
    return ioapic_route((uint32_t)line, l->vector, apic_id, l->level, l->active_low);
}

int irq_msi_alloc(irq_fn fn, void *ctx, const char *name)
{
    if (!irq_msi_available() || !fn)
        return -1;
    for (int i = 0; i < IRQ_MAX_MSI; i++) {
        if (!msi[i].fn) {
            msi[i] = (struct irq_handler){ fn, ctx, name };
            msi_count[i] = 0;
            return VEC_FIRST_MSI + i;
        }
    }
    return -1;
}

void irq_msi_free(int vector)
{
    int i = vector - VEC_FIRST_MSI;
    if (i >= 0 && i < IRQ_MAX_MSI)
        msi[i] = (struct irq_handler){ 0 };
}

const struct irq_handler *irq_msi_get(int vector, uint64_t *count)
{
    int i = vector - VEC_FIRST_MSI;
    if (i < 0 || i >= IRQ_MAX_MSI || !msi[i].fn)
        return 0;
    *count = msi_count[i];
    return &msi[i];
}
