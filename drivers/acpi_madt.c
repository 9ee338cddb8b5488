/* The MADT ("APIC"): which CPUs exist, where the local and I/O APICs are,
 * how ISA interrupts are rewired and where the NMI lines go. This decides
 * how many CPUs lgvisor starts and whether it leaves the 8259 PIC, so a
 * table that is structurally broken is rejected as a whole (madt = false:
 * one CPU and the PIC) and a bad entry is dropped by name. */
#include <string.h>
#include "drivers/acpi_tables.h"

#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_OVERRIDE 2
#define MADT_LAPIC_NMI 4
#define MADT_LAPIC_ADDR 5
#define MADT_ENTRIES 44                 /* header, local APIC address, flags */
#define LAPIC_ENABLED 0x1               /* bit 1, "online capable", counts as not enabled */

static void add_cpu(const uint8_t *e, struct acpi_info *out)
{
    if (out->ncpus >= ACPI_MAX_CPUS) {
        out->cpus_dropped++;
        return;
    }
    uint8_t apic_id = e[3];
    if (apic_id == 0xFF) {
        acpi_problem(out, "MADT: CPU %u has the broadcast APIC ID 0xff; dropped", e[2]);
        return;
    }
    for (uint32_t i = 0; i < out->ncpus; i++)
        if (out->cpus[i].apic_id == apic_id) {
            acpi_problem(out, "MADT: APIC ID %u listed twice (CPUs %u and %u); the second dropped",
                         apic_id, out->cpus[i].acpi_id, e[2]);
            return;
        }
    out->cpus[out->ncpus++] = (struct acpi_cpu){
        .acpi_id = e[2], .apic_id = apic_id, .enabled = (acpi_rd32(e + 4) & LAPIC_ENABLED) != 0 };
}

static void add_ioapic(const uint8_t *e, struct acpi_info *out)
{
    struct acpi_ioapic io = { .id = e[2], .addr = acpi_rd32(e + 4), .gsi_base = acpi_rd32(e + 8) };
    if (io.addr == 0) {
        acpi_problem(out, "MADT: I/O APIC %u at address 0; dropped", io.id);
        return;
    }
    /* Each I/O APIC has at least one input, so two cannot start at the
     * same GSI; the true extent is in the chip, checked by its driver. */
    for (uint32_t i = 0; i < out->nioapics; i++) {
        const struct acpi_ioapic *o = &out->ioapics[i];
        if (o->gsi_base == io.gsi_base || o->addr == io.addr || o->id == io.id) {
            acpi_problem(out, "MADT: I/O APIC %u (0x%08lx, GSI %lu) overlaps I/O APIC %u "
                         "(0x%08lx, GSI %lu); dropped", io.id, (unsigned long)io.addr,
                         (unsigned long)io.gsi_base, o->id, (unsigned long)o->addr,
                         (unsigned long)o->gsi_base);
            return;
        }
    }
    if (out->nioapics >= ACPI_MAX_IOAPICS) {
        acpi_problem(out, "MADT: more than %u I/O APICs; I/O APIC %u dropped", ACPI_MAX_IOAPICS, io.id);
        return;
    }
    out->ioapics[out->nioapics++] = io;
}

static void add_override(const uint8_t *e, struct acpi_info *out)
{
    struct acpi_override o = { .bus = e[2], .source = e[3], .gsi = acpi_rd32(e + 4),
                               .flags = acpi_rd16(e + 8) };
    /* overrides rewire ISA IRQs only: bus 0, IRQ 0-15, each at most once */
    if (o.bus != 0 || o.source > 15) {
        acpi_problem(out, "MADT: override of bus %u IRQ %u is not an ISA IRQ; dropped", o.bus, o.source);
        return;
    }
    for (uint32_t i = 0; i < out->noverrides; i++)
        if (out->overrides[i].source == o.source) {
            acpi_problem(out, "MADT: IRQ %u overridden twice; the second dropped", o.source);
            return;
        }
    if (out->noverrides >= ACPI_MAX_OVERRIDES) {
        acpi_problem(out, "MADT: more than %u overrides; IRQ %u's dropped", ACPI_MAX_OVERRIDES, o.source);
        return;
    }
    out->overrides[out->noverrides++] = o;
}

