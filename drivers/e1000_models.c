/* The Intel gigabit parts the e1000 driver knows, by PCI device id, and
 * what differs between them. The 8254x (PCI/PCI-X) share one register set;
 * the 82574L (PCIe, QEMU's `-device e1000e`) keeps the legacy descriptors
 * and the same ring registers but moves the EEPROM-read bits and wants a
 * few PCIe bits of its own set at init. */
#include <stddef.h>
#include "drivers/e1000.h"

#define PLAIN 0
#define PCIE (E1000_M_EERD_SHORT | E1000_M_PCIE)
#define OLD (E1000_M_NO_CSUM | E1000_M_NO_TSO)     /* 82542: no offloads */
#define NOTSO E1000_M_NO_TSO                       /* 82543: checksums only; 82547: TSO errata */
/* The 82574L has TSO, but QEMU's e1000e up to 7.2 (Debian 12's) "segments"
 * a TSO frame as IP fragments of one TCP segment when its backend has no
 * virtio-net header (dgram, socket, user: fixed in QEMU 8.0's net_tx_pkt);
 * the peer sees one bad TCP segment. Its checksum offload is right, so only
 * segmentation is left to the hypervisor's software. */
#define PCIE_NOTSO (PCIE | E1000_M_NO_TSO)

static const struct e1000_model models[] = {
    { 0x1000, "82542", OLD }, { 0x1001, "82543GC", NOTSO }, { 0x1004, "82543GC", NOTSO },
    { 0x1008, "82544EI", PLAIN }, { 0x1009, "82544EI", PLAIN }, { 0x100C, "82544GC", PLAIN },
    { 0x100D, "82544GC", PLAIN }, { 0x100E, "82540EM", PLAIN }, { 0x100F, "82545EM", PLAIN },
    { 0x1010, "82546EB", PLAIN }, { 0x1011, "82545EM", PLAIN }, { 0x1012, "82546EB", PLAIN },
    { 0x1013, "82541EI", PLAIN }, { 0x1015, "82540EM", PLAIN }, { 0x1016, "82540EP", PLAIN },
    { 0x1017, "82540EP", PLAIN }, { 0x1018, "82541EI", PLAIN }, { 0x1019, "82547EI", NOTSO },
    { 0x101A, "82547EI", NOTSO }, { 0x101D, "82546EB", PLAIN }, { 0x101E, "82540EP", PLAIN },
    { 0x1026, "82545GM", PLAIN }, { 0x1027, "82545GM", PLAIN }, { 0x1028, "82545GM", PLAIN },
    { 0x1075, "82547GI", NOTSO }, { 0x1076, "82541GI", PLAIN }, { 0x1077, "82541GI", PLAIN },
    { 0x1078, "82541ER", PLAIN }, { 0x1079, "82546GB", PLAIN }, { 0x107A, "82546GB", PLAIN },
    { 0x107B, "82546GB", PLAIN }, { 0x107C, "82541PI", PLAIN }, { 0x108A, "82546GB", PLAIN },
    { 0x1099, "82546GB", PLAIN }, { 0x10B5, "82546GB", PLAIN },
    { 0x10D3, "82574L", PCIE_NOTSO },
};

const struct e1000_model *e1000_model_of(uint16_t vendor, uint16_t device)
{
    if (vendor != 0x8086)
        return NULL;
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
        if (models[i].id == device)
            return &models[i];
    return NULL;
}
