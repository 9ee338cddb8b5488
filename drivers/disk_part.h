/* Guest disks on real disks: the GPT partitions of every disk the
 * hypervisor drives (drivers/blkdev.h: AHCI's sataN, NVMe's nvmeN), read
 * once at boot, and which guest holds which. A partition belongs to at
 * most one guest, for as long as the machine runs (its restarts
 * included), so two guests can never share one. */
#ifndef DRIVERS_DISK_PART_H
#define DRIVERS_DISK_PART_H
#include <stdint.h>
#include "drivers/blkdev.h"

struct disk_part {
    struct blk_dev *disk;
    uint64_t first, sectors;        /* on the disk */
    uint32_t number;
    char label[48];                 /* "sata0p2 'data-web'", for the log */
    char owner[16];                 /* the guest's name; "" when free */
};

/* Reads and logs the partition table of every registered disk. */
void disk_parts_scan(void);
/* Looks the partition up without claiming it: 0, or -1 with why. */
int disk_part_find(const char *spec, struct disk_part *out, char *why, uint32_t why_len);
/* The partition "sataN:NAME", "nvmeN:NUMBER", ... names, given to guest;
 * NULL with why filled when there is none or another guest has it. */
struct disk_part *disk_part_claim(const char *spec, const char *guest, char *why, uint32_t why_len);

#endif
