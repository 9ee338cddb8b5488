/* The boot sequence: from the loader's hand-over to "ready". The order
 * matters: descriptor tables first (so any fault is reported), then the
 * boot information (copied before anything can overwrite it), the console,
 * memory, paging, time, devices. */
#include <stdio.h>
#include <string.h>
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "arch/x86/pit.h"
#include "arch/x86/rtc.h"
#include "arch/x86/switcher.h"
#include "arch/x86/trap.h"
#include "arch/x86/x86.h"
#include "arch/x86/smp.h"
#include "drivers/acpi.h"
#include "drivers/ahci.h"
#include "drivers/nvme.h"
#include "drivers/e1000.h"
#include "drivers/disk_part.h"
#include "drivers/pci.h"
#include "kernel/bench.h"
#include "kernel/bootinfo.h"
#include "kernel/clock.h"
#include "kernel/console.h"
#include "kernel/frames.h"
#include "kernel/lguest/guest.h"
#include "kernel/lguest/guest_config.h"
#include "kernel/image.h"
#include "kernel/log.h"
#include "kernel/crash_record.h"
#include "kernel/entropy.h"
#include "drivers/watchdog.h"
#include "kernel/memory.h"
#include "kernel/gdbstub.h"
#include "kernel/monitor.h"
#include "kernel/options.h"
#include "kernel/lock.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "kernel/selftest.h"
#include "kernel/timer.h"
#include "kernel/version.h"

struct boot_info boot_info;

/* Runs before the console exists, so every log line has a real timestamp;
 * returns TSC kHz or 0. The largest of three 10 ms samples is the one least
 * shortened by a delayed read of the PIT. */
static uint32_t calibrate_tsc(void)
{
    if (!cpu.tsc)
        return 0;
    /* A delay inside a measurement (an SMI, or the host descheduling a
     * virtual machine) only ever adds TSC cycles to the PIT's interval,
     * so the smallest of the samples is the truest. */
    uint64_t best = 0;
    for (int i = 0; i < 3; i++) {
        uint64_t per_ms = pit_measure_tsc(10);
        if (per_ms && (!best || per_ms < best))
            best = per_ms;
    }
    if (best)
        clock_init((uint32_t)best);
    return (uint32_t)best;
}

static void log_modules(const struct boot_info *bi)
{
    log_info("modules: %lu", (unsigned long)bi->nmodules);
    for (uint32_t i = 0; i < bi->nmodules; i++) {
        const struct boot_module *m = &bi->modules[i];
        log_info("module %lu: '%s' at 0x%08lx, %lu bytes", (unsigned long)i, m->string,
                 (unsigned long)m->start, (unsigned long)(m->end - m->start));
    }
}

static struct guest_config configs[MAX_GUESTS];

static void guest_config_problem(const char *msg)
{
    log_err("guests: %s", msg);
}

static uint32_t configure_guests(const struct boot_info *bi)
{
    /* the console is up: every problem is logged as it is found, none
     * kept back, and each is an error, since it costs a guest or a module */
    static struct diag d = { .sink = guest_config_problem };
    uint32_t n = guest_configs_parse(bi->modules, bi->nmodules, configs, &d);
    for (uint32_t i = 0; i < n; i++) {
        const struct guest_config *g = &configs[i];
        char parts[96] = "";
        if (g->initrd >= 0)
            snprintf(parts, sizeof(parts), ", initrd module %d", g->initrd);
        if (g->disk >= 0)
            snprintf(parts + strlen(parts), sizeof(parts) - strlen(parts), ", disk module %d", g->disk);
        if (g->sata[0])
            snprintf(parts + strlen(parts), sizeof(parts) - strlen(parts), ", disk=%s", g->sata);
        log_info("guest %s: kernel module %d%s, %lu MiB, command line '%s'", g->name, g->kernel,
                 parts, (unsigned long)(g->mem >> 20), g->args);
    }
    return n;
}

static void start_guests(uint32_t n)
{
    if (n && !cpu.fxsr) {
        log_err("guests: this CPU has no FXSAVE/FXRSTOR, which guests need; none started");
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct guest_config *cfg = &configs[i];
        uint32_t where = sched_least_loaded();
        if (cfg->cpu >= 0 && (uint32_t)cfg->cpu < ncpus)
            where = (uint32_t)cfg->cpu;
        else if (cfg->cpu >= 0)
            log_warn("guest %s: cpu=%d, but only %lu CPU(s) are online; placed on CPU %lu",
                     cfg->name, cfg->cpu, (unsigned long)ncpus, (unsigned long)where);
        struct guest *g = &guests[nguests++];
        guest_create(g, cfg, i);
        g->cpu = where;
        g->move_to = NO_MOVE;
    }
    if (ncpus > 1)
        for (uint32_t i = 0; i < nguests; i++)
            log_info("guest %s: on CPU %lu", guests[i].name, (unsigned long)guests[i].cpu);
}

/* A free page below 1 MiB for the start-up code: the frame allocator
 * keeps the first MiB to the firmware, so one of its available pages is
 * taken directly (the boot information was copied out already). */
