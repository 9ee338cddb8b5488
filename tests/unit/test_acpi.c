/* sources: drivers/acpi.c drivers/acpi_madt.c drivers/acpi_fadt.c kernel/diag.c */
/* The ACPI parser against synthetic firmware: a fake physical memory of
 * 1.25 MiB (heap-allocated at exactly that size, so a read past it is
 * caught by AddressSanitizer) holding an RSDP in the BIOS area and the
 * tables above 1 MiB; each case builds the machine, breaks one thing and
 * checks both what was kept and the problem that names it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "drivers/acpi_tables.h"
#include "tests/unit/check.h"

#define MEMSIZE 0x140000u
#define RSDP_AT 0xE0100u
#define XSDT_AT 0x100000u
#define RSDT_AT 0x100400u
#define FACP_AT 0x101000u
#define APIC_AT 0x102000u
#define HPET_AT 0x103000u
#define MCFG_AT 0x104000u
#define DSDT_AT 0x105000u
#define SPARE_AT 0x106000u

static uint8_t *mem;
static struct acpi_info info;

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static const void *fake_phys(uint64_t phys, uint32_t len)
{
    if (phys == 0 || phys > MEMSIZE || len > MEMSIZE - phys)
        return NULL;
    return mem + phys;
}

static uint8_t sum(const uint8_t *p, uint32_t n)
{
    uint8_t s = 0;
    while (n--)
        s += *p++;
    return s;
}

static void fix_sum(uint32_t addr)
{
    uint8_t *t = mem + addr;
    t[9] = 0;
    t[9] = (uint8_t)-sum(t, acpi_rd32(t + 4));
}

/* A table at addr: header, then the body; the checksum made right. */
static void put_table(uint32_t addr, const char *sig, const void *body, uint32_t blen)
{
    uint8_t *t = mem + addr;
    memcpy(t, sig, 4);
    put32(t + 4, ACPI_HEADER_LEN + blen);
    t[8] = 1;
    memcpy(t + 10, "LGTEST", 6);
    memcpy(t + 16, "SYNTHTBL", 8);
    memcpy(t + 36, body, blen);
    fix_sum(addr);
}

static void put_rsdp(uint32_t addr, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
    uint8_t *p = mem + addr;
    memset(p, 0, 36);
    memcpy(p, "RSD PTR ", 8);
    memcpy(p + 9, "LGTEST", 6);
    p[15] = rev;
    put32(p + 16, rsdt);
    p[8] = (uint8_t)-sum(p, 20);
    if (rev >= 2) {
        put32(p + 20, 36);
        put64(p + 24, xsdt);
        p[32] = (uint8_t)-sum(p, 36);
    }
}

static void put_root(uint32_t addr, bool xsdt, const uint64_t *tables, uint32_t n)
{
    uint8_t body[64 * 8];
    for (uint32_t i = 0; i < n; i++) {
        if (xsdt)
            put64(body + 8 * i, tables[i]);
        else
            put32(body + 4 * i, (uint32_t)tables[i]);
    }
    put_table(addr, xsdt ? "XSDT" : "RSDT", body, n * (xsdt ? 8 : 4));
}

/* ---- MADT ---- */

struct madt { uint8_t b[4096]; uint32_t n; };

static void madt_begin(struct madt *m, uint32_t lapic, uint32_t flags)
{
    m->n = 8;
    put32(m->b, lapic);
    put32(m->b + 4, flags);
}

static uint8_t *madt_entry(struct madt *m, uint8_t type, uint8_t len)
{
    uint8_t *e = m->b + m->n;
    memset(e, 0, len);
    e[0] = type;
    e[1] = len;
    m->n += len;
    return e;
}

static void madt_cpu(struct madt *m, uint8_t acpi_id, uint8_t apic_id, uint32_t flags)
{
    uint8_t *e = madt_entry(m, 0, 8);
    e[2] = acpi_id;
    e[3] = apic_id;
    put32(e + 4, flags);
}

static void madt_ioapic(struct madt *m, uint8_t id, uint32_t addr, uint32_t gsi)
{
    uint8_t *e = madt_entry(m, 1, 12);
    e[2] = id;
    put32(e + 4, addr);
    put32(e + 8, gsi);
}

static void madt_override(struct madt *m, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    uint8_t *e = madt_entry(m, 2, 10);
    e[3] = irq;
    put32(e + 4, gsi);
    put16(e + 8, flags);
}

