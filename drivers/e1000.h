/* The hypervisor's driver for the Intel 8254x (e1000) NIC: one device,
 * promiscuous, polled from the scheduler when its interrupt says so. */
#ifndef DRIVERS_E1000_H
#define DRIVERS_E1000_H
#include <stdbool.h>
#include <stdint.h>

struct pci_dev;

struct e1000_stats { uint64_t rx_packets, rx_bytes, rx_dropped, tx_packets, tx_bytes, tx_dropped, irqs; };

/* Where the rings stand: the NIC's head and tail registers and the
 * driver's own indices (for the monitor's `net` command). */
struct e1000_rings {
    uint32_t rx_size, rx_head, rx_tail, rx_next;
    uint32_t tx_size, tx_head, tx_tail, tx_clean;
};

/* Reset, MAC (EEPROM, else RAL/RAH), rings, IRQ; 0 on success. Logs
 * "e1000: 82540EM at 00:03.0, MAC 52:54:00:12:34:56, link up, irq GSI 11"
 * (MSI if the part has it, else INTx: drivers/pci_irq.h). */
int e1000_init(const struct pci_dev *d);
bool e1000_ready(void);
void e1000_mac(uint8_t mac[6]);
bool e1000_link_up(void);
/* Queues one frame (14..1514 bytes, copied; no FCS) for transmit. 0, or -1
 * when the TX ring is full (frame dropped, counted). Reclaims finished
 * descriptors itself. */
int e1000_send(const void *frame, uint32_t len);
/* Hands up to budget received frames to fn (frame pointer valid only during
 * the call), returns the RX descriptors to the NIC; returns the number
 * delivered. Never blocks. */
uint32_t e1000_poll(void (*fn)(const uint8_t *frame, uint32_t len, void *ctx), void *ctx,
                    uint32_t budget);
/* Set by the interrupt handler when frames (or a link change) are waiting;
 * the hypervisor's scheduler calls e1000_poll when it sees it. */
extern volatile bool e1000_pending;
void e1000_get_stats(struct e1000_stats *s);
void e1000_get_rings(struct e1000_rings *r);
/* For make bench: sends frames broadcast frames of len bytes as fast as the
 * ring allows; returns the TSC cycles taken, 0 if the NIC is missing or
 * stopped taking frames. */
uint64_t e1000_bench_tx(uint32_t frames, uint32_t len);

#endif
