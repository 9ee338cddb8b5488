/* NVMe 1.4 controller registers, queue entries and opcodes: what
 * nvme.c, nvme_io.c and nvme_ident.c use (NVM Express Base Specification
 * 1.4, sections 3.1, 4.2, 4.6, 5.15). */
#ifndef DRIVERS_NVME_REGS_H
#define DRIVERS_NVME_REGS_H
#include <stdint.h>

#define NVME_CAP      0x00      /* 64-bit */
#define NVME_VS       0x08
#define NVME_INTMS    0x0C
#define NVME_INTMC    0x10
#define NVME_CC       0x14
#define NVME_CSTS     0x1C
#define NVME_AQA      0x24
#define NVME_ASQ      0x28      /* 64-bit */
#define NVME_ACQ      0x30      /* 64-bit */
#define NVME_DOORBELLS 0x1000

#define CAP_MQES(c)   ((uint32_t)((c) & 0xFFFF))         /* queue entries - 1 */
#define CAP_TO(c)     ((uint32_t)(((c) >> 24) & 0xFF))   /* ready timeout, 500 ms units */
#define CAP_DSTRD(c)  ((uint32_t)(((c) >> 32) & 0xF))    /* doorbell stride: 4 << DSTRD bytes */
#define CAP_CSS_NVM(c) (((c) >> 37) & 1)
#define CAP_MPSMIN(c) ((uint32_t)(((c) >> 48) & 0xF))    /* 4 KiB << MPSMIN */

#define CC_EN         (1u << 0)
#define CC_IOSQES     (6u << 16)                         /* 64-byte submission entries */
#define CC_IOCQES     (4u << 20)                         /* 16-byte completion entries */
#define CSTS_RDY      (1u << 0)
#define CSTS_CFS      (1u << 1)                          /* controller fatal status */

/* A submission queue entry: 64 bytes. */
struct nvme_sqe {
    uint8_t opcode, flags;
    uint16_t cid;
    uint32_t nsid;
    uint64_t rsvd, mptr;
    uint64_t prp1, prp2;
    uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
} __attribute__((packed));

/* A completion queue entry: 16 bytes. */
struct nvme_cqe {
    uint32_t result, rsvd;
    uint16_t sq_head, sq_id;
    uint16_t cid;
    uint16_t status;            /* bit 0: the phase tag; 15:1 the status field */
} __attribute__((packed));

#define CQE_PHASE(s)  ((s) & 1u)
#define CQE_SC(s)     (((s) >> 1) & 0xFFu)               /* status code */
#define CQE_SCT(s)    (((s) >> 9) & 0x7u)                /* status code type */

/* admin */
#define NVME_ADM_CREATE_SQ 0x01
#define NVME_ADM_CREATE_CQ 0x05
#define NVME_ADM_IDENTIFY  0x06
#define NVME_ADM_SET_FEATURES 0x09
#define NVME_FEAT_NUM_QUEUES 0x07
#define NVME_CNS_NS        0x00
#define NVME_CNS_CTRL      0x01
#define NVME_CNS_ACTIVE    0x02
/* NVM */
#define NVME_CMD_FLUSH 0x00
#define NVME_CMD_WRITE 0x01
#define NVME_CMD_READ  0x02

#endif
