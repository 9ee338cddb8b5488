/* Guest disks on SATA: the GPT partitions of every AHCI disk, read once
 * at boot, and which guest holds which. A partition belongs to at most
 * one guest, for as long as the machine runs (its restarts included),
 * so two guests can never share one. */
#ifndef DRIVERS_SATA_PART_H
#define DRIVERS_SATA_PART_H
#include <stdint.h>
#include "drivers/ahci.h"

struct sata_part {
    struct ahci_disk *disk;
    uint64_t first, sectors;        /* on the disk */
    uint32_t number;
    char label[48];                 /* "sata0p2 'data-web'", for the log */
    char owner[16];                 /* the guest's name; "" when free */
};

/* Reads and logs the partition table of every disk ahci_init found. */
void sata_parts_scan(void);
/* Looks the partition up without claiming it: 0, or -1 with why. */
int sata_part_find(const char *spec, struct sata_part *out, char *why, uint32_t why_len);
/* The partition "sataN:NAME" or "sataN:NUMBER" names, given to guest;
 * NULL with why filled when there is none or another guest has it. */
struct sata_part *sata_part_claim(const char *spec, const char *guest, char *why, uint32_t why_len);

#endif