static void madt_nmi(struct madt *m, uint8_t acpi_id, uint16_t flags, uint8_t lint)
{
    uint8_t *e = madt_entry(m, 4, 6);
    e[2] = acpi_id;
    put16(e + 3, flags);
    e[5] = lint;
}

static void madt_put(const struct madt *m) { put_table(APIC_AT, "APIC", m->b, m->n); }

/* QEMU's: two CPUs, one I/O APIC, the usual overrides, LINT1 NMI. */
static void madt_standard(void)
{
    struct madt m;
    madt_begin(&m, 0xFEE00000, 1);
    madt_cpu(&m, 0, 0, 1);
    madt_cpu(&m, 1, 1, 1);
    madt_ioapic(&m, 0, 0xFEC00000, 0);
    madt_override(&m, 0, 2, 0);
    madt_override(&m, 9, 9, 0xD);
    madt_nmi(&m, 0xFF, 0, 1);
    madt_put(&m);
}

/* ---- FADT and DSDT ---- */

/* An FADT of len bytes (ACPI 1.0: 116; 6.x: 276), fields as on QEMU q35. */
static void fadt_put(uint32_t len, uint32_t flags)
{
    uint8_t t[276] = { 0 };
    put32(t + 40, DSDT_AT);
    put32(t + 48, 0xB2);
    t[52] = 0xF1;
    put32(t + 64, 0x604);
    put32(t + 112, flags);
    t[116] = ACPI_SPACE_IO;
    t[117] = 8;
    put64(t + 120, 0xCF9);
    t[128] = 0x06;
    put_table(FACP_AT, "FACP", t + 36, len - 36);
}

static const uint8_t s5_zero_ops[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00 };

static void dsdt_put(const uint8_t *aml, uint32_t n)
{
    uint8_t body[512];
    /* filler that mentions _S5_ without declaring it: a reference */
    static const uint8_t lead[] = { 0x10, 0x05, '_', 'S', 'B', '_', 0x70, '_', 'S', '5', '_', 0x60 };
    memcpy(body, lead, sizeof(lead));
    memcpy(body + sizeof(lead), aml, n);
    put_table(DSDT_AT, "DSDT", body, sizeof(lead) + n);
}

static void hpet_put(void)
{
    uint8_t b[20] = { 0 };
    put32(b, 0x8086A201);
    b[4] = ACPI_SPACE_MEM;
    b[5] = 64;
    put64(b + 8, 0xFED00000);
    put_table(HPET_AT, "HPET", b, sizeof(b));
}

static void mcfg_put(uint64_t base, uint8_t bus_start, uint8_t bus_end)
{
    uint8_t b[24] = { 0 };
    put64(b + 8, base);
    put16(b + 16, 0);
    b[18] = bus_start;
    b[19] = bus_end;
    put_table(MCFG_AT, "MCFG", b, sizeof(b));
}

/* A whole machine: RSDP (revision 2 with both roots, or 0 with the RSDT
 * only) in the BIOS area, every table good. */
static void machine(uint8_t rev)
{
    free(mem);
    mem = calloc(1, MEMSIZE);
    static const uint64_t tables[] = { FACP_AT, APIC_AT, HPET_AT, MCFG_AT };
    put_root(XSDT_AT, true, tables, 4);
    put_root(RSDT_AT, false, tables, 4);
    put_rsdp(RSDP_AT, rev, RSDT_AT, rev >= 2 ? XSDT_AT : 0);
    madt_standard();
    fadt_put(276, 1u << 10);
    dsdt_put(s5_zero_ops, sizeof(s5_zero_ops));
    hpet_put();
    mcfg_put(0xB0000000, 0, 255);
}

static int parse(void)
{
    memset(&info, 0xAA, sizeof(info));
    return acpi_parse(fake_phys, NULL, 0, acpi_find_rsdp(fake_phys), &info);
}

/* Whether any problem contains s. */
static const char *problem(const char *s)
{
    for (uint32_t i = 0; i < info.problems.n; i++)
        if (strstr(info.problems.msg[i], s))
            return info.problems.msg[i];
    return NULL;
}

#define CHECK_PROBLEM(s) do { \
    if (!problem(s)) \
        check_fail(__FILE__, __LINE__, "a problem contains \"" s "\"", \
                   info.problems.n ? info.problems.msg[0] : " (no problems)"); \
} while (0)

/* ---- cases ---- */

