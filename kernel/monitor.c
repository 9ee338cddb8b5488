/* A small command interpreter on the serial console: the commands and
 * their table. The line being typed is monitor_line.c's; the log and
 * console history commands are monitor_log.c's. */
#include <stdio.h>
#include <string.h>
#include "kernel/monitor.h"
#include "arch/x86/paging.h"
#include "kernel/memory.h"
#include "kernel/bootinfo.h"
#include "kernel/clock.h"
#include "kernel/console.h"
#include "kernel/conout.h"
#include "kernel/frames.h"
#include "kernel/lguest/guest.h"
#include "kernel/log.h"
#include "kernel/version.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/irq.h"
#include "arch/x86/trap.h"
#include "arch/x86/x86.h"
#include "drivers/acpi.h"
#include "drivers/e1000.h"
#include "drivers/pci.h"
#include "drivers/ramdisk.h"
#include "virtio/net.h"
#include "drivers/ahci.h"
#include "drivers/nvme.h"
#include "drivers/disk_part.h"
#include "arch/x86/smp.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"

extern struct boot_info boot_info;

static void cmd_help(void)
{
    printf("commands: help, version, uptime, mem, pci, irq, guests, net, disks,\n"
           "          focus NAME|monitor, restart NAME, stop NAME, exits NAME,\n"
           "          cpus, move NAME CPU,\n"
           "          dmesg, console NAME, loglevel error|warning|info|debug,\n"
           "          pause NAME, unpause NAME, regs NAME, gdb NAME|off,\n"
           "          reboot, poweroff (the whole machine)\n"
           "          (Ctrl-] moves the console focus to the next guest, Ctrl-\\ back here)\n");
}

static struct guest *guest_named(const char *name)
{
    for (uint32_t i = 0; i < nguests; i++)
        if (strcmp(guests[i].name, name) == 0)
            return &guests[i];
    printf("no guest named '%s' (see 'guests')\n", name);
    return 0;
}