static uint32_t startup_page(void)
{
    for (uint32_t p = 0x8000; p < 0x9F000; p += PAGE_SIZE)
        for (uint32_t i = 0; i < boot_info.nmmap; i++) {
            const struct boot_mmap_entry *e = &boot_info.mmap[i];
            if (e->type == MMAP_AVAILABLE && e->base <= p && p + PAGE_SIZE <= e->base + e->len)
                return p;
        }
    return 0;
}

static void start_cpus(const char *timer)
{
    if (opt.cpus == 1) {
        log_info("smp: cpus=1: the boot CPU only");
        return;
    }
    const char *why = 0;
    if (!acpi.madt)
        why = "no usable MADT";
    else if (!lapic_present() || strcmp(timer, "apic") != 0)
        why = "no local APIC timer";
    uint32_t page = why ? 0 : startup_page();
    if (!why && !page)
        why = "no free page below 1 MiB for the start-up code";
    if (why) {
        log_info("smp: %s; the boot CPU only", why);
        return;
    }
    uint8_t ids[ACPI_MAX_CPUS];
    uint32_t n = 0;
    for (uint32_t i = 0; i < acpi.ncpus; i++)
        if (acpi.cpus[i].enabled)
            ids[n++] = acpi.cpus[i].apic_id;
    smp_start(ids, n, opt.cpus, page);
    log_info("smp: %lu of %lu CPU(s) online%s", (unsigned long)ncpus, (unsigned long)n,
             opt.cpus ? " (cpus= limit)" : "");
}

void kmain(uint32_t magic, const void *info)
{
    big_lock();         /* held by whichever CPU is in the hypervisor, from here on */
    gdt_init();
    idt_init();
    cpu_detect();
    uint32_t tsc_khz = calibrate_tsc();

    int parsed = bootinfo_parse(magic, info, &boot_info);
    static struct diag diag;        /* 6 KiB: not on the boot stack */
    options_defaults(&opt);
    if (parsed == 0)
        options_parse(boot_info.cmdline, &opt, &diag);
    log_level = (int)opt.loglevel;
    console_init((int)opt.console, opt.baud);

    log_info("lgvisor %s: a type-1 hypervisor for lguest guests", LGVISOR_VERSION);
    if (parsed != 0)
        panic("not started by a multiboot loader (magic 0x%08lx)", (unsigned long)magic);
    log_info("boot: multiboot%d from %s", boot_info.protocol,
             boot_info.loader[0] ? boot_info.loader : "an unnamed loader");
    log_info("command line: '%s'", boot_info.cmdline);
    diag_log(&boot_info.warnings, LOG_WARN, "boot information: ");
    diag_log(&diag, LOG_WARN, "");
    char effective[320];
    options_format(&opt, effective, sizeof(effective));
    log_info("options: %s", effective);
    cpu_log();
    if (!tsc_khz)
        panic("cannot calibrate the TSC (no TSC, or the PIT does not count); lgvisor needs both");
    log_info("tsc: %lu.%03lu MHz, calibrated against the PIT", (unsigned long)(tsc_khz / 1000),
             (unsigned long)(tsc_khz % 1000));
    entropy_init();

    memory_init(&boot_info);
    crash_record_boot();
    log_modules(&boot_info);
    uint32_t nconfigs = configure_guests(&boot_info);
    acpi_init(&boot_info);      /* before paging: the tables may lie outside the identity map */
    uint64_t mapped = paging_init(&boot_info);
    log_info("paging: PAE (3-level), NX %s; %lu MiB identity-mapped with 2 MiB pages (4 KiB over the "
             "image, its data no-execute), page 0 unmapped",
             paging_xd ? "on" : "not offered by this CPU", (unsigned long)(mapped >> 20));
    switcher_init();
    log_info("switcher: at 0x%08lx, %lu MiB reserved at the top of every address space",
             (unsigned long)SWITCHER_VA, (unsigned long)(SWITCHER_RESERVE >> 20));
    clock_set_wall(rtc_read_epoch());

    /* the local APIC takes the I/O APIC's messages even when the PIT
     * drives the timer; only timer=pit irq=pic leaves it off, as before */
    if ((opt.timer != TIMER_PIT || opt.irq != IRQ_PIC) && lapic_init() == 0)
        log_info("lapic: id %lu enabled", (unsigned long)lapic_id());
    irq_init((enum irq_mode)opt.irq);
    const char *timer = timer_init((enum timer_source)opt.timer);
    sched_init();

    if (opt.pci) {
        pci_scan();
        e1000_probe();
        ahci_init();
        nvme_init();
        if (blk_ndevs)
            disk_parts_scan();
    }

    watchdog_init(opt.watchdog);
    console_start_irq();
    if (opt.bench)
        bench_baselines();
    start_cpus(timer);
    start_guests(nconfigs);
    selftest_run();
    uint64_t now = clock_ns();
    log_info("ready in %lu.%03lu ms: %lu guest(s) running; hypervisor console on serial (type 'help')",
             (unsigned long)(now / 1000000), (unsigned long)(now / 1000 % 1000),
             (unsigned long)guests_running());
    gdbstub_init();
    focus_init();
    sched_loop();
}