static void good_tables_parse_exactly(void)
{
    machine(2);
    CHECK_EQ(acpi_find_rsdp(fake_phys), RSDP_AT);
    CHECK_EQ(parse(), 0);
    CHECK_EQ(info.problems.n, 0);
    CHECK(info.present);
    CHECK_EQ(info.rsdp_addr, RSDP_AT);
    CHECK_EQ(info.revision, 2);
    CHECK_STR(info.oem, "LGTEST");
    CHECK(info.xsdt);
    CHECK_EQ(info.root_addr, XSDT_AT);
    CHECK_EQ(info.ntables, 4);
    CHECK_STR(info.tables, "FACP APIC HPET MCFG");

    CHECK(info.madt);
    CHECK_EQ(info.lapic_addr, 0xFEE00000);
    CHECK(info.pcat_compat);
    CHECK_EQ(info.ncpus, 2);
    CHECK_EQ(info.cpus_dropped, 0);
    CHECK_EQ(info.cpus[1].acpi_id, 1);
    CHECK_EQ(info.cpus[1].apic_id, 1);
    CHECK(info.cpus[0].enabled && info.cpus[1].enabled);
    CHECK_EQ(info.nioapics, 1);
    CHECK_EQ(info.ioapics[0].addr, 0xFEC00000);
    CHECK_EQ(info.ioapics[0].gsi_base, 0);
    CHECK_EQ(info.noverrides, 2);
    CHECK_EQ(info.overrides[0].source, 0);
    CHECK_EQ(info.overrides[0].gsi, 2);
    CHECK_EQ(info.overrides[1].source, 9);
    CHECK_EQ(info.overrides[1].flags & ACPI_TRIGGER_MASK, 0xC);
    CHECK_EQ(info.overrides[1].flags & ACPI_POLARITY_MASK, 1);
    CHECK_EQ(info.nnmis, 1);
    CHECK_EQ(info.nmis[0].acpi_id, 0xFF);
    CHECK_EQ(info.nmis[0].lint, 1);

    CHECK(info.fadt);
    CHECK_EQ(info.pm1a_cnt, 0x604);
    CHECK_EQ(info.pm1b_cnt, 0);
    CHECK_EQ(info.smi_cmd, 0xB2);
    CHECK_EQ(info.acpi_enable, 0xF1);
    CHECK(info.reset_supported);
    CHECK_EQ(info.reset_reg.space, ACPI_SPACE_IO);
    CHECK_EQ(info.reset_reg.addr, 0xCF9);
    CHECK_EQ(info.reset_value, 0x06);
    CHECK_EQ(info.dsdt_addr, DSDT_AT);
    CHECK(info.s5);
    CHECK_EQ(info.slp_typa, 0);
    CHECK_EQ(info.slp_typb, 0);

    CHECK(info.mcfg);
    CHECK_EQ(info.ecam_base, 0xB0000000);
    CHECK_EQ(info.ecam_segment, 0);
    CHECK_EQ(info.ecam_bus_start, 0);
    CHECK_EQ(info.ecam_bus_end, 255);
    CHECK(info.hpet);
    CHECK_EQ(info.hpet_addr, 0xFED00000);
}

static void rsdp_copy_accepted(void)
{
    machine(2);
    uint8_t copy[36];
    memcpy(copy, mem + RSDP_AT, 36);
    memset(mem + RSDP_AT, 0, 36);           /* only the loader's copy is left */
    memset(&info, 0xAA, sizeof(info));
    CHECK_EQ(acpi_parse(fake_phys, copy, sizeof(copy), 0, &info), 0);
    CHECK_EQ(info.problems.n, 0);
    CHECK_EQ(info.rsdp_addr, 0);
    CHECK(info.xsdt && info.madt && info.fadt);
    /* an old (20-byte) copy of a revision 0 RSDP */
    machine(0);
    memcpy(copy, mem + RSDP_AT, 20);
    CHECK_EQ(acpi_parse(fake_phys, copy, 20, 0, &info), 0);
    CHECK(!info.xsdt && info.madt);
}

