/* ACPI tables: finding the RSDP, walking the RSDT or XSDT, and checking
 * each table before anyone reads it. Firmware tables are untrusted input:
 * a table whose signature, length or checksum is wrong, or that lies
 * where we cannot read it, is named in out->problems and skipped, so the
 * machine falls back to what works without it. The MADT and FADT have
 * their own files; MCFG and HPET are small enough to live here. */
#include <stdio.h>
#include <string.h>
#include "drivers/acpi_tables.h"

#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36
#define EBDA_SEGMENT_PTR 0x40E
#define BIOS_AREA_START 0xE0000
#define BIOS_AREA_END 0x100000
#define MAX_ROOT_ENTRIES 256            /* more than any real machine has */

const char *acpi_hex64(uint64_t v, char *buf)
{
    if (v >> 32)
        snprintf(buf, 24, "0x%lx:%08lx", (unsigned long)(v >> 32), (unsigned long)(uint32_t)v);
    else
        snprintf(buf, 24, "0x%08lx", (unsigned long)v);
    return buf;
}

static uint8_t sum_bytes(const uint8_t *p, uint32_t n)
{
    uint8_t s = 0;
    while (n--)
        s += *p++;
    return s;
}

/* A signature as text for messages; bytes that are not printable become
 * '?', so a corrupt table cannot put control characters into the log. */
static void sig_name(const uint8_t *p, char name[5])
{
    for (int i = 0; i < 4; i++)
        name[i] = (p[i] >= 0x20 && p[i] < 0x7F) ? (char)p[i] : '?';
    name[4] = 0;
}

/* ---- the RSDP ---- */

/* 0 if p holds an RSDP of which avail bytes may be read; *v2_ok tells
 * whether its ACPI 2.0 part (XSDT address) is valid too. */
static int rsdp_check(const uint8_t *p, uint32_t avail, bool *v2_ok)
{
    *v2_ok = false;
    if (avail < RSDP_V1_LEN || memcmp(p, "RSD PTR ", 8) != 0 || sum_bytes(p, RSDP_V1_LEN) != 0)
        return -1;
    if (p[15] >= 2 && avail >= RSDP_V2_LEN) {
        uint32_t len = acpi_rd32(p + 20);
        *v2_ok = len >= RSDP_V2_LEN && len <= avail && sum_bytes(p, len) == 0;
    }
    return 0;
}

/* The bytes of an in-memory RSDP candidate that may be read: the 2.0 form
 * where its length field says so and the memory is there. */
static uint32_t rsdp_extent(acpi_phys_fn phys, uint64_t addr)
{
    const uint8_t *p = phys(addr, RSDP_V1_LEN);
    if (!p || p[15] < 2 || !phys(addr, RSDP_V2_LEN))
        return RSDP_V1_LEN;
    uint32_t len = acpi_rd32(phys(addr, RSDP_V2_LEN) + 20);
    return (len >= RSDP_V2_LEN && len <= 4096 && phys(addr, len)) ? len : RSDP_V1_LEN;
}

static uint64_t scan_rsdp(acpi_phys_fn phys, uint64_t start, uint64_t end)
{
    for (uint64_t a = start; a + RSDP_V1_LEN <= end; a += 16) {
        const uint8_t *p = phys(a, RSDP_V1_LEN);
        if (!p || memcmp(p, "RSD PTR ", 8) != 0)
            continue;
        uint32_t n = rsdp_extent(phys, a);
        bool v2;
        /* a 2.0 RSDP must pass both checksums to be taken */
        if (rsdp_check(phys(a, n), n, &v2) == 0 && (p[15] < 2 || v2))
            return a;
    }
    return 0;
}

uint64_t acpi_find_rsdp(acpi_phys_fn phys)
{
    const uint8_t *seg = phys(EBDA_SEGMENT_PTR, 2);
    if (seg) {
        /* the EBDA lies below the video memory; anything else is garbage */
        uint64_t ebda = (uint64_t)acpi_rd16(seg) << 4;
        if (ebda >= 0x500 && ebda + 1024 <= 0xA0000) {
            uint64_t a = scan_rsdp(phys, ebda, ebda + 1024);
            if (a)
                return a;
        }
    }
    return scan_rsdp(phys, BIOS_AREA_START, BIOS_AREA_END);
}

/* ---- tables ---- */

const uint8_t *acpi_get_table(acpi_phys_fn phys, uint64_t addr, const char *want,
                              struct acpi_info *out)
{
    char a[24], name[5];
    const uint8_t *h = addr ? phys(addr, ACPI_HEADER_LEN) : 0;
    if (!h) {
        acpi_problem(out, "%s table at %s cannot be reached; ignored", want ? want : "a",
                     acpi_hex64(addr, a));
        return 0;
    }
    sig_name(h, name);
    if (want && memcmp(h, want, 4) != 0) {
        acpi_problem(out, "%s: table at %s has signature '%s'; ignored", want,
                     acpi_hex64(addr, a), name);
        return 0;
    }
    uint32_t len = acpi_rd32(h + 4);
    if (len < ACPI_HEADER_LEN || len > ACPI_MAX_TABLE_LEN) {
        acpi_problem(out, "%s: length %lu is impossible; table ignored", name, (unsigned long)len);
        return 0;
    }
    const uint8_t *t = phys(addr, len);
    if (!t) {
        acpi_problem(out, "%s: %lu bytes at %s run past readable memory; table ignored", name,
                     (unsigned long)len, acpi_hex64(addr, a));
        return 0;
    }
    uint8_t sum = sum_bytes(t, len);
    if (sum != 0) {
        acpi_problem(out, "%s: checksum 0x%02x wrong (bytes sum to 0x%02x); table ignored",
                     name, t[9], sum);
        return 0;
    }
    return t;
}

