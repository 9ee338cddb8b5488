/* A guest's disk: a GRUB module, served from the memory GRUB loaded it into.
 * It belongs to the guest's configuration, not to one run of the guest,
 * so what the guest writes survives its restarts. */
#ifndef DRIVERS_RAMDISK_H
#define DRIVERS_RAMDISK_H
#include <stdint.h>
#include "kernel/bootinfo.h"

struct ramdisk {
    uint8_t *data;
    uint64_t size;              /* bytes: whole 512-byte sectors */
    uint64_t reads, writes, flushes, read_bytes, written_bytes;
};

/* Serves module m in place; NULL (logged) when it is empty or too many. */
struct ramdisk *ramdisk_create(const struct boot_module *m, const char *guest_name);

#endif