static void add_nmi(const uint8_t *e, struct acpi_info *out)
{
    struct acpi_nmi n = { .acpi_id = e[2], .flags = acpi_rd16(e + 3), .lint = e[5] };
    if (n.lint > 1) {
        acpi_problem(out, "MADT: NMI on LINT%u, which does not exist; dropped", n.lint);
        return;
    }
    if (out->nnmis >= ACPI_MAX_NMIS) {
        acpi_problem(out, "MADT: more than %u NMI entries; rest dropped", ACPI_MAX_NMIS);
        return;
    }
    out->nmis[out->nnmis++] = n;
}

static void set_lapic_addr(const uint8_t *e, struct acpi_info *out)
{
    uint64_t a = acpi_rd64(e + 4);
    if (a == 0 || a >> 32) {
        char h[24];
        acpi_problem(out, "MADT: local APIC address override %s is unusable; ignored", acpi_hex64(a, h));
        return;
    }
    out->lapic_addr = (uint32_t)a;
}

/* Rejects the whole table: nothing of it is kept. */
static void reject(struct acpi_info *out)
{
    out->madt = false;
    out->lapic_addr = 0;
    out->pcat_compat = false;
    out->ncpus = out->cpus_dropped = out->nioapics = out->noverrides = out->nnmis = 0;
}

void acpi_parse_madt(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
    static const uint8_t min_len[] = {
        [MADT_LAPIC] = 8, [MADT_IOAPIC] = 12, [MADT_OVERRIDE] = 10, [MADT_LAPIC_NMI] = 6,
        [MADT_LAPIC_ADDR] = 12,
    };
    static void (*const handler[])(const uint8_t *, struct acpi_info *) = {
        [MADT_LAPIC] = add_cpu, [MADT_IOAPIC] = add_ioapic, [MADT_OVERRIDE] = add_override,
        [MADT_LAPIC_NMI] = add_nmi, [MADT_LAPIC_ADDR] = set_lapic_addr,
    };
    if (len < MADT_ENTRIES) {
        acpi_problem(out, "MADT: %lu bytes, too short; table ignored: one CPU and the 8259 PIC",
                     (unsigned long)len);
        return;
    }
    out->madt = true;
    out->lapic_addr = acpi_rd32(t + 36);
    out->pcat_compat = acpi_rd32(t + 40) & 1;
    for (uint32_t off = MADT_ENTRIES; off < len;) {
        const uint8_t *e = t + off;
        uint8_t type = e[0], elen = off + 1 < len ? e[1] : 0;
        if (elen < 2 || elen > len - off) {
            acpi_problem(out, "MADT: entry at offset %lu (type %u) has length %u, %s; "
                         "table ignored: one CPU and the 8259 PIC", (unsigned long)off, type, elen,
                         elen < 2 ? "too short to step over" : "past the table's end");
            reject(out);
            return;
        }
        off += elen;
        if (type >= sizeof(handler) / sizeof(handler[0]) || !handler[type])
            continue;           /* x2APIC, GIC, ...: not for this machine */
        if (elen < min_len[type]) {
            acpi_problem(out, "MADT: type %u entry of %u bytes, shorter than %u; dropped", type,
                         elen, min_len[type]);
            continue;
        }
        handler[type](e, out);
    }
    if (out->cpus_dropped)
        acpi_problem(out, "MADT: %lu CPUs listed, only %u supported; %lu ignored",
                     (unsigned long)(out->ncpus + out->cpus_dropped), ACPI_MAX_CPUS,
                     (unsigned long)out->cpus_dropped);
    bool any_enabled = false;
    for (uint32_t i = 0; i < out->ncpus; i++)
        any_enabled |= out->cpus[i].enabled;
    if (!any_enabled || out->lapic_addr == 0) {
        acpi_problem(out, "MADT: %s; table ignored: one CPU and the 8259 PIC",
                     out->lapic_addr == 0 ? "local APIC at address 0" : "no enabled CPU");
        reject(out);
    }
}
