/* What ahci.c (bring-up, reset) and ahci_io.c (commands) share about a
 * port. Private to the driver. */
#ifndef DRIVERS_AHCI_PORT_H
#define DRIVERS_AHCI_PORT_H
#include <stdbool.h>
#include <stdint.h>
#include "drivers/ahci.h"
#include "drivers/ahci_regs.h"
#include "kernel/timer.h"

#define AHCI_SLOTS 32

struct ahci_port {
    struct timer watchdog;      /* timeouts (and polling without an interrupt) */
    volatile uint8_t *regs;     /* this port's registers */
    volatile uint8_t *hba;      /* the controller's */
    uint32_t number;
    struct ahci_disk *disk;
    struct ahci_cmd_hdr *list;
    uint8_t *fis;
    struct ahci_cmd_table *tables;
    uint32_t nslots;            /* command slots the HBA has */
    struct blk_io *slot[AHCI_SLOTS];
    uint64_t issued_ns[AHCI_SLOTS];
    uint32_t issued;            /* slots on the device */
    uint32_t nissued;
    bool exclusive;             /* a non-queued command is on the device */
    bool dead;                  /* did not come back from a reset: everything fails */
    bool polled;                /* no interrupt: the watchdog polls */
    struct blk_io *head, *tail;   /* waiting, in order */
    uint32_t queued;
    uint32_t careful;           /* after a reset: this many more one at a time */
    uint32_t last_is;           /* the interrupt status that led to a recovery, for its log line */
};

static inline uint32_t port_rd(struct ahci_port *p, uint32_t r) { return *(volatile uint32_t *)(p->regs + r); }
static inline void port_wr(struct ahci_port *p, uint32_t r, uint32_t v) { *(volatile uint32_t *)(p->regs + r) = v; }

/* ahci.c: stop, COMRESET, program and start the port again; false if the
 * device does not come back. */
bool ahci_port_reset(struct ahci_port *p);
/* ahci_io.c: the port's interrupt work. */
void ahci_port_service(struct ahci_port *p);
void ahci_port_arm_watchdog(struct ahci_port *p);

#endif
