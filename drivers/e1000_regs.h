/* Intel 8254x (e1000) registers and descriptors: the subset the driver
 * uses, named as in Intel's "PCI/PCI-X Family of Gigabit Ethernet
 * Controllers Software Developer's Manual" (317453), sections 13 and 3. */
#ifndef DRIVERS_E1000_REGS_H
#define DRIVERS_E1000_REGS_H
#include <stdint.h>

#define E1000_CTRL   0x0000
#define E1000_STATUS 0x0008
#define E1000_EERD   0x0014
#define E1000_CTRL_EXT 0x0018
#define E1000_ICR    0x00C0     /* read clears (and so acknowledges) */
#define E1000_ICS    0x00C8     /* write sets causes: a test interrupt */
#define E1000_IMS    0x00D0
#define E1000_IMC    0x00D8
#define E1000_ITR    0x00C4     /* minimum interval between interrupts, in 256 ns units */
#define E1000_RCTL   0x0100
#define E1000_TCTL   0x0400
#define E1000_TIPG   0x0410
#define E1000_RDBAL  0x2800
#define E1000_RDBAH  0x2804
#define E1000_RDLEN  0x2808
#define E1000_RDH    0x2810
#define E1000_RDT    0x2818
#define E1000_RDTR   0x2820
#define E1000_TDBAL  0x3800
#define E1000_TDBAH  0x3804
#define E1000_TDLEN  0x3808
#define E1000_TDH    0x3810
#define E1000_TDT    0x3818
#define E1000_MPC    0x4010     /* missed packets (no room in the RX FIFO/ring), read clears */
#define E1000_RNBC   0x40A0     /* receive no buffers: no free RX descriptor, read clears */
#define E1000_GCR    0x5B00     /* 82574: PCIe control */
#define E1000_MTA    0x5200     /* 128 words */
#define E1000_RAL0   0x5400
#define E1000_RAH0   0x5404

#define CTRL_ASDE    (1u << 5)
#define CTRL_SLU     (1u << 6)
#define CTRL_RST     (1u << 26)
#define CTRL_PHY_RST (1u << 31)
#define CTRL_LRST    (1u << 3)
#define CTRL_ILOS    (1u << 7)
#define CTRL_VME     (1u << 30)

#define STATUS_FD    (1u << 0)
#define STATUS_LU    (1u << 1)
#define STATUS_SPEED(s) (((s) >> 6) & 3)    /* 0: 10, 1: 100, 2/3: 1000 Mb/s */

/* EERD as on the 82540/82545/82546 (the 82541/82547 move these bits). */
#define EERD_START   (1u << 0)
#define EERD_DONE    (1u << 4)
#define EERD_ADDR_SHIFT 8
#define EERD_DATA(v) ((uint16_t)((v) >> 16))
/* The 82574's EERD: start in bit 0, done in bit 1, the word address from bit 2. */
#define EERD_SHORT_DONE (1u << 1)
#define EERD_SHORT_ADDR_SHIFT 2

/* 82574 init bits (Intel's 82574 datasheet and errata): GCR bit 22 set,
 * CTRL_EXT bit 22 set and bit 23 (DMA dynamic clock gating) clear. */
#define GCR_82574_BIT22      (1u << 22)
#define CTRL_EXT_82574_SET   (1u << 22)
#define CTRL_EXT_82574_CLEAR (1u << 23)

#define INT_TXDW     (1u << 0)
#define INT_LSC      (1u << 2)
#define INT_RXDMT0   (1u << 4)
#define INT_RXO      (1u << 6)
#define INT_RXT0     (1u << 7)

#define RCTL_EN      (1u << 1)
#define RCTL_UPE     (1u << 3)
#define RCTL_MPE     (1u << 4)
#define RCTL_BAM     (1u << 15)
#define RCTL_SECRC   (1u << 26)     /* BSIZE 00 with BSEX 0: 2048-byte buffers */

#define TCTL_EN      (1u << 1)
#define TCTL_PSP     (1u << 3)
#define TCTL_CT(n)   ((uint32_t)(n) << 4)
#define TCTL_COLD(n) ((uint32_t)(n) << 12)

/* IPGT 10, IPGR1 8, IPGR2 6: the values the manual gives for copper. */
#define TIPG_COPPER  (10u | (8u << 10) | (6u << 20))

#define RAH_AV       (1u << 31)

struct e1000_rx_desc {
    uint64_t addr;
    uint16_t length;
    uint16_t csum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
} __attribute__((packed));

struct e1000_tx_desc {
    uint64_t addr;
    uint16_t length;
    uint8_t cso;
    uint8_t cmd;
    uint8_t status;
    uint8_t css;
    uint16_t special;
} __attribute__((packed));

/* The TCP/IP context descriptor (manual 3.3.6): where the checksums go and
 * how to segment, for the data descriptors after it. */
struct e1000_ctx_desc {
    uint8_t ipcss, ipcso;
    uint16_t ipcse;
    uint8_t tucss, tucso;
    uint16_t tucse;
    uint32_t cmd_len;           /* PAYLEN (20 bits), DTYP 0, TUCMD */
    uint8_t status, hdrlen;
    uint16_t mss;
} __attribute__((packed));

/* The TCP/IP data descriptor (manual 3.3.7). */
struct e1000_data_desc {
    uint64_t addr;
    uint32_t cmd_len;           /* length (20 bits), DTYP 1, DCMD */
    uint8_t status, popts;
    uint16_t special;
} __attribute__((packed));

/* cmd_len bits of the extended descriptors */
#define TXX_EOP      (1u << 24)
#define TXX_IFCS     (1u << 25)
#define TXX_TCP      (1u << 24)     /* context: TCP, not UDP (for TSO) */
#define TXX_IP       (1u << 25)     /* context: IPv4 (for TSO) */
#define TXX_TSE      (1u << 26)     /* segmentation */
#define TXX_RS       (1u << 27)
#define TXX_DEXT     (1u << 29)
#define TXX_DTYP_D   (1u << 20)
#define POPTS_IXSM   (1u << 0)      /* insert the IP checksum */
#define POPTS_TXSM   (1u << 1)      /* insert the TCP/UDP checksum */

/* Receive checksum offload: RXCSUM, and what it sets in a descriptor. */
#define E1000_RXCSUM 0x5000
#define RXCSUM_IPOFL (1u << 8)
#define RXCSUM_TUOFL (1u << 9)
#define RXD_IXSM     (1u << 2)      /* status: ignore the checksum indications */
#define RXD_TCPCS    (1u << 5)      /* status: TCP/UDP checksum computed */
#define RXD_IPCS     (1u << 6)
#define RXE_TCPE     (1u << 5)      /* errors: TCP/UDP checksum wrong */
#define RXE_IPE      (1u << 6)

#define RXD_DD       (1u << 0)
#define RXD_EOP      (1u << 1)
#define TXD_EOP      (1u << 0)
#define TXD_IFCS     (1u << 1)
#define TXD_RS       (1u << 3)
#define TXD_DD       (1u << 0)

#endif