static void rsdp_bad_checksum(void)
{
    machine(2);
    mem[RSDP_AT + 8] ^= 1;
    CHECK_EQ(acpi_find_rsdp(fake_phys), 0);
    uint8_t copy[36];
    memcpy(copy, mem + RSDP_AT, 36);
    memset(&info, 0xAA, sizeof(info));
    CHECK_EQ(acpi_parse(fake_phys, copy, sizeof(copy), 0, &info), -1);
    CHECK(!info.present && !info.madt && !info.fadt);
    CHECK_PROBLEM("RSDP: signature or checksum wrong");
    /* a copy shorter than an RSDP */
    CHECK_EQ(acpi_parse(fake_phys, copy, 12, 0, &info), -1);
    /* nothing at all */
    CHECK_EQ(acpi_parse(fake_phys, NULL, 0, 0, &info), -1);
    CHECK_PROBLEM("no RSDP");
}

static void rsdp_search(void)
{
    machine(2);
    /* a candidate with a bad checksum first, then a 2.0 one whose extended
     * checksum is wrong: both passed over for the good one after them */
    memcpy(mem + 0xE0000, mem + RSDP_AT, 36);
    mem[0xE0000 + 8] ^= 0x55;
    put_rsdp(0xE0000 + 0x20, 2, RSDT_AT, XSDT_AT);
    mem[0xE0020 + 32] ^= 1;
    CHECK_EQ(acpi_find_rsdp(fake_phys), RSDP_AT);
    /* the EBDA is searched first (segment at 0x40E) */
    put16(mem + 0x40E, 0x9FC0);
    put_rsdp(0x9FC00 + 0x30, 0, RSDT_AT, 0);
    CHECK_EQ(acpi_find_rsdp(fake_phys), 0x9FC30);
    /* a bogus EBDA pointer is not followed */
    put16(mem + 0x40E, 0xFFFF);
    CHECK_EQ(acpi_find_rsdp(fake_phys), RSDP_AT);
    /* not on a 16-byte boundary: not found */
    machine(0);
    memmove(mem + RSDP_AT + 4, mem + RSDP_AT, 20);
    memset(mem + RSDP_AT, 0, 4);
    CHECK_EQ(acpi_find_rsdp(fake_phys), 0);
}

static void xsdt_or_rsdt(void)
{
    /* revision 2: the XSDT, even when the RSDT says otherwise */
    machine(2);
    static const uint64_t hpet_only[] = { HPET_AT };
    put_root(RSDT_AT, false, hpet_only, 1);
    CHECK_EQ(parse(), 0);
    CHECK(info.xsdt);
    CHECK_STR(info.tables, "FACP APIC HPET MCFG");
    /* revision 0: the RSDT, whatever lies at offset 24 */
    machine(0);
    put_root(RSDT_AT, false, hpet_only, 1);
    put64(mem + RSDP_AT + 24, XSDT_AT);
    CHECK_EQ(parse(), 0);
    CHECK(!info.xsdt);
    CHECK_EQ(info.root_addr, RSDT_AT);
    CHECK_STR(info.tables, "HPET");
    CHECK(!info.madt && info.hpet);
    /* revision 2 with XsdtAddress 0: the RSDT */
    machine(2);
    put_rsdp(RSDP_AT, 2, RSDT_AT, 0);
    CHECK_EQ(parse(), 0);
    CHECK(!info.xsdt);
    CHECK_EQ(info.problems.n, 0);
    /* a broken XSDT: the RSDT, with the XSDT's problem */
    machine(2);
    mem[XSDT_AT + 9] ^= 0x40;
    CHECK_EQ(parse(), 0);
    CHECK(!info.xsdt && info.madt);
    CHECK_PROBLEM("XSDT: checksum");
    /* a revision 2 RSDP with a wrong extended checksum: the RSDT */
    machine(2);
    uint8_t copy[36];
    memcpy(copy, mem + RSDP_AT, 36);
    copy[32] ^= 1;
    CHECK_EQ(acpi_parse(fake_phys, copy, 36, 0, &info), 0);
    CHECK(!info.xsdt && info.madt);
    CHECK_PROBLEM("extended checksum");
}

static void bad_table_checksum_skipped(void)
{
    machine(2);
    mem[APIC_AT + 9] = 0x12;
    mem[APIC_AT + 40] ^= 0x03;              /* so that the sum is surely wrong */
    CHECK_EQ(parse(), 0);
    CHECK(!info.madt);
    CHECK_EQ(info.ncpus, 0);
    CHECK_PROBLEM("APIC: checksum 0x12 wrong");
    CHECK_PROBLEM("table ignored");
    CHECK_STR(info.tables, "FACP HPET MCFG");
    CHECK(info.fadt && info.hpet && info.mcfg);
    CHECK_EQ(info.problems.n, 1);
}