static void parse_mcfg(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
    /* header, 8 reserved bytes, then 16-byte allocations; the first one
     * (segment 0 on every PC) is the one we use */
    if (len < ACPI_HEADER_LEN + 8 + 16) {
        acpi_problem(out, "MCFG: %lu bytes hold no allocation; table ignored", (unsigned long)len);
        return;
    }
    const uint8_t *e = t + ACPI_HEADER_LEN + 8;
    uint64_t base = acpi_rd64(e);
    if (base == 0 || (base & 0xFFFFF) || e[11] < e[10]) {
        char a[24];
        acpi_problem(out, "MCFG: allocation at %s for buses %u-%u is invalid; table ignored",
                     acpi_hex64(base, a), e[10], e[11]);
        return;
    }
    out->mcfg = true;
    out->ecam_base = base;
    out->ecam_segment = acpi_rd16(e + 8);
    out->ecam_bus_start = e[10];
    out->ecam_bus_end = e[11];
}

static void parse_hpet(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
    /* event timer block id at 36, then the base address as a GAS at 40 */
    if (len < 56 || t[40] != ACPI_SPACE_MEM || acpi_rd64(t + 44) == 0) {
        acpi_problem(out, "HPET: no usable base address; table ignored");
        return;
    }
    out->hpet = true;
    out->hpet_addr = acpi_rd64(t + 44);
}

static void note_table(struct acpi_info *out, const uint8_t *t)
{
    size_t n = strlen(out->tables);
    char name[5];
    sig_name(t, name);
    if (n + 6 <= sizeof(out->tables))
        snprintf(out->tables + n, sizeof(out->tables) - n, "%s%s", n ? " " : "", name);
    out->ntables++;
}

/* Hands a checked table to its parser. seen: bits of the parsed kinds met
 * so far; the first copy of each counts (also when its parser rejected
 * it), since a second one is as likely to be the stale one. */
static void parse_table(acpi_phys_fn phys, const uint8_t *t, struct acpi_info *out, uint32_t *seen)
{
    static const char *const sigs[] = { "APIC", "FACP", "MCFG", "HPET" };
    uint32_t len = acpi_rd32(t + 4);
    for (uint32_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        if (memcmp(t, sigs[i], 4) != 0)
            continue;
        if (*seen & (1u << i)) {
            acpi_problem(out, "%s: a second table; ignored", sigs[i]);
            return;
        }
        *seen |= 1u << i;
        switch (i) {
        case 0: acpi_parse_madt(t, len, out); break;
        case 1: acpi_parse_fadt(phys, t, len, out); break;
        case 2: parse_mcfg(t, len, out); break;
        default: parse_hpet(t, len, out); break;
        }
        return;
    }
}

/* Walks the RSDT (32-bit entries) or XSDT (64-bit); -1 if the root table
 * itself is unusable. */
static int walk_root(acpi_phys_fn phys, uint64_t addr, bool xsdt, struct acpi_info *out)
{
    const uint8_t *root = acpi_get_table(phys, addr, xsdt ? "XSDT" : "RSDT", out);
    if (!root)
        return -1;
    out->xsdt = xsdt;
    out->root_addr = addr;
    uint32_t esize = xsdt ? 8 : 4, seen = 0;
    uint32_t n = (acpi_rd32(root + 4) - ACPI_HEADER_LEN) / esize;
    if (n > MAX_ROOT_ENTRIES) {
        acpi_problem(out, "%s: %lu entries, only the first %u read", xsdt ? "XSDT" : "RSDT",
                     (unsigned long)n, MAX_ROOT_ENTRIES);
        n = MAX_ROOT_ENTRIES;
    }
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = root + ACPI_HEADER_LEN + i * esize;
        const uint8_t *t = acpi_get_table(phys, xsdt ? acpi_rd64(e) : acpi_rd32(e), 0, out);
        if (!t)
            continue;
        note_table(out, t);
        parse_table(phys, t, out, &seen);
    }
    return 0;
}

int acpi_parse(acpi_phys_fn phys, const void *rsdp, uint32_t rsdp_len, uint64_t rsdp_phys,
               struct acpi_info *out)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *p = rsdp;
    if (!p) {
        rsdp_len = rsdp_phys ? rsdp_extent(phys, rsdp_phys) : 0;
        p = rsdp_phys ? phys(rsdp_phys, rsdp_len) : 0;
        if (!p) {
            acpi_problem(out, "no RSDP");
            return -1;
        }
        out->rsdp_addr = rsdp_phys;
    }
    bool v2;
    if (rsdp_check(p, rsdp_len, &v2) != 0) {
        acpi_problem(out, "RSDP: signature or checksum wrong; ACPI ignored");
        return -1;
    }
    out->present = true;
    out->revision = p[15];
    for (int i = 0; i < 6; i++)
        out->oem[i] = (p[9 + i] >= 0x20 && p[9 + i] < 0x7F) ? (char)p[9 + i] : '?';
    uint32_t rsdt = acpi_rd32(p + 16);
    uint64_t xsdt = v2 ? acpi_rd64(p + 24) : 0;
    if (p[15] >= 2 && !v2)
        acpi_problem(out, "RSDP: revision %u but its extended checksum or length is wrong; "
                     "using the RSDT", p[15]);
    /* the XSDT when there is one, the RSDT when there is not or it is bad */
    if (xsdt && walk_root(phys, xsdt, true, out) == 0)
        return 0;
    if (rsdt && walk_root(phys, rsdt, false, out) == 0)
        return 0;
    if (!xsdt && !rsdt)
        acpi_problem(out, "RSDP names no RSDT or XSDT");
    return 0;
}
