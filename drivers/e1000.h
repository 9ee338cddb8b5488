/* The hypervisor's driver for the Intel 8254x (e1000) NIC: one device,
 * promiscuous, polled from the scheduler when its interrupt says so. */
#ifndef DRIVERS_E1000_H
#define DRIVERS_E1000_H
#include <stdbool.h>
#include <stdint.h>

struct pci_dev;

/* A model of the family (drivers/e1000_models.c). */
#define E1000_M_EERD_SHORT 1u       /* EERD done/address bits as on the 82574 */
#define E1000_M_PCIE       2u       /* 82574: PCIe init bits (GCR, CTRL_EXT) */
#define E1000_M_NO_CSUM    4u       /* no TCP/UDP checksum offload (82542) */
#define E1000_M_NO_TSO     8u       /* no segmentation offload (82542, 82543, 82547: Linux's e1000 too) */
struct e1000_model {
    uint16_t id;
    const char *name;
    uint32_t flags;
};
const struct e1000_model *e1000_model_of(uint16_t vendor, uint16_t device);

/* rx_dropped: frames the driver took off the ring but could not pass on
 * (errors, runts); rx_missed / rx_no_desc: the NIC's own counters MPC and
 * RNBC (frames it lost, and times it found no free descriptor). */
struct e1000_stats {
    uint64_t rx_packets, rx_bytes, rx_dropped, rx_missed, rx_no_desc;
    uint64_t tx_packets, tx_bytes, tx_dropped, irqs, link_changes;
};

/* Where the rings stand: the NIC's head and tail registers and the
 * driver's own indices (for the monitor's `net` command). */
struct e1000_rings {
    uint32_t rx_size, rx_head, rx_tail, rx_next;
    uint32_t tx_size, tx_head, tx_tail, tx_clean;
};

/* Logs every network function on PCI with whether it is driven and starts
 * the uplink (drivers/e1000_uplink.c; option net_uplink). */
void e1000_probe(void);
/* Why there is no uplink, for the monitor; and the NICs found. */
const char *e1000_why_no_uplink(void);
void e1000_print_nics(void);

/* Reset, MAC (EEPROM, else RAL/RAH), rings, IRQ; 0 on success. Logs
 * "e1000: 82540EM at 00:03.0, MAC 52:54:00:12:34:56, link up, irq GSI 11"
 * (MSI if the part has it, else INTx: drivers/pci_irq.h). */
int e1000_init(const struct pci_dev *d, const struct e1000_model *m);
bool e1000_ready(void);
const char *e1000_model(void);
void e1000_mac(uint8_t mac[6]);
/* The link as the NIC last reported it (at init, then by its interrupt). */
bool e1000_link_up(void);
/* True once after each link status change the NIC reported (LSC). */
bool e1000_link_changed(void);
/* Queues one frame (14..1514 bytes, copied; no FCS) for transmit. 0, or -1
 * when the TX ring is full (frame dropped, counted). Reclaims finished
 * descriptors itself. The NIC is told (one tail write) by e1000_tx_flush,
 * or when the ring fills. */
int e1000_send(const void *frame, uint32_t len);
/* The offloads of the NIC in use (0 without one): E1000_TX_CSUM, the
 * TCP/UDP checksum of a frame; E1000_TX_TSO, cutting a TCP/IPv4 segment. */
#define E1000_TX_CSUM 1u
#define E1000_TX_TSO  2u
uint32_t e1000_offloads(void);
/* A frame with work for the NIC: css, cso: the ones'-complement sum from
 * byte css to the end goes into the 16 bits at cso (which hold the
 * pseudo-header sum), both below 256; with tso, the frame (up to 64 KiB +
 * headers) is cut into segments of mss payload bytes behind hdrlen bytes
 * of Ethernet, IPv4 (at byte 14) and TCP (at css) headers, each with its IP
 * length, id, checksum and TCP sequence made by the NIC (the TCP checksum
 * field must then hold the pseudo-header sum without the length). */
struct e1000_tx_offload {
    uint8_t css, cso;
    bool tso;
    uint8_t hdrlen;
    uint16_t mss;
};
/* As e1000_send; -1 when the ring has not e1000_tx_need(len) free. */
int e1000_send_offload(const void *frame, uint32_t len, const struct e1000_tx_offload *o);
/* TX descriptors a frame of len bytes takes with an offload. */
uint32_t e1000_tx_need(uint32_t len);
/* Checksums the NIC checked on a received frame (RXCSUM), for the last
 * frame e1000_poll handed over: true when its TCP or UDP checksum was
 * computed and right. */
bool e1000_rx_csum_ok(void);
void e1000_tx_flush(void);
/* Free TX descriptors (after reclaiming finished ones). When 0, the NIC's
 * TX-done interrupt is enabled, so that e1000_pending comes back when
 * there is room again. */
uint32_t e1000_tx_room(void);
/* Whether need descriptors are free; if not, TXDW is on as above. */
bool e1000_tx_has_room(uint32_t need);
/* Hands up to budget received frames to fn (frame pointer valid only during
 * the call), returns the RX descriptors to the NIC (one tail write);
 * returns the number delivered. fn returning false leaves that frame in
 * the ring and ends the poll (backpressure: the NIC's ring fills and it
 * stops taking frames). Never blocks. */
uint32_t e1000_poll(bool (*fn)(const uint8_t *frame, uint32_t len, void *ctx), void *ctx,
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