static void table_lengths(void)
{
    /* length past the end of memory */
    machine(2);
    uint32_t near_end = MEMSIZE - 64;
    memcpy(mem + near_end, mem + HPET_AT, 56);
    put32(mem + near_end + 4, 200);
    uint64_t t1[] = { FACP_AT, APIC_AT, near_end };
    put_root(XSDT_AT, true, t1, 3);
    CHECK_EQ(parse(), 0);
    CHECK(!info.hpet && info.madt);
    CHECK_PROBLEM("HPET: 200 bytes at 0x0013ffc0 run past readable memory");
    /* a header length below 36, one above 1 MiB, an unreachable address
     * and one above 4 GiB */
    machine(2);
    put32(mem + HPET_AT + 4, 20);
    put32(mem + MCFG_AT + 4, 0x7FFFFFFF);
    uint64_t t2[] = { APIC_AT, HPET_AT, MCFG_AT, 0x200000, 0x100000000ull };
    put_root(XSDT_AT, true, t2, 5);
    CHECK_EQ(parse(), 0);
    CHECK(info.madt && !info.hpet && !info.mcfg);
    CHECK_PROBLEM("HPET: length 20 is impossible");
    CHECK_PROBLEM("MCFG: length 2147483647 is impossible");
    CHECK_PROBLEM("table at 0x00200000 cannot be reached");
    CHECK_PROBLEM("table at 0x1:00000000 cannot be reached");
    CHECK_STR(info.tables, "APIC");
    /* a root table whose length runs past memory */
    machine(0);
    put32(mem + RSDT_AT + 4, MEMSIZE);     /* refused before its checksum is summed */
    CHECK_EQ(parse(), 0);
    CHECK_EQ(info.ntables, 0);
    CHECK_PROBLEM("RSDT:");
}

static void madt_entry_length_zero_or_past_end(void)
{
    machine(2);
    struct madt m;
    madt_begin(&m, 0xFEE00000, 1);
    madt_cpu(&m, 0, 0, 1);
    madt_entry(&m, 0, 8)[1] = 0;            /* length 0: cannot step over it */
    madt_cpu(&m, 2, 2, 1);
    madt_put(&m);
    CHECK_EQ(parse(), 0);
    CHECK(!info.madt);
    CHECK_EQ(info.ncpus, 0);
    CHECK_PROBLEM("MADT: entry at offset 52 (type 0) has length 0");
    CHECK(info.fadt);
    /* the last entry claims more bytes than the table has */
    madt_begin(&m, 0xFEE00000, 1);
    madt_cpu(&m, 0, 0, 1);
    madt_ioapic(&m, 0, 0xFEC00000, 0);
    m.b[m.n - 12 + 1] = 40;
    madt_put(&m);
    CHECK_EQ(parse(), 0);
    CHECK(!info.madt);
    CHECK_EQ(info.nioapics, 0);
    CHECK_PROBLEM("has length 40, past the table's end");
    /* a table that ends inside an entry header (one stray byte) */
    madt_begin(&m, 0xFEE00000, 1);
    madt_cpu(&m, 0, 0, 1);
    m.b[m.n++] = 0;
    madt_put(&m);
    CHECK_EQ(parse(), 0);
    CHECK(!info.madt);
}

static void madt_zero_entries(void)
{
    machine(2);
    struct madt m;
    madt_begin(&m, 0xFEE00000, 1);
    madt_put(&m);
    CHECK_EQ(parse(), 0);
    CHECK(!info.madt);
    CHECK_PROBLEM("MADT: no enabled CPU; table ignored");
    /* shorter than its fixed fields */
    put_table(APIC_AT, "APIC", m.b, 4);
    CHECK_EQ(parse(), 0);
    CHECK(!info.madt);
    CHECK_PROBLEM("MADT: 40 bytes, too short");
}

static void madt_300_cpus(void)
{
    machine(2);
    static struct madt m;
    madt_begin(&m, 0xFEE00000, 1);
    for (uint32_t i = 0; i < 300; i++)
        madt_cpu(&m, (uint8_t)i, (uint8_t)i, 1);
    madt_ioapic(&m, 0, 0xFEC00000, 0);
    madt_put(&m);
    CHECK_EQ(parse(), 0);
    CHECK(info.madt);
    CHECK_EQ(info.ncpus, ACPI_MAX_CPUS);
    CHECK_EQ(info.cpus_dropped, 236);
    CHECK_EQ(info.cpus[63].apic_id, 63);
    CHECK_EQ(info.nioapics, 1);             /* entries after the dropped CPUs still read */
    CHECK_PROBLEM("MADT: 300 CPUs listed, only 64 supported; 236 ignored");
}

