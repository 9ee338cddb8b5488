/* Turning the machine off and resetting it, with what the FADT said.
 * Power-off is ACPI's S5: the sleep type from \_S5 and SLP_EN written to
 * the PM1 control blocks, after switching the chipset into ACPI mode if
 * the firmware left it in legacy mode. Reset tries the FADT's reset
 * register, then the two ways every PC has had: the keyboard controller's
 * reset line and the chipset's reset control port 0xCF9. Each function
 * returns only if nothing worked. */
#include "drivers/acpi.h"
#include "arch/x86/paging.h"
#include "arch/x86/switcher.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/log.h"

#define PM1_SCI_EN 0x0001u
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN (1u << 13)
#define KBC_STATUS 0x64
#define KBC_INPUT_FULL 0x02
#define KBC_PULSE_RESET 0xFE
#define RESET_CONTROL 0xCF9
#define RST_SYS_RST 0x02                /* with RST_CPU below: a hard reset */
#define RST_CPU 0x04

/* Waits up to ms milliseconds, or until done() says so; the TSC clock
 * runs with interrupts off too. */
static bool wait_ms(uint32_t ms, bool (*done)(void))
{
    uint64_t end = clock_ns() + (uint64_t)ms * 1000000;
    while (clock_ns() < end) {
        if (done && done())
            return true;
        pause();
    }
    return done && done();
}

static bool sci_enabled(void) { return inw((uint16_t)acpi.pm1a_cnt) & PM1_SCI_EN; }
static bool kbc_ready(void) { return !(inb(KBC_STATUS) & KBC_INPUT_FULL); }

static void write_sleep(uint32_t port, uint8_t typ, bool enable)
{
    if (!port)
        return;
    uint16_t v = inw((uint16_t)port) & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN);
    v |= (uint16_t)(typ << PM1_SLP_TYP_SHIFT);
    outw((uint16_t)port, enable ? (uint16_t)(v | PM1_SLP_EN) : v);
}

void acpi_poweroff(void)
{
    if (!acpi.fadt || !acpi.pm1a_cnt || !acpi.s5) {
        log_warn("acpi: power-off needs the FADT's PM1a control block and the DSDT's _S5_ (%s)",
                 !acpi.fadt ? "no FADT" : !acpi.pm1a_cnt ? "no PM1a control block" : "no _S5_");
        return;
    }
    if (!sci_enabled() && acpi.smi_cmd && acpi.acpi_enable) {
        /* the firmware owns the power hardware until asked to hand it over */
        outb((uint16_t)acpi.smi_cmd, acpi.acpi_enable);
        if (!wait_ms(1000, sci_enabled))
            log_warn("acpi: ACPI mode not entered after 1 s (SCI_EN clear); trying anyway");
    }
    uint32_t flags = read_eflags();
    cli();
    /* the sleep type first, then the same with SLP_EN, as chipsets that
     * latch SLP_TYP on the enable bit expect */
    write_sleep(acpi.pm1a_cnt, acpi.slp_typa, false);
    write_sleep(acpi.pm1b_cnt, acpi.slp_typb, false);
    write_sleep(acpi.pm1a_cnt, acpi.slp_typa, true);
    write_sleep(acpi.pm1b_cnt, acpi.slp_typb, true);
    wait_ms(500, 0);
    if (flags & EFLAGS_IF)
        sti();
}

static void write_reset_register(void)
{
    const struct acpi_gas *r = &acpi.reset_reg;
    if (r->space == ACPI_SPACE_IO) {
        outb((uint16_t)r->addr, acpi.reset_value);
    } else {
        /* with paging on, device memory is reachable only once mapped; the
         * switcher's slot cannot be mapped (paging_map_mmio would panic) */
        uint32_t a = (uint32_t)r->addr;
        if (a >= SWITCHER_VA)
            return;
        if (read_cr0() & CR0_PG)
            paging_map_mmio(a, 1);
        *(volatile uint8_t *)(uintptr_t)a = acpi.reset_value;
    }
}

void acpi_reset(void)
{
    uint32_t flags = read_eflags();
    cli();
    if (acpi.reset_supported) {
        write_reset_register();
        wait_ms(500, 0);
        log_warn("acpi: the reset register did not reset the machine; trying the keyboard controller");
    }
    wait_ms(100, kbc_ready);
    outb(KBC_STATUS, KBC_PULSE_RESET);
    wait_ms(500, 0);
    log_warn("acpi: the keyboard controller did not reset the machine; trying port 0xcf9");
    outb(RESET_CONTROL, RST_SYS_RST);
    wait_ms(1, 0);
    outb(RESET_CONTROL, RST_SYS_RST | RST_CPU);
    wait_ms(500, 0);
    if (flags & EFLAGS_IF)
        sti();
}
