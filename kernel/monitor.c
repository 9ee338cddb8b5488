/* A small command interpreter on the serial console; the scheduler's idle
 * loop feeds it (monitor_poll). */
#include <stdio.h>
#include <string.h>
#include "kernel/monitor.h"
#include "kernel/bootinfo.h"
#include "kernel/clock.h"
#include "kernel/console.h"
#include "kernel/frames.h"
#include "kernel/guest.h"
#include "kernel/log.h"
#include "kernel/version.h"
#include "arch/x86/trap.h"
#include "arch/x86/x86.h"
#include "drivers/pci.h"

extern struct boot_info boot_info;

static void cmd_help(void)
{
    printf("commands: help, version, uptime, mem, pci, irq, guests\n");
}

static void cmd_guests(void)
{
    static const char *const states[] = { "empty", "running", "stopped" };
    for (uint32_t i = 0; i < nguests; i++) {
        const struct guest *g = &guests[i];
        const struct guest_stats *s = &g->stats;
        printf("%-8s %-8s%s %3lu MiB, %lu exits: %lu hypercalls (%lu queued), %lu reflected, "
               "%lu page faults fixed, %lu irqs, %lu fpu switches, %lu syscall exits%s%s\n",
               g->name, states[g->state], g->halted ? " halted" : "",
               (unsigned long)(g->ram_size >> 20), (unsigned long)s->exits,
               (unsigned long)s->hypercalls, (unsigned long)s->async_calls,
               (unsigned long)s->reflected, (unsigned long)s->pf_resolved,
               (unsigned long)s->irqs_injected, (unsigned long)s->fpu_switches,
               (unsigned long)s->syscall_exits, g->state == GUEST_STOPPED ? "; " : "",
               g->state == GUEST_STOPPED ? g->stop_reason : "");
    }
    if (!nguests)
        printf("no guests\n");
}

static void cmd_mem(void)
{
    printf("frames: %lu KiB free of %lu KiB\n", (unsigned long)frames_free_count() * 4,
           (unsigned long)frames_initial_count() * 4);
}

static void cmd_pci(void)
{
    for (uint32_t i = 0; i < pci_ndevs; i++) {
        const struct pci_dev *d = &pci_devs[i];
        printf("%02x:%02x.%x %04x:%04x class %02x%02x\n", d->bus, d->dev, d->fn, d->vendor,
               d->device, d->class, d->subclass);
    }
}

static void cmd_irq(void)
{
    for (int v = 32; v < 256; v++)
        if (irq_stats.count[v])
            printf("vector 0x%02x: %lu\n", v, (unsigned long)irq_stats.count[v]);
    printf("spurious: pic %lu, apic %lu; unexpected %lu\n",
           (unsigned long)irq_stats.spurious_pic, (unsigned long)irq_stats.spurious_apic,
           (unsigned long)irq_stats.unexpected);
}

static void cmd_uptime(void)
{
    uint64_t us = clock_ns() / 1000;
    printf("uptime %lu.%06lu s\n", (unsigned long)(us / 1000000), (unsigned long)(us % 1000000));
}

static void execute(char *line)
{
    static const struct { const char *name; void (*fn)(void); } cmds[] = {
        { "help", cmd_help }, { "mem", cmd_mem }, { "pci", cmd_pci },
        { "irq", cmd_irq }, { "uptime", cmd_uptime }, { "guests", cmd_guests },
    };
    while (*line == ' ')
        line++;
    if (!*line)
        return;
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

static char line[128];
static size_t line_n;

void monitor_start(void)
{
    printf("lgvisor> ");
    fflush(stdout);
}

void monitor_poll(void)
{
    int c;
    while ((c = console_getc()) >= 0) {
        if (c == '\r' || c == '\n') {
            printf("\n");
            line[line_n] = 0;
            execute(line);
            line_n = 0;
            printf("lgvisor> ");
        } else if ((c == 0x7F || c == 0x08) && line_n > 0) {
            line_n--;
            printf("\b \b");
        } else if (c >= 0x20 && c < 0x7F && line_n + 1 < sizeof(line)) {
            line[line_n++] = (char)c;
            putchar(c);
        }
        fflush(stdout);
    }
}
