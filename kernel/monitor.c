/* A small command interpreter on the serial console, and the idle loop. */
#include <stdio.h>
#include <string.h>
#include "kernel/monitor.h"
#include "kernel/bootinfo.h"
#include "kernel/clock.h"
#include "kernel/console.h"
#include "kernel/frames.h"
#include "kernel/log.h"
#include "kernel/version.h"
#include "arch/x86/trap.h"
#include "arch/x86/x86.h"
#include "drivers/pci.h"

extern struct boot_info boot_info;

static void cmd_help(void)
{
    printf("commands: help, version, uptime, mem, pci, irq\n");
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
            printf("vector 0x%02x: %llu\n", v, (unsigned long long)irq_stats.count[v]);
    printf("spurious: pic %llu, apic %llu; unexpected %llu\n",
           (unsigned long long)irq_stats.spurious_pic, (unsigned long long)irq_stats.spurious_apic,
           (unsigned long long)irq_stats.unexpected);
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
        { "irq", cmd_irq }, { "uptime", cmd_uptime },
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

void monitor_loop(void)
{
    char line[128];
    size_t n = 0;
    printf("lgvisor> ");
    fflush(stdout);
    for (;;) {
        int c = console_getc();
        if (c < 0) {
            sti_hlt();      /* any interrupt (UART, timer) wakes us */
            cli();
            continue;
        }
        if (c == '\r' || c == '\n') {
            printf("\n");
            line[n] = 0;
            execute(line);
            n = 0;
            printf("lgvisor> ");
        } else if ((c == 0x7F || c == 0x08) && n > 0) {
            n--;
            printf("\b \b");
        } else if (c >= 0x20 && c < 0x7F && n + 1 < sizeof(line)) {
            line[n++] = (char)c;
            putchar(c);
        }
        fflush(stdout);
    }
}
