/* The FADT ("FACP") and the one thing we take from the DSDT: how to turn
 * the machine off (PM1 control blocks, SMI command, the \_S5 sleep type)
 * and how to reset it (the reset register). The FADT grew with each ACPI
 * version, so a field is read only when the table's length covers it:
 * ACPI 1.0's table ends at byte 116, before the reset register. */
#include <string.h>
#include "drivers/acpi_tables.h"

#define FADT_DSDT 40
#define FADT_SMI_CMD 48
#define FADT_ACPI_ENABLE 52
#define FADT_PM1A_CNT 64
#define FADT_PM1B_CNT 68
#define FADT_FLAGS 112
#define FADT_V1_LEN 116
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_X_DSDT 140
#define FADT_X_PM1A_CNT 172
#define FADT_X_PM1B_CNT 184
#define FLAG_RESET_REG_SUP (1u << 10)

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0A
#define AML_PACKAGE 0x12
#define AML_ROOT '\\'

static struct acpi_gas read_gas(const uint8_t *p)
{
    return (struct acpi_gas){ p[0], p[1], p[2], p[3], acpi_rd64(p + 4) };
}

/* A PM1 control block's port: the 64-bit GAS form when the table has one
 * (it supersedes the 32-bit field), else the 32-bit field; 0 if neither
 * is an I/O port we can reach. */
static uint32_t pm1_port(const uint8_t *t, uint32_t len, uint32_t legacy_off, uint32_t x_off,
                         const char *name, struct acpi_info *out)
{
    uint32_t port = acpi_rd32(t + legacy_off);
    if (len >= x_off + 12) {
        struct acpi_gas g = read_gas(t + x_off);
        if (g.addr && g.space == ACPI_SPACE_IO)
            port = g.addr <= 0xFFFF ? (uint32_t)g.addr : 0x10000;
        else if (g.addr)
            acpi_problem(out, "FACP: %s control block in address space %u, not I/O; %s", name,
                         g.space, port ? "using the 32-bit field" : "none");
    }
    if (port > 0xFFFF) {
        acpi_problem(out, "FACP: %s control port 0x%lx is not an I/O port; ignored", name,
                     (unsigned long)port);
        return 0;
    }
    return port;
}

static void read_reset(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
    if (len < FADT_RESET_VALUE + 1 || !(acpi_rd32(t + FADT_FLAGS) & FLAG_RESET_REG_SUP))
        return;
    struct acpi_gas g = read_gas(t + FADT_RESET_REG);
    bool usable = g.addr != 0 &&
        ((g.space == ACPI_SPACE_IO && g.addr <= 0xFFFF) ||
         (g.space == ACPI_SPACE_MEM && !(g.addr >> 32)));
    if (!usable) {
        char h[24];
        acpi_problem(out, "FACP: reset register %s in address space %u is not usable; ignored",
                     acpi_hex64(g.addr, h), g.space);
        return;
    }
    out->reset_supported = true;
    out->reset_reg = g;
    out->reset_value = t[FADT_RESET_VALUE];
}

void acpi_parse_fadt(acpi_phys_fn phys, const uint8_t *t, uint32_t len, struct acpi_info *out)
{
    if (len < FADT_V1_LEN) {
        acpi_problem(out, "FACP: %lu bytes, shorter than ACPI 1.0's %u; table ignored",
                     (unsigned long)len, FADT_V1_LEN);
        return;
    }
    out->fadt = true;
    out->pm1a_cnt = pm1_port(t, len, FADT_PM1A_CNT, FADT_X_PM1A_CNT, "PM1a", out);
    out->pm1b_cnt = pm1_port(t, len, FADT_PM1B_CNT, FADT_X_PM1B_CNT, "PM1b", out);
    out->smi_cmd = acpi_rd32(t + FADT_SMI_CMD);
    if (out->smi_cmd > 0xFFFF) {
        acpi_problem(out, "FACP: SMI command port 0x%lx is not an I/O port; ignored",
                     (unsigned long)out->smi_cmd);
        out->smi_cmd = 0;
    }
    out->acpi_enable = t[FADT_ACPI_ENABLE];
    read_reset(t, len, out);
    uint64_t x_dsdt = len >= FADT_X_DSDT + 8 ? acpi_rd64(t + FADT_X_DSDT) : 0;
    out->dsdt_addr = x_dsdt ? x_dsdt : acpi_rd32(t + FADT_DSDT);
    if (!out->dsdt_addr)
        return;
    const uint8_t *dsdt = acpi_get_table(phys, out->dsdt_addr, "DSDT", out);
    if (dsdt)
        acpi_find_s5(dsdt, acpi_rd32(dsdt + 4), out);
}

/* One integer of the package: ZeroOp, OneOp or BytePrefix nn. Advances
 * *p; -1 if the bytes before end are something else. */
static int aml_small_int(const uint8_t **p, const uint8_t *end)
{
    if (*p >= end)
        return -1;
    uint8_t op = *(*p)++;
    if (op == AML_ZERO || op == AML_ONE)
        return op;
    if (op == AML_BYTE && *p < end)
        return *(*p)++;
    return -1;
}

/* Decodes the package after "_S5_" at s (s + 4 is the PackageOp); 0 on
 * success. The package may not extend past end. */
static int read_s5_package(const uint8_t *s, const uint8_t *end, struct acpi_info *out)
{
    const uint8_t *p = s + 4;
    if (end - p < 3 || *p++ != AML_PACKAGE)
        return -1;
    /* PkgLength: bits 7-6 of the lead byte count the bytes that follow;
     * with followers, the lead keeps 4 bits of the length */
    const uint8_t *pkg = p;
    uint32_t follow = *p >> 6, plen = follow ? (*p & 0x0F) : (*p & 0x3F);
    p++;
    if ((uint32_t)(end - p) < follow)
        return -1;
    for (uint32_t i = 0; i < follow; i++)
        plen |= (uint32_t)*p++ << (4 + 8 * i);
    if (plen > (uint32_t)(end - pkg))
        return -1;
    const uint8_t *pend = pkg + plen;
    if (p >= pend)
        return -1;
    uint8_t count = *p++;
    int a = count >= 1 ? aml_small_int(&p, pend) : -1;
    int b = count >= 2 ? aml_small_int(&p, pend) : 0;
    if (a < 0 || b < 0 || a > 7 || b > 7)
        return -1;
    out->s5 = true;
    out->slp_typa = (uint8_t)a;
    out->slp_typb = (uint8_t)b;
    return 0;
}

void acpi_find_s5(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
    const uint8_t *end = t + len;
    for (const uint8_t *s = t + ACPI_HEADER_LEN; s + 4 <= end; s++) {
        if (memcmp(s, "_S5_", 4) != 0)
            continue;
        /* a name declaration, "Name (_S5_, ...)" or "Name (\_S5_, ...)";
         * any other use of the name (a reference, a method) is not it */
        const uint8_t *n = s - 1;
        if (*n == AML_ROOT)
            n--;
        if (n < t + ACPI_HEADER_LEN || *n != AML_NAME)
            continue;
        if (read_s5_package(s, end, out) == 0)
            return;
        acpi_problem(out, "DSDT: _S5_ at offset %lu is not a package of small integers; "
                     "no ACPI power-off", (unsigned long)(s - t));
        return;
    }
}
