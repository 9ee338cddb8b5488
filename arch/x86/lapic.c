/* The local APIC: its one-shot timer drives all of lgvisor's timer events. */
#include "arch/x86/lapic.h"
#include <stdbool.h>
#include "arch/x86/cpu.h"
#include "arch/x86/trap.h"
#include "arch/x86/x86.h"
#include "arch/x86/paging.h"
#include "kernel/clock.h"

#define MSR_APIC_BASE 0x1B
#define APIC_BASE_ENABLE (1u << 11)
#define REG_ID 0x020
#define REG_TPR 0x080
#define REG_EOI 0x0B0
#define REG_SVR 0x0F0
#define REG_ESR 0x280
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define REG_LVT_TIMER 0x320
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define REG_LVT_ERROR 0x370
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CUR 0x390
#define REG_TIMER_DIV 0x3E0
#define LVT_MASKED (1u << 16)

static volatile uint32_t *regs;
static uint32_t timer_khz;

static uint32_t rd(uint32_t reg) { return regs[reg / 4]; }
static void wr(uint32_t reg, uint32_t v) { regs[reg / 4] = v; }

static void spurious(uint32_t vector) { (void)vector; irq_stats.spurious_apic++; }
static void apic_error(uint32_t vector) { (void)vector; wr(REG_ESR, 0); lapic_eoi(); }

/* The same registers on every CPU: each one's own APIC answers there. */
static void setup(bool boot_cpu)
{
    wr(REG_SVR, 0x100 | VEC_APIC_SPURIOUS);     /* software enable */
    wr(REG_TPR, 0);
    /* ExtINT (the 8259s) reaches the boot CPU only */
    wr(REG_LVT_LINT0, boot_cpu ? 0x700 : LVT_MASKED | 0x700);
    wr(REG_LVT_LINT1, 0x400);                   /* NMI */
    wr(REG_LVT_ERROR, VEC_APIC_ERROR);
    wr(REG_ESR, 0);
    wr(REG_TIMER_DIV, 0x3);                     /* divide by 16 */
    wr(REG_LVT_TIMER, LVT_MASKED | VEC_APIC_TIMER);
}

int lapic_init(void)
{
    if (!cpu.apic || !cpu.msr)
        return -1;
    uint64_t base = rdmsr(MSR_APIC_BASE);
    uint32_t phys = (uint32_t)base & 0xFFFFF000u;
    wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    paging_map_mmio(phys, 4096);
    regs = (volatile uint32_t *)phys;
    setup(true);
    irq_set_handler(VEC_APIC_SPURIOUS, spurious);
    irq_set_handler(VEC_APIC_ERROR, apic_error);
    return 0;
}

void lapic_init_ap(void)
{
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE);
    setup(false);
}

#define ICR_PENDING (1u << 12)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_LEVEL_TRIGGER (1u << 15)

/* Waits (bounded) for the previous IPI to leave; 0 if it did. */
static int icr_idle(void)
{
    for (uint32_t i = 0; i < 1000000; i++) {
        if (!(rd(REG_ICR_LO) & ICR_PENDING))
            return 0;
        pause();
    }
    return -1;
}

static int send(uint32_t apic_id, uint32_t lo)
{
    if (!regs || icr_idle())
        return -1;
    wr(REG_ICR_HI, apic_id << 24);
    wr(REG_ICR_LO, lo);
    return 0;
}

int lapic_send_ipi(uint32_t apic_id, uint32_t vector)
{
    return send(apic_id, vector & 0xFF);
}

int lapic_send_ipi_others(uint32_t vector)
{
    return send(0, (3u << 18) | (vector & 0xFF));     /* all excluding self */
}

int lapic_send_init(uint32_t apic_id)
{
    if (send(apic_id, 0x500 | ICR_LEVEL_ASSERT | ICR_LEVEL_TRIGGER))
        return -1;
    icr_idle();
    return send(apic_id, 0x500 | ICR_LEVEL_TRIGGER);  /* de-assert, for old APICs */
}

int lapic_send_sipi(uint32_t apic_id, uint32_t page)
{
    return send(apic_id, 0x600 | (page & 0xFF));
}

int lapic_present(void) { return regs != 0; }
uint32_t lapic_id(void) { return regs ? rd(REG_ID) >> 24 : 0; }
void lapic_eoi(void) { wr(REG_EOI, 0); }

/* With the I/O APIC in charge the 8259s are masked too; masking LINT0 as
 * well means not even a spurious 8259 request reaches the CPU. */
void lapic_mask_lint0(void)
{
    if (regs)
        wr(REG_LVT_LINT0, LVT_MASKED | 0x700);
}

uint32_t lapic_timer_calibrate(void)
{
    uint64_t wait = ns_to_tsc(5000000);         /* 5 ms of TSC */
    wr(REG_LVT_TIMER, LVT_MASKED | VEC_APIC_TIMER);
    wr(REG_TIMER_INIT, 0xFFFFFFFFu);
    uint64_t t0 = rdtsc(), t1;
    while ((t1 = rdtsc()) - t0 < wait)
        pause();
    uint32_t elapsed = 0xFFFFFFFFu - rd(REG_TIMER_CUR);
    wr(REG_TIMER_INIT, 0);
    uint64_t ns = tsc_to_ns(t1 - t0);
    timer_khz = (uint32_t)((uint64_t)elapsed * 1000000ull / (ns ? ns : 1));
    return timer_khz;
}

void lapic_timer_oneshot(uint64_t ns)
{
    if (!ns) {
        wr(REG_TIMER_INIT, 0);
        return;
    }
    uint64_t ticks = ns * timer_khz / 1000000ull;
    if (ticks < 1) ticks = 1;
    if (ticks > 0xFFFFFFFFull) ticks = 0xFFFFFFFFull;
    wr(REG_LVT_TIMER, VEC_APIC_TIMER);          /* one-shot, unmasked */
    wr(REG_TIMER_INIT, (uint32_t)ticks);
}
