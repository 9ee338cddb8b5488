/* AHCI 1.3 registers and in-memory structures, and the ATA commands the
 * driver sends (ACS-3). */
#ifndef DRIVERS_AHCI_REGS_H
#define DRIVERS_AHCI_REGS_H
#include <stdint.h>

/* generic host control (ABAR = BAR5) */
#define HBA_CAP   0x00
#define HBA_GHC   0x04
#define HBA_IS    0x08
#define HBA_PI    0x0C
#define HBA_VS    0x10
#define HBA_CAP2  0x24
#define HBA_BOHC  0x28

#define CAP_NP(c)    (((c) & 0x1F) + 1)
#define CAP_NCS(c)   ((((c) >> 8) & 0x1F) + 1)
#define CAP_SSS      (1u << 27)
#define CAP_SNCQ     (1u << 30)
#define GHC_HR       (1u << 0)
#define GHC_IE       (1u << 1)
#define GHC_AE       (1u << 31)
#define CAP2_BOH     (1u << 0)
#define BOHC_BOS     (1u << 0)
#define BOHC_OOS     (1u << 1)
#define BOHC_BB      (1u << 4)

/* per port, at 0x100 + 0x80 * n */
#define PORT_BASE(n) (0x100u + 0x80u * (n))
#define PX_CLB   0x00
#define PX_CLBU  0x04
#define PX_FB    0x08
#define PX_FBU   0x0C
#define PX_IS    0x10
#define PX_IE    0x14
#define PX_CMD   0x18
#define PX_TFD   0x20
#define PX_SIG   0x24
#define PX_SSTS  0x28
#define PX_SCTL  0x2C
#define PX_SERR  0x30
#define PX_SACT  0x34
#define PX_CI    0x38

#define CMD_ST   (1u << 0)
#define CMD_SUD  (1u << 1)
#define CMD_POD  (1u << 2)
#define CMD_FRE  (1u << 4)
#define CMD_FR   (1u << 14)
#define CMD_CR   (1u << 15)

#define IS_DHRS  (1u << 0)      /* D2H register FIS: a non-queued command ended */
#define IS_PSS   (1u << 1)      /* PIO setup FIS */
#define IS_DSS   (1u << 2)
#define IS_SDBS  (1u << 3)      /* set device bits: NCQ completions */
#define IS_DPS   (1u << 5)      /* a PRD with I set */
#define IS_PCS   (1u << 6)      /* port connect change */
#define IS_PRCS  (1u << 22)     /* PhyRdy change */
#define IS_IPMS  (1u << 23)
#define IS_OFS   (1u << 24)
#define IS_INFS  (1u << 26)
#define IS_IFS   (1u << 27)
#define IS_HBDS  (1u << 28)
#define IS_HBFS  (1u << 29)
#define IS_TFES  (1u << 30)     /* task file error: the device said ERR */
#define IS_ERRORS (IS_OFS | IS_INFS | IS_IFS | IS_HBDS | IS_HBFS | IS_TFES | IS_PCS | IS_PRCS)
#define IS_WANTED (IS_DHRS | IS_PSS | IS_DSS | IS_SDBS | IS_DPS | IS_ERRORS)

#define TFD_ERR  0x01
#define TFD_DRQ  0x08
#define TFD_BSY  0x80
#define SSTS_DET(s)  ((s) & 0xF)
#define DET_PRESENT  3          /* device present, phy communication */
#define SIG_ATA      0x00000101u

/* command header: one of 32 in the 1 KiB command list */
struct ahci_cmd_hdr {
    uint32_t flags;             /* CFL 4:0, A 5, W 6, P 7, R 8, B 9, C 10, PRDTL 31:16 */
    volatile uint32_t prdbc;    /* bytes transferred, written by the HBA */
    uint32_t ctba, ctbau;
    uint32_t reserved[4];
};
#define HDR_CFL_H2D  5          /* FIS length in dwords */
#define HDR_WRITE    (1u << 6)

struct ahci_prd {
    uint32_t dba, dbau, reserved;
    uint32_t dbc;               /* byte count - 1 (bit 0 set: even counts), I 31 */
};
#define PRD_MAX_BYTES (4u << 20)

/* The command table: the FIS, ATAPI command, then the PRDT. Two pages per
 * slot: 128 bytes of header and 504 PRD entries. */
#define CT_BYTES      8192u
#define CT_PRDS       ((CT_BYTES - 0x80) / 16)
struct ahci_cmd_table {
    uint8_t cfis[64];
    uint8_t acmd[16];
    uint8_t reserved[48];
    struct ahci_prd prd[CT_PRDS];
};

#define FIS_H2D      0x27

#define ATA_READ_DMA_EXT     0x25
#define ATA_WRITE_DMA_EXT    0x35
#define ATA_READ_FPDMA       0x60
#define ATA_WRITE_FPDMA      0x61
#define ATA_FLUSH_CACHE_EXT  0xEA
#define ATA_FLUSH_CACHE      0xE7
#define ATA_IDENTIFY         0xEC

#endif
