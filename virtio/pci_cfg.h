/* A guest's emulated PCI configuration space (virtio 1.0 over PCI, as 4.x
 * lguest guests expect it): bus 0, a host bridge at 00:00.0 and one virtio
 * function per device, each with a 4 KiB memory BAR0 that holds every
 * virtio capability, reached through configuration mechanism #1 (ports
 * 0xCF8/0xCFC). Pure logic: the guest's port accesses come in as values,
 * BAR accesses through the PCI-cfg-access capability go out through the
 * window callback. Nothing the guest writes can move a BAR over RAM or
 * over another function, or change an identity register. */
#ifndef VIRTIO_PCI_CFG_H
#define VIRTIO_PCI_CFG_H
#include <stdbool.h>
#include <stdint.h>

#define PCI_CFG_ADDR_PORT 0xCF8
#define PCI_CFG_DATA_PORT 0xCFC
#define VPCI_SLOTS        5         /* 00:00.0 the bridge, 00:01.0-00:04.0 devices */
#define VPCI_BAR_SIZE     4096u

/* BAR0's layout (the reference 4.x Launcher's): the capabilities point here. */
#define VPCI_COMMON_OFF   0x00      /* struct virtio_pci_common_cfg, 0x38 bytes */
#define VPCI_COMMON_LEN   0x38
#define VPCI_NOTIFY_OFF   0x38      /* u16, every queue (notify_off_multiplier 0) */
#define VPCI_ISR_OFF      0x3A      /* u8, read clears */
#define VPCI_DEVCFG_OFF   0x3C      /* device-specific configuration */

/* Capability offsets in configuration space. */
#define VPCI_CAP_COMMON   0x40
#define VPCI_CAP_NOTIFY   0x50
#define VPCI_CAP_ISR      0x64
#define VPCI_CAP_DEVICE   0x74
#define VPCI_CAP_PCICFG   0x84      /* its window (BAR data) at +16 */

enum vpci_result {
    VPCI_OK,
    VPCI_UNALIGNED,         /* size 1/2/4 not inside one dword at the data port, or a bad size */
    VPCI_BAR_REFUSED,       /* a BAR0 address over RAM, another BAR or outside the window: kept */
    VPCI_WINDOW_BAD,        /* the cfg-access capability names no valid BAR0 access */
    VPCI_WINDOW_FAILED,     /* the BAR access through the window was refused */
};

/* A BAR0 access through the PCI-cfg-access window: slot, offset in BAR0,
 * len 1/2/4. Returns false when the BAR emulation refused it. */
typedef bool (*vpci_window_fn)(void *ctx, uint32_t slot, bool write, uint32_t off, uint32_t len, uint32_t *val);

struct vpci_fn {
    bool present;
    uint8_t cfg[256];       /* as the guest reads it */
    uint8_t wmask[256];     /* bits a guest write may change */
    uint32_t bar0;          /* where BAR0 decodes; 0: no BAR (the bridge) */
};

struct vpci_cfg {
    uint32_t addr;          /* the last dword written to 0xCF8 */
    uint32_t bar_lo, bar_hi;    /* a BAR0 must lie inside [bar_lo, bar_hi) */
    struct vpci_fn fn[VPCI_SLOTS];
    vpci_window_fn window;
    void *ctx;
};

/* An empty bus with just the host bridge; BARs may go in [bar_lo, bar_hi). */
void vpci_cfg_init(struct vpci_cfg *c, uint32_t bar_lo, uint32_t bar_hi, vpci_window_fn window, void *ctx);
/* A virtio 1.0 function at slot: PCI device 0x1040 + virtio_type, class,
 * interrupt line, BAR0 at bar0, device config of devcfg_len bytes. */
void vpci_cfg_add(struct vpci_cfg *c, uint32_t slot, uint32_t virtio_type, uint32_t class24, uint8_t irq,
                  uint32_t bar0, uint32_t devcfg_len);

/* The slot whose BAR0 holds gpa (and *off inside it), or -1. */
int vpci_cfg_bar_at(const struct vpci_cfg *c, uint32_t gpa, uint32_t *off);

/* The guest's in/out on 0xCF8-0xCFF (size 1, 2 or 4). An in always sets
 * *val (all ones for nothing there); anything not VPCI_OK changed nothing
 * but is worth a log line. */
enum vpci_result vpci_cfg_in(struct vpci_cfg *c, uint16_t port, uint32_t size, uint32_t *val);
enum vpci_result vpci_cfg_out(struct vpci_cfg *c, uint16_t port, uint32_t size, uint32_t val);

/* Configuration space of slot directly (the guest's port path uses these). */
enum vpci_result vpci_cfg_read(struct vpci_cfg *c, uint32_t slot, uint32_t off, uint32_t size, uint32_t *val);
enum vpci_result vpci_cfg_write(struct vpci_cfg *c, uint32_t slot, uint32_t off, uint32_t size, uint32_t val);

const char *vpci_result_text(enum vpci_result r);

#endif