static void madt_duplicate_apic_id(void)
{
    machine(2);
    struct madt m;
    madt_begin(&m, 0xFEE00000, 1);
    madt_cpu(&m, 0, 0, 1);
    madt_cpu(&m, 1, 3, 1);
    madt_cpu(&m, 2, 3, 1);
    madt_cpu(&m, 3, 0xFF, 1);
    madt_put(&m);
    CHECK_EQ(parse(), 0);
    CHECK(info.madt);
    CHECK_EQ(info.ncpus, 2);
    CHECK_EQ(info.cpus[1].acpi_id, 1);
    CHECK_PROBLEM("MADT: APIC ID 3 listed twice (CPUs 1 and 2); the second dropped");
    CHECK_PROBLEM("broadcast APIC ID");
}

static void madt_entry_kinds(void)
{
    machine(2);
    struct madt m;
    madt_begin(&m, 0xFEE00000, 0);
    madt_cpu(&m, 0, 0, 1);
    madt_cpu(&m, 1, 1, 0);                  /* disabled */
    madt_cpu(&m, 2, 2, 2);                  /* online capable: not enabled */
    madt_ioapic(&m, 0, 0xFEC00000, 0);
    madt_ioapic(&m, 1, 0, 24);              /* address 0 */
    madt_ioapic(&m, 2, 0xFEC01000, 0);      /* same GSI base as I/O APIC 0 */
    madt_ioapic(&m, 3, 0xFEC02000, 24);
    madt_override(&m, 0, 2, 0);
    madt_override(&m, 0, 5, 0);             /* IRQ 0 again */
    madt_override(&m, 16, 16, 0);           /* not an ISA IRQ */
    madt_nmi(&m, 0, 5, 1);
    madt_nmi(&m, 1, 0, 2);                  /* LINT2 */
    madt_entry(&m, 0x7F, 6);                /* unknown: stepped over */
    madt_entry(&m, 9, 16);                  /* x2APIC: stepped over */
    madt_entry(&m, 1, 6);                   /* an I/O APIC entry too short */
    uint8_t *o = madt_entry(&m, 5, 12);     /* local APIC address override */
    put64(o + 4, 0xFEE10000);
    madt_put(&m);
    CHECK_EQ(parse(), 0);
    CHECK(info.madt);
    CHECK(!info.pcat_compat);
    CHECK_EQ(info.lapic_addr, 0xFEE10000);
    CHECK_EQ(info.ncpus, 3);
    CHECK(info.cpus[0].enabled && !info.cpus[1].enabled && !info.cpus[2].enabled);
    CHECK_EQ(info.nioapics, 2);
    CHECK_EQ(info.ioapics[1].id, 3);
    CHECK_EQ(info.ioapics[1].gsi_base, 24);
    CHECK_EQ(info.noverrides, 1);
    CHECK_EQ(info.nnmis, 1);
    CHECK_EQ(info.nmis[0].flags, 5);
    CHECK_PROBLEM("I/O APIC 1 at address 0; dropped");
    CHECK_PROBLEM("I/O APIC 2 (0xfec01000, GSI 0) overlaps I/O APIC 0");
    CHECK_PROBLEM("IRQ 0 overridden twice");
    CHECK_PROBLEM("bus 0 IRQ 16 is not an ISA IRQ");
    CHECK_PROBLEM("LINT2");
    CHECK_PROBLEM("type 1 entry of 6 bytes, shorter than 12");
    CHECK_EQ(info.problems.n, 6);
    /* an override above 4 GiB is ignored; local APIC at 0 rejects the table */
    madt_begin(&m, 0, 1);
    madt_cpu(&m, 0, 0, 1);
    o = madt_entry(&m, 5, 12);
    put64(o + 4, 0x100000000ull);
    madt_put(&m);
    CHECK_EQ(parse(), 0);
    CHECK(!info.madt);
    CHECK_PROBLEM("local APIC address override 0x1:00000000 is unusable");
    CHECK_PROBLEM("local APIC at address 0");
}

