/* Ramdisks: see ramdisk.h. The disk is served in place from the module's
 * own memory: memory.c reserves every module's frames for good, so a copy
 * would only make a disk cost its size twice. */
#include "drivers/ramdisk.h"
#include "kernel/log.h"

#define MAX_DISKS 64             /* one per guest (MAX_GUESTS) */
static struct ramdisk disks[MAX_DISKS];
static uint32_t ndisks;

struct ramdisk *ramdisk_create(const struct boot_module *m, const char *guest_name)
{
    uint32_t len = m->end - m->start;
    uint32_t size = len & ~511u;
    if (!size) {
        log_err("guest %s: disk module is %lu bytes, less than one sector", guest_name, (unsigned long)len);
        return 0;
    }
    if (ndisks == MAX_DISKS) {
        log_err("guest %s: more than %d disks", guest_name, MAX_DISKS);
        return 0;
    }
    struct ramdisk *d = &disks[ndisks++];
    d->data = (uint8_t *)m->start;
    d->size = size;
    if (len != size)
        log_warn("guest %s: disk module is %lu bytes; the last %lu (a partial sector) are ignored",
                 guest_name, (unsigned long)len, (unsigned long)(len - size));
    log_info("guest %s: disk of %lu sectors (%lu KiB), served in place at host 0x%08lx", guest_name,
             (unsigned long)(size / 512), (unsigned long)(size >> 10), (unsigned long)m->start);
    return d;
}
