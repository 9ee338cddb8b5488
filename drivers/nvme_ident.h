/* What the NVMe driver takes from IDENTIFY, pure logic (tests/unit/
 * test_nvme_ident.c). Nothing the controller returns is trusted: a format
 * index past the formats it lists, a sector size other than 512 bytes,
 * metadata, or an empty namespace refuse the namespace with the reason. */
#ifndef DRIVERS_NVME_IDENT_H
#define DRIVERS_NVME_IDENT_H
#include <stdbool.h>
#include <stdint.h>

struct nvme_ctrl_info {
    char model[41], serial[21];     /* printable ASCII, trailing spaces gone */
    uint32_t max_bytes;             /* largest transfer (MDTS); 0: no limit */
    uint32_t namespaces;            /* NN */
    bool write_cache;               /* VWC */
};

/* id: the 4096-byte controller data; page: the controller's page size. */
void nvme_parse_ctrl(const uint8_t *id, uint32_t page, struct nvme_ctrl_info *out);
/* id: the 4096-byte namespace data. 0 with *sectors (of 512 bytes), or -1
 * with why filled (1 when the namespace is merely inactive: size 0). */
int nvme_parse_ns(const uint8_t *id, uint64_t *sectors, char *why, uint32_t why_len);

#endif