static void s5_encodings(void)
{
    /* Name (\_S5_, Package (2) { 5, 5 }) with byte prefixes */
    static const uint8_t bytes[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x02,
                                     0x0A, 0x05, 0x0A, 0x07, 0x00, 0x00 };
    machine(2);
    dsdt_put(bytes, sizeof(bytes));
    CHECK_EQ(parse(), 0);
    CHECK(info.s5);
    CHECK_EQ(info.slp_typa, 5);
    CHECK_EQ(info.slp_typb, 7);
    /* One and Zero ops, and a two-byte package length */
    static const uint8_t ops[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x45, 0x00, 0x04,
                                   0x01, 0x00, 0x00, 0x00 };
    uint8_t aml[100] = { 0 };
    memcpy(aml, ops, sizeof(ops));          /* the package runs 0x45 bytes from its length */
    dsdt_put(aml, sizeof(aml));
    CHECK_EQ(parse(), 0);
    CHECK(info.s5);
    CHECK_EQ(info.slp_typa, 1);
    CHECK_EQ(info.slp_typb, 0);
    /* the first package has one element: b is 0 */
    static const uint8_t one[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0A, 0x03 };
    dsdt_put(one, sizeof(one));
    CHECK_EQ(parse(), 0);
    CHECK(info.s5);
    CHECK_EQ(info.slp_typa, 3);
    CHECK_EQ(info.slp_typb, 0);
}

static void s5_truncated_or_absent(void)
{
    /* the DSDT ends inside the package (the table is otherwise valid) */
    machine(2);
    static const uint8_t cut[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x0A };
    dsdt_put(cut, sizeof(cut));
    CHECK_EQ(parse(), 0);
    CHECK(info.fadt && !info.s5);
    CHECK_PROBLEM("DSDT: _S5_ at offset");
    /* a package length past the DSDT's end */
    static const uint8_t longpkg[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x3F, 0x02, 0x00, 0x00 };
    dsdt_put(longpkg, sizeof(longpkg));
    CHECK_EQ(parse(), 0);
    CHECK(!info.s5);
    /* the name right at the end of the table */
    static const uint8_t tail[] = { 0x08, '_', 'S', '5', '_' };
    dsdt_put(tail, sizeof(tail));
    CHECK_EQ(parse(), 0);
    CHECK(!info.s5);
    /* a sleep type that does not fit SLP_TYP's 3 bits */
    static const uint8_t wide[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0A, 0x08, 0x00, 0x00 };
    dsdt_put(wide, sizeof(wide));
    CHECK_EQ(parse(), 0);
    CHECK(!info.s5);
    /* no declaration at all (the filler's reference is not one) */
    dsdt_put((const uint8_t *)"\x5b\x80", 2);
    CHECK_EQ(parse(), 0);
    CHECK(info.fadt && !info.s5);
    CHECK_EQ(info.problems.n, 0);
    /* a DSDT with a bad checksum: named, and no _S5_ */
    machine(2);
    mem[DSDT_AT + 40] ^= 1;
    CHECK_EQ(parse(), 0);
    CHECK(info.fadt && !info.s5);
    CHECK_PROBLEM("DSDT: checksum");
}

static void fadt_short_acpi1(void)
{
    /* ACPI 1.0's 116 bytes: no reset register even with the flag set */
    machine(0);
    fadt_put(116, 1u << 10);
    CHECK_EQ(parse(), 0);
    CHECK(info.fadt);
    CHECK(!info.reset_supported);
    CHECK_EQ(info.pm1a_cnt, 0x604);
    CHECK_EQ(info.smi_cmd, 0xB2);
    CHECK_EQ(info.dsdt_addr, DSDT_AT);
    CHECK(info.s5);
    CHECK_EQ(info.problems.n, 0);
    /* the reset register needs the flag too */
    fadt_put(276, 0);
    CHECK_EQ(parse(), 0);
    CHECK(info.fadt && !info.reset_supported);
    /* shorter than ACPI 1.0 */
    fadt_put(100, 0);
    CHECK_EQ(parse(), 0);
    CHECK(!info.fadt && !info.s5);
    CHECK_PROBLEM("FACP: 100 bytes, shorter than ACPI 1.0's 116");
}