/* newlib's printf has no %llu here. */
static const char *u64_str(uint64_t v, char buf[24])
{
    char *p = buf + 23;
    *p = 0;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

/* Where a guest's exits come from: the first thing to look at when a
 * workload runs slower than it should. */
static void cmd_exits(const char *arg)
{
    static const char *const hcall_names[LHCALL_COUNT] = {
        [LHCALL_FLUSH_ASYNC] = "flush_async", [LHCALL_LGUEST_INIT] = "lguest_init",
        [LHCALL_SHUTDOWN] = "shutdown", [LHCALL_NEW_PGTABLE] = "new_pgtable",
        [LHCALL_FLUSH_TLB] = "flush_tlb", [LHCALL_LOAD_IDT_ENTRY] = "load_idt_entry",
        [LHCALL_SET_STACK] = "set_stack", [LHCALL_TS] = "ts",
        [LHCALL_SET_CLOCKEVENT] = "set_clockevent", [LHCALL_HALT] = "halt",
        [LHCALL_SET_PMD] = "set_pmd", [LHCALL_SET_PTE] = "set_pte", [LHCALL_SET_PGD] = "set_pgd",
        [LHCALL_LOAD_TLS] = "load_tls", [LHCALL_NOTIFY] = "notify",
        [LHCALL_LOAD_GDT_ENTRY] = "load_gdt_entry", [LHCALL_SEND_INTERRUPTS] = "send_interrupts",
    };
    const struct guest *g = guest_named(arg);
    if (!g)
        return;
    const struct guest_stats *s = &g->stats;
    printf("%s: %lu exits by vector:", g->name, (unsigned long)s->exits);
    for (uint32_t v = 0; v < 256; v++)
        if (s->by_vector[v])
            printf(" %lu:%lu", (unsigned long)v, (unsigned long)s->by_vector[v]);
    char fast[24];
    printf("\n%s: %s of them without the big lock (page faults and SET_PTE that need only the guest)",
           g->name, u64_str(s->fast_exits, fast));
    printf("\n%s: %lu page faults fixed (%lu to set dirty, %lu in the kernel), %lu reflected; "
           "hypercalls:", g->name, (unsigned long)s->pf_resolved, (unsigned long)s->pf_dirty,
           (unsigned long)s->pf_kernel, (unsigned long)s->pf_reflected);
    for (uint32_t n = 0; n < LHCALL_COUNT; n++)
        if (s->by_hcall[n])
            printf(" %s:%lu", hcall_names[n] ? hcall_names[n] : "?", (unsigned long)s->by_hcall[n]);
    printf("\n%s: shadow tables kept over a full TLB flush: %lu checked at the flush, %lu at their next "
           "use; %lu entries dropped by the checks", g->name, (unsigned long)s->shadow_checked_at_flush,
           (unsigned long)s->shadow_unparked, (unsigned long)s->shadow_unpark_dropped);
    char cycles[24], samples[24];
    printf("\n%s: %s TSC cycles in the hypervisor over %s exits (from an exit to the next entry), "
           "%lu per exit\n", g->name, u64_str(s->host_cycles, cycles), u64_str(s->host_samples, samples),
           (unsigned long)(s->host_samples ? s->host_cycles / s->host_samples : 0));
}

static void cmd_focus(const char *arg)
{
    if (strcmp(arg, "monitor") == 0)
        return;
    struct guest *g = guest_named(arg);
    if (g && g->state != GUEST_RUNNING)
        printf("guest %s is not running\n", g->name);
    else if (g)
        focus_set(g);
}

static void cmd_stop(const char *arg)
{
    struct guest *g = guest_named(arg);
    if (!g)
        return;
    if (g->state != GUEST_RUNNING && !g->restart_pending) {
        printf("guest %s is already stopped\n", g->name);
        return;
    }
    g->restart_pending = false;
    timer_cancel(&g->restart_timer);
    guest_stop(g, "stopped from the console");
    log_info("guest %s: stopped from the console", g->name);
}

static void cmd_restart(const char *arg)
{
    struct guest *g = guest_named(arg);
    if (!g)
        return;
    log_info("guest %s: restarting from the console", g->name);
    guest_request_restart(g, "restarted from the console");
}

static void cmd_disks(void)
{
    for (uint32_t i = 0; i < nguests; i++) {
        const struct ramdisk *d = guests[i].disk;
        if (d)
            printf("%-8s %lu sectors: %lu reads (%lu KiB), %lu writes (%lu KiB), %lu flushes\n",
                   guests[i].name, (unsigned long)(d->size / 512), (unsigned long)d->reads,
                   (unsigned long)(d->read_bytes >> 10), (unsigned long)d->writes,
                   (unsigned long)(d->written_bytes >> 10), (unsigned long)d->flushes);
        const struct disk_part *p = guests[i].part;
        if (p)
            printf("%-8s %s, %lu sectors from LBA %lu\n", guests[i].name, p->label, (unsigned long)p->sectors,
                   (unsigned long)p->first);
    }
    for (uint32_t i = 0; i < ahci_ndisks; i++) {
        const struct ahci_disk *d = &ahci_disks[i];
        printf("%-8s '%s', %lu MiB, %s depth %lu: %lu reads (%lu KiB), %lu writes (%lu KiB), %lu flushes, "
               "%lu errors, %lu port resets, %lu busy\n", d->name, d->model, (unsigned long)(d->sectors >> 11),
               d->ncq ? "NCQ" : "no NCQ,", (unsigned long)d->depth, (unsigned long)d->reads,
               (unsigned long)(d->read_bytes >> 10), (unsigned long)d->writes, (unsigned long)(d->written_bytes >> 10),
               (unsigned long)d->flushes, (unsigned long)d->errors, (unsigned long)d->resets,
               (unsigned long)ahci_busy(d));
    }
    for (uint32_t i = 0; i < nvme_ndisks; i++) {
        const struct nvme_disk *d = &nvme_disks[i];
        printf("%-8s '%s', %lu MiB, depth %lu: %lu reads (%lu KiB), %lu writes (%lu KiB), %lu flushes, "
               "%lu errors, %lu controller resets, %lu busy\n", d->blk.name, d->model,
               (unsigned long)(d->blk.sectors >> 11), (unsigned long)nvme_depth(d), (unsigned long)d->reads,
               (unsigned long)(d->read_bytes >> 10), (unsigned long)d->writes, (unsigned long)(d->written_bytes >> 10),
               (unsigned long)d->flushes, (unsigned long)d->errors, (unsigned long)d->resets,
               (unsigned long)nvme_busy(d));
    }
}

static void cmd_guests(void)
{
    static const char *const states[] = { "empty", "running", "stopped" };
    for (uint32_t i = 0; i < nguests; i++) {
        const struct guest *g = &guests[i];
        const struct guest_stats *s = &g->stats;
        printf("%-8s %-8s%s%s cpu %lu, %3lu MiB, %lu exits: %lu hypercalls (%lu queued), %lu reflected, "
               "%lu page faults fixed, %lu irqs, %lu fpu switches, %lu syscall exits%s%s\n",
               g->name, states[g->state], g->halted ? " halted" : "",
               g->paused & PAUSE_DEBUG ? " in-gdb" : g->paused ? " paused" : "", (unsigned long)g->cpu,
               (unsigned long)(g->ram_size >> 20), (unsigned long)s->exits,
               (unsigned long)s->hypercalls, (unsigned long)s->async_calls,
               (unsigned long)s->reflected, (unsigned long)s->pf_resolved,
               (unsigned long)s->irqs_injected, (unsigned long)s->fpu_switches,
               (unsigned long)s->syscall_exits, g->state == GUEST_STOPPED ? "; " : "",
               g->state == GUEST_STOPPED ? g->stop_reason : "");
        uint64_t up = g->state == GUEST_RUNNING ? clock_ns() - g->started_ns : 0;
        char cap[16] = "none";
        if (g->cfg->cap)
            snprintf(cap, sizeof(cap), "%lu%%", (unsigned long)g->cfg->cap);
        printf("         up %lu.%03lu s, cpu time %lu.%03lu s since boot, weight %lu, cap %s, "
               "%lu restart(s); the counters above are since its last start\n", (unsigned long)(up / 1000000000u),
               (unsigned long)(up / 1000000u % 1000), (unsigned long)(g->cpu_ns / 1000000000u),
               (unsigned long)(g->cpu_ns / 1000000u % 1000), (unsigned long)g->cfg->weight, cap,
               (unsigned long)g->restarts);
        if (g->ld)
            printf("         lguest generation %s\n", guest_gen_name(g->gen));
        if (g->gen == GEN_2632)
            printf("         lguest ABI of 2.6.32: %lu vmcall site(s) patched, %lu vmcall(s) emulated\n",
                   (unsigned long)s->vmcalls_patched, (unsigned long)s->vmcalls_emulated);
    }
    if (!nguests)
        printf("no guests\n");
}

/* Free frames, what the hypervisor cannot use, and each guest's memory
 * and paging mode (a guest's mode is known from its first NEW_PGTABLE). */
static void cmd_mem(void)
{
    printf("frames: %lu KiB free of %lu KiB\n", (unsigned long)frames_free_count() * 4,
           (unsigned long)frames_initial_count() * 4);
    uint64_t high = memory_above_4g();
    printf("paging: PAE, NX %s; %lu MiB of RAM above 4 GiB %s\n", paging_xd ? "on" : "off",
           (unsigned long)(high >> 20),
           high ? "seen, not used" : "in the memory map");
    for (uint32_t i = 0; i < nguests; i++) {
        const struct guest *g = &guests[i];
        if (g->state != GUEST_RUNNING)
            continue;
        printf("%-8s %lu MiB at host 0x%08lx, %s\n", g->name, (unsigned long)(g->ram_size >> 20),
               (unsigned long)(uint32_t)g->mem.base,
               g->shadow.linear ? "paging not known yet (before its first NEW_PGTABLE)"
               : g->shadow.pae ? "PAE (3-level) page tables" : "2-level page tables");
    }
}

static void cmd_pci(void)
{
    for (uint32_t i = 0; i < pci_ndevs; i++) {
        const struct pci_dev *d = &pci_devs[i];
        printf("%02x:%02x.%x %04x:%04x class %02x%02x\n", d->bus, d->dev, d->fn, d->vendor,
               d->device, d->class, d->subclass);
    }
}

static void print_handlers(const struct irq_handler *h, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        printf("%s%s", i ? ", " : " ", h[i].name ? h[i].name : "?");
    printf("\n");
}

/* The controller, then every line in use with its count, then the raw
 * vector counts (which include the local APIC's own). */
static void cmd_irq(void)
{
    if (irq_chip() == IRQCHIP_PIC)
        printf("mode: 8259 PIC (%s)\n", irq_pic_reason());
    else
        printf("mode: I/O APIC, %lu controller(s), MSI available\n", (unsigned long)ioapic_count());
    for (int i = 0; i < irq_nlines(); i++) {
        const struct irq_line *l = irq_line_get(i);
        if (!l->nhandlers)
            continue;           /* a line only probed shows in the vector counts */
        char isa[16] = "";
        if (l->isa >= 0)
            snprintf(isa, sizeof(isa), " (ISA %d)", l->isa);
        if (irq_chip() == IRQCHIP_PIC)
            printf("line %d%s: %lu%s:", i, isa, (unsigned long)l->count, l->masked ? " masked" : "");
        else
            printf("GSI %d%s %s/%s vector 0x%02x apic %u: %lu%s:", i, isa, l->level ? "level" : "edge",
                   l->active_low ? "low" : "high", l->vector, l->dest_apic_id,
                   (unsigned long)l->count, l->masked ? " masked" : "");
        print_handlers(l->h, l->nhandlers);
    }
    for (int v = VEC_FIRST_MSI; v < VEC_FIRST_MSI + IRQ_MAX_MSI; v++) {
        uint64_t n;
        const struct irq_handler *h = irq_msi_get(v, &n);
        if (h) {
            printf("MSI vector 0x%02x: %lu:", v, (unsigned long)n);
            print_handlers(h, 1);
        }
    }
    for (int v = 32; v < 256; v++)
        if (irq_stats.count[v])
            printf("vector 0x%02x: %lu\n", v, (unsigned long)irq_stats.count[v]);
    printf("spurious: pic %lu, apic %lu; unexpected %lu\n",
           (unsigned long)irq_stats.spurious_pic, (unsigned long)irq_stats.spurious_apic,
           (unsigned long)irq_stats.unexpected);
}

static void cmd_net(void)
{
    net_report();       /* virtio/net_report.c */
}

static void cmd_uptime(void)
{
    uint64_t us = clock_ns() / 1000;
    printf("uptime %lu.%06lu s\n", (unsigned long)(us / 1000000), (unsigned long)(us % 1000000));
}

/* The whole machine. Guests are not told: their memory, ramdisks included,
 * is gone either way. */
/* Each CPU: its guests, where its time went, and what woke it. */
static void cmd_cpus(void)
{
    uint64_t now = clock_ns();
    for (uint32_t c = 0; c < ncpus; c++) {
        const struct percpu *p = &cpus[c];
        uint64_t busy = p->busy_ns, idle = p->idle_ns;
        if (p->online && p->idle)
            idle += now - p->since;     /* the stretch it is in now */
        else if (p->online)
            busy += now - p->since;
        uint64_t exits = 0;
        uint32_t n = 0;
        char names[160] = "";
        for (uint32_t i = 0; i < nguests; i++) {
            const struct guest *g = &guests[i];
            if (g->cpu != c || g->state != GUEST_RUNNING)
                continue;
            exits += g->stats.exits;
            size_t len = strlen(names);
            snprintf(names + len, sizeof(names) - len, "%s%s", n++ ? " " : "", g->name);
        }
        uint64_t total = busy + idle;
        uint32_t khz = clock_tsc_khz();
        printf("cpu %lu: apic %lu, %s, busy %lu ms / idle %lu ms (%lu%% busy), %lu IPIs, "
               "%lu exits, lock wait %lu ms held %lu ms; guests: %s\n", (unsigned long)c,
               (unsigned long)p->apic_id, p->online ? "online" : "starting",
               (unsigned long)(busy / 1000000), (unsigned long)(idle / 1000000),
               (unsigned long)(total ? busy * 100 / total : 0), (unsigned long)p->ipis,
               (unsigned long)exits, (unsigned long)(khz ? p->lock_wait / khz : 0),
               (unsigned long)(khz ? p->lock_held / khz : 0),
               n ? names : "none");
    }
}

static void cmd_move(const char *arg)
{
    char name[GUEST_NAME_MAX + 1];
    unsigned long to;
    char extra;
    if (sscanf(arg, "%16s %lu %c", name, &to, &extra) != 2) {
        printf("usage: move NAME CPU\n");
        return;
    }
    struct guest *g = guest_named(name);
    if (!g)
        return;
    if (to >= ncpus) {
        printf("no CPU %lu (CPUs 0-%lu are online; see 'cpus')\n", to, (unsigned long)(ncpus - 1));
        return;
    }
    if (g->state != GUEST_RUNNING) {
        printf("guest %s is not running\n", g->name);
        return;
    }
    if (g->cpu == to) {
        printf("guest %s is on CPU %lu already\n", g->name, to);
        return;
    }
    printf("moving guest %s from CPU %lu to CPU %lu\n", g->name, (unsigned long)g->cpu, to);
    g->move_to = (uint32_t)to;
    guest_kick(g);          /* its CPU lets go of it at its next exit */
}

static void cmd_reboot(void)
{
    log_info("monitor: rebooting the machine (by %skeyboard controller, port 0xcf9, triple fault)",
             acpi.reset_supported ? "ACPI reset register, " : "");
    smp_halt_others();      /* no CPU is left writing to a guest's disk or the NIC */
    conout_flush();         /* the queued output, before the machine is gone */
    acpi_reset();
    log_err("monitor: the machine did not reset; a triple fault is left");
    /* an empty IDT makes the next exception a triple fault: a reset */
    static const struct dtr none = { 0, 0 };
    cli();
    lidt(&none);
    __builtin_trap();
}

static void cmd_poweroff(void)
{
    log_info("monitor: powering the machine off (ACPI S5)");
    /* Quiesce first: no guest is left mid-request and no other CPU runs.
     * If the firmware ignores S5, the monitor is what is left. */
    for (uint32_t i = 0; i < nguests; i++)
        guest_stop(&guests[i], "machine power-off");
    smp_halt_others();
    conout_flush();
    acpi_poweroff();
    log_err("monitor: power-off failed; the guests are stopped%s, the monitor still runs",
            ncpus > 1 ? " and the other CPUs halted" : "");
}

void monitor_execute(char *line)
{
    static const struct { const char *name; void (*fn)(const char *); } with_arg[] = {
        { "focus", cmd_focus }, { "stop", cmd_stop }, { "restart", cmd_restart },
        { "exits", cmd_exits }, { "move", cmd_move },
        { "console", cmd_console }, { "loglevel", cmd_loglevel },
        { "pause", monitor_pause }, { "unpause", monitor_unpause }, { "regs", monitor_regs },
        { "gdb", monitor_gdb },
    };
    static const struct { const char *name; void (*fn)(void); } cmds[] = {
        { "help", cmd_help }, { "mem", cmd_mem }, { "pci", cmd_pci },
        { "irq", cmd_irq }, { "uptime", cmd_uptime }, { "guests", cmd_guests },
        { "disks", cmd_disks }, { "cpus", cmd_cpus },
        { "net", cmd_net }, { "reboot", cmd_reboot }, { "poweroff", cmd_poweroff },
        { "dmesg", cmd_dmesg },
    };
    while (*line == ' ')
        line++;
    if (!*line)
        return;
    for (size_t i = 0; i < sizeof(with_arg) / sizeof(with_arg[0]); i++) {
        size_t n = strlen(with_arg[i].name);
        if (strncmp(line, with_arg[i].name, n) == 0 && (line[n] == ' ' || !line[n])) {
            const char *arg = line + n;
            while (*arg == ' ')
                arg++;
            if (!*arg)
                printf("usage: %s NAME\n", with_arg[i].name);
            else
                with_arg[i].fn(arg);
            return;
        }
    }
    if (strcmp(line, "version") == 0) {
        printf("lgvisor %s\n", LGVISOR_VERSION);
        return;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(line, cmds[i].name) == 0) {
            cmds[i].fn();
            return;
        }
    }
    printf("unknown command '%s' (try 'help')\n", line);
}
