/* Starting the application processors: INIT, then two start-up IPIs to a
 * page below 1 MiB holding ap_start.S, one CPU at a time. Each CPU gets its
 * own switcher pages, page directory, stack and double-fault task first
 * (switcher_prepare_cpu); once up, it joins the scheduler (sched_loop). A
 * CPU that does not answer is put back to sleep with INIT and left out. */
#include <stdlib.h>
#include <string.h>
#include "arch/x86/smp.h"
#include "arch/x86/ap_start.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "arch/x86/switcher.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/lguest/guest.h"
#include "kernel/lock.h"
#include "kernel/log.h"
#include "kernel/percpu.h"

#define AP_STACK 16384u

static volatile uint32_t started;       /* the index of the last CPU that ran ap_main */

static void delay_us(uint32_t us)
{
    uint64_t end = clock_ns() + (uint64_t)us * 1000;
    while (clock_ns() < end)
        pause();
}

static void ap_main(uint32_t index) __attribute__((noreturn, used));
static void ap_main(uint32_t index)
{
    switcher_load_cpu();
    gdt_reload_segments();
    lapic_init_ap();
    started = index;
    big_lock();         /* the boot CPU lets go once it schedules */
    sched_loop();
}

static bool wait_started(uint32_t index, uint32_t us)
{
    uint64_t end = clock_ns() + (uint64_t)us * 1000;
    while (clock_ns() < end) {
        if (started == index)
            return true;
        pause();
    }
    return started == index;
}

static bool boot_one(uint8_t *page, struct percpu *c)
{
    void *stack = malloc(AP_STACK);
    if (!stack || switcher_prepare_cpu(c)) {
        log_err("smp: out of memory for CPU %lu", (unsigned long)c->index);
        free(stack);
        return false;
    }
    *(uint32_t *)(page + AP_DATA_CR0) = read_cr0();
    *(uint32_t *)(page + AP_DATA_CR3) = c->cr3;
    *(uint32_t *)(page + AP_DATA_CR4) = read_cr4();
    *(uint32_t *)(page + AP_DATA_EFER) = paging_xd ? (uint32_t)rdmsr(MSR_EFER) : 0;
    *(uint32_t *)(page + AP_DATA_ESP) = (uint32_t)stack + AP_STACK;
    *(uint32_t *)(page + AP_DATA_ENTRY) = (uint32_t)ap_main;
    *(uint32_t *)(page + AP_DATA_INDEX) = c->index;
    barrier();
    uint32_t vec = (uint32_t)page >> 12;
    lapic_send_init(c->apic_id);
    delay_us(10000);
    for (int i = 0; i < 2 && started != c->index; i++) {
        lapic_send_sipi(c->apic_id, vec);
        wait_started(c->index, i ? 200000 : 1000);
    }
    if (started == c->index)
        return true;
    lapic_send_init(c->apic_id);    /* back to waiting; it must not run this page later */
    return false;
}

uint32_t smp_start(const uint8_t *apic_ids, uint32_t n, uint32_t limit, uint32_t page_phys)
{
    cpus[0].apic_id = lapic_id();
    uint8_t *page = (uint8_t *)page_phys;
    uint32_t size = (uint32_t)(ap_start_end - ap_start_begin);
    memcpy(page, ap_start_begin, size);
    for (uint32_t i = 0; i < n && (!limit || ncpus < limit) && ncpus < MAX_CPUS; i++) {
        if (apic_ids[i] == cpus[0].apic_id)
            continue;
        struct percpu *c = &cpus[ncpus];
        c->index = ncpus;
        c->apic_id = apic_ids[i];
        if (!boot_one(page, c)) {
            log_warn("smp: CPU with APIC id %lu did not start; left out", (unsigned long)apic_ids[i]);
            continue;
        }
        ncpus++;
        log_info("smp: CPU %lu (APIC id %lu) started", (unsigned long)c->index,
                 (unsigned long)c->apic_id);
    }
    return ncpus;
}

void smp_halt_others(void)
{
    if (ncpus > 1)
        lapic_send_ipi_others(VEC_HALT);
}
