/* Reading the machine's ACPI tables at boot, and saying what was found.
 * It runs while paging is still off, so a physical address below 4 GiB is
 * a plain pointer: the tables often lie in reserved memory that the
 * identity map built later leaves out. */
#include <stdio.h>
#include <string.h>
#include "drivers/acpi_tables.h"
#include "kernel/bootinfo.h"
#include "kernel/log.h"

struct acpi_info acpi;

/* Physical memory before paging: everything below 4 GiB except page 0's
 * first bytes (no table is at address 0; NULL means "unreachable"). */
static const void *phys_direct(uint64_t phys, uint32_t len)
{
    if (phys == 0 || phys + len > (1ull << 32) || phys + len < phys)
        return 0;
    return (const void *)(uintptr_t)phys;
}

static void log_madt(void)
{
    if (!acpi.madt) {
        log_warn("acpi: no usable MADT; one CPU and the 8259 PIC");
        return;
    }
    uint32_t enabled = 0;
    for (uint32_t i = 0; i < acpi.ncpus; i++)
        enabled += acpi.cpus[i].enabled;
    char ioapics[160] = "";
    size_t n = 0;
    for (uint32_t i = 0; i < acpi.nioapics && n < sizeof(ioapics); i++)
        n += snprintf(ioapics + n, sizeof(ioapics) - n, ", I/O APIC %u at 0x%08lx GSI base %lu",
                      acpi.ioapics[i].id, (unsigned long)acpi.ioapics[i].addr,
                      (unsigned long)acpi.ioapics[i].gsi_base);
    log_info("acpi: MADT: %lu CPUs (%lu enabled), local APIC at 0x%08lx%s%s, %lu overrides, "
             "%lu NMI line%s", (unsigned long)acpi.ncpus, (unsigned long)enabled,
             (unsigned long)acpi.lapic_addr, acpi.nioapics ? ioapics : ", no I/O APIC",
             acpi.pcat_compat ? ", 8259 PICs present" : "", (unsigned long)acpi.noverrides,
             (unsigned long)acpi.nnmis, acpi.nnmis == 1 ? "" : "s");
}

static void log_fadt(void)
{
    if (!acpi.fadt) {
        log_warn("acpi: no usable FADT; no ACPI power-off or reset register");
        return;
    }
    char pm1[48] = "no PM1a control block", smi[48] = "", reset[64] = "no reset register", s5[40];
    char h[24];
    if (acpi.pm1a_cnt)
        snprintf(pm1, sizeof(pm1), "PM1a control 0x%lx", (unsigned long)acpi.pm1a_cnt);
    if (acpi.pm1b_cnt)
        snprintf(pm1 + strlen(pm1), sizeof(pm1) - strlen(pm1), ", PM1b 0x%lx",
                 (unsigned long)acpi.pm1b_cnt);
    if (acpi.smi_cmd)
        snprintf(smi, sizeof(smi), ", SMI command 0x%lx (enable 0x%02x)",
                 (unsigned long)acpi.smi_cmd, acpi.acpi_enable);
    if (acpi.reset_supported) {
        bool io = acpi.reset_reg.space == ACPI_SPACE_IO;
        if (io)
            snprintf(h, sizeof(h), "0x%lx", (unsigned long)acpi.reset_reg.addr);
        else
            acpi_hex64(acpi.reset_reg.addr, h);
        snprintf(reset, sizeof(reset), "reset register %s %s = 0x%02x", io ? "I/O" : "memory", h,
                 acpi.reset_value);
    }
    if (acpi.s5)
        snprintf(s5, sizeof(s5), "S5 sleep type %u/%u", acpi.slp_typa, acpi.slp_typb);
    else
        snprintf(s5, sizeof(s5), "no _S5_ in the DSDT");
    log_info("acpi: FADT: %s%s, %s, %s", pm1, smi, reset, s5);
}

static int parse_from(const struct boot_info *bi, char *source, size_t size)
{
    if (bi->rsdp_kind != BOOT_RSDP_NONE) {
        snprintf(source, size, "from the multiboot2 %s RSDP tag",
                 bi->rsdp_kind == BOOT_RSDP_NEW ? "new" : "old");
        if (acpi_parse(phys_direct, bi->rsdp, bi->rsdp_len, 0, &acpi) == 0)
            return 0;
        /* a bad copy: say why, then look in memory as a loader without
         * the tags would make us do */
        diag_log(&acpi.problems, LOG_WARN, "acpi: (the loader's copy) ");
    }
    uint64_t addr = acpi_find_rsdp(phys_direct);
    if (!addr) {
        memset(&acpi, 0, sizeof(acpi));
        return -1;
    }
    char h[24];
    snprintf(source, size, "at %s", acpi_hex64(addr, h));
    return acpi_parse(phys_direct, 0, 0, addr, &acpi);
}

void acpi_init(const struct boot_info *bi)
{
    char source[48], h[24];
    if (parse_from(bi, source, sizeof(source)) != 0) {
        diag_log(&acpi.problems, LOG_WARN, "acpi: ");
        log_warn("acpi: no RSDP found; one CPU and the 8259 PIC");
        return;
    }
    if (acpi.root_addr)
        log_info("acpi: RSDP rev %u (%s) %s, %s at %s with %lu tables: %s", acpi.revision,
                 acpi.oem, source, acpi.xsdt ? "XSDT" : "RSDT", acpi_hex64(acpi.root_addr, h),
                 (unsigned long)acpi.ntables, acpi.ntables ? acpi.tables : "none");
    else
        log_warn("acpi: RSDP rev %u (%s) %s, but no usable RSDT or XSDT", acpi.revision,
                 acpi.oem, source);
    diag_log(&acpi.problems, LOG_WARN, "acpi: ");
    log_madt();
    log_fadt();
    if (acpi.mcfg)
        log_info("acpi: MCFG: PCIe ECAM at %s, segment %u, buses %u-%u", acpi_hex64(acpi.ecam_base, h),
                 acpi.ecam_segment, acpi.ecam_bus_start, acpi.ecam_bus_end);
    if (acpi.hpet)
        log_info("acpi: HPET at %s", acpi_hex64(acpi.hpet_addr, h));
}
