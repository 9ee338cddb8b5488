#ifndef KERNEL_OPTIONS_H
#define KERNEL_OPTIONS_H
#include <stdint.h>
#include "kernel/cmdline.h"

enum console_port { CONSOLE_NONE, CONSOLE_COM1, CONSOLE_COM2 };
enum irq_mode { IRQ_AUTO, IRQ_PIC };   /* I/O APIC when the MADT names one, or the 8259s */
enum on_fault { ON_FAULT_HALT, ON_FAULT_REBOOT };
enum test_fault { FAULT_NONE, FAULT_DE, FAULT_UD, FAULT_GP, FAULT_PF, FAULT_DF, FAULT_HANG };

/* The hypervisor's command-line options, typed, with their defaults. */
struct options {
    uint32_t console;       /* enum console_port */
    uint32_t baud;
    uint32_t loglevel;      /* enum log_level */
    uint32_t timer;         /* enum timer_source */
    uint32_t pci;           /* scan PCI */
    uint32_t test_fault;    /* test only: fault on purpose after boot */
    uint32_t test_ticks;    /* test only: log this many 10 ms timer ticks */
    uint32_t bench;         /* measure the bare-metal baselines at boot */
    uint32_t cpus;          /* CPUs to use, 0 = all that ACPI lists */
    uint32_t irq;           /* enum irq_mode */
    uint32_t test_msi;      /* test only: check MSI and I/O APIC delivery with QEMU's edu device */
    uint32_t on_fault;      /* enum on_fault: after a hypervisor fault or panic */
    uint32_t watchdog;      /* seconds before the hardware watchdog resets a stuck machine; 0: off */
    uint32_t net_uplink;    /* which supported NIC (1 = first in PCI order) is the guests' wire */
    uint32_t net_itr;       /* e1000 interrupts per second at most; 0: no moderation */
    uint32_t net_offload;   /* offer guests checksum and TSO offloads (virtio/net_offload.h) */
};
extern struct options opt;

void options_defaults(struct options *o);
/* Unknown or malformed options are reported in d by name and skipped. */
void options_parse(const char *cmdline, struct options *o, struct diag *d);
/* "name=value" for every option, for the boot log. */
void options_format(const struct options *o, char *buf, uint32_t size);

#endif