static void fadt_extended_fields(void)
{
    machine(2);
    uint8_t *t = mem + FACP_AT;
    /* X_PM1a_CNT_BLK (I/O 0xb004) supersedes the 32-bit field; X_DSDT the DSDT */
    t[172] = ACPI_SPACE_IO;
    put64(t + 176, 0xB004);
    memcpy(mem + SPARE_AT, mem + DSDT_AT, acpi_rd32(mem + DSDT_AT + 4));
    put64(t + 140, SPARE_AT);
    put32(t + 40, 0x7777);                  /* the stale 32-bit DSDT: unused */
    /* a reset register in PCI configuration space: not usable */
    t[116] = ACPI_SPACE_PCI;
    /* SMI command port beyond 16 bits */
    put32(t + 48, 0x12345);
    fix_sum(FACP_AT);
    CHECK_EQ(parse(), 0);
    CHECK_EQ(info.pm1a_cnt, 0xB004);
    CHECK_EQ(info.dsdt_addr, SPARE_AT);
    CHECK(info.s5);
    CHECK(!info.reset_supported);
    CHECK_EQ(info.smi_cmd, 0);
    CHECK_PROBLEM("reset register 0x00000cf9 in address space 2 is not usable");
    CHECK_PROBLEM("SMI command port 0x12345");
    /* a memory-space reset register is kept */
    t[116] = ACPI_SPACE_MEM;
    put64(t + 120, 0xFEC00F00);
    fix_sum(FACP_AT);
    CHECK_EQ(parse(), 0);
    CHECK(info.reset_supported);
    CHECK_EQ(info.reset_reg.space, ACPI_SPACE_MEM);
    CHECK_EQ(info.reset_reg.addr, 0xFEC00F00);
}

static void mcfg_hpet_and_duplicates(void)
{
    machine(2);
    mcfg_put(0xB0000000, 10, 5);            /* end bus before start */
    CHECK_EQ(parse(), 0);
    CHECK(!info.mcfg);
    CHECK_PROBLEM("MCFG: allocation at 0xb0000000 for buses 10-5 is invalid");
    put_table(MCFG_AT, "MCFG", "\0\0\0\0\0\0\0\0", 8);
    CHECK_EQ(parse(), 0);
    CHECK(!info.mcfg);
    CHECK_PROBLEM("MCFG: 44 bytes hold no allocation");
    uint8_t b[20] = { 0 };
    put_table(HPET_AT, "HPET", b, sizeof(b));
    CHECK_EQ(parse(), 0);
    CHECK(!info.hpet);
    CHECK_PROBLEM("HPET: no usable base address");
    /* a second MADT is ignored, the first kept */
    machine(2);
    struct madt m;
    madt_begin(&m, 0xFEE00000, 1);
    madt_cpu(&m, 0, 7, 1);
    put_table(SPARE_AT, "APIC", m.b, m.n);
    uint64_t t[] = { APIC_AT, SPARE_AT, FACP_AT };
    put_root(XSDT_AT, true, t, 3);
    CHECK_EQ(parse(), 0);
    CHECK_EQ(info.ncpus, 2);
    CHECK_PROBLEM("APIC: a second table; ignored");
    CHECK_STR(info.tables, "APIC APIC FACP");
}

static void garbage_signature_quoted(void)
{
    machine(2);
    memcpy(mem + HPET_AT, "\x01\x7f" "AB", 4);
    fix_sum(HPET_AT);
    CHECK_EQ(parse(), 0);
    CHECK_STR(info.tables, "FACP APIC ??AB MCFG");
    CHECK(!info.hpet);
    /* a FACP entry that points at something else */
    machine(2);
    put32(mem + FACP_AT + 40, HPET_AT);     /* "DSDT" at the HPET */
    fix_sum(FACP_AT);
    CHECK_EQ(parse(), 0);
    CHECK(!info.s5);
    CHECK_PROBLEM("DSDT: table at 0x00103000 has signature 'HPET'");
}

int main(void)
{
    RUN(good_tables_parse_exactly);
    RUN(rsdp_copy_accepted);
    RUN(rsdp_bad_checksum);
    RUN(rsdp_search);
    RUN(xsdt_or_rsdt);
    RUN(bad_table_checksum_skipped);
    RUN(table_lengths);
    RUN(madt_entry_length_zero_or_past_end);
    RUN(madt_zero_entries);
    RUN(madt_300_cpus);
    RUN(madt_duplicate_apic_id);
    RUN(madt_entry_kinds);
    RUN(s5_encodings);
    RUN(s5_truncated_or_absent);
    RUN(fadt_short_acpi1);
    RUN(fadt_extended_fields);
    RUN(mcfg_hpet_and_duplicates);
    RUN(garbage_signature_quoted);
    free(mem);
    return CHECK_EXIT_STATUS();
}
