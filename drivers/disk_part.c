/* Partitions of the hypervisor's disks: see disk_part.h. */
#include <stdio.h>
#include <string.h>
#include "drivers/u64dec.h"
#include "drivers/disk_part.h"
#include "drivers/gpt.h"
#include "kernel/log.h"

#define MAX_CLAIMS 64               /* one per guest */

static struct gpt_table tables[BLK_MAX_DEVS];
static bool have_table[BLK_MAX_DEVS];
static char table_why[BLK_MAX_DEVS][120];
static struct disk_part claims[MAX_CLAIMS];
static uint32_t nclaims;

static uint8_t bounce[65536] __attribute__((aligned(4096)));

static int rd(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    struct blk_dev *d = ctx;
    while (count) {
        uint32_t n = count < sizeof(bounce) / 512 ? count : sizeof(bounce) / 512;
        if (lba + n > d->sectors || d->ops->sync(d, BLK_READ, lba, n, bounce))
            return -1;
        memcpy(buf, bounce, n * 512);
        buf = (uint8_t *)buf + n * 512;
        lba += n;
        count -= n;
    }
    return 0;
}

static void warn(void *ctx, const char *msg)
{
    log_warn("%s: GPT: %s", ((struct blk_dev *)ctx)->name, msg);
}

void disk_parts_scan(void)
{
    for (uint32_t i = 0; i < blk_ndevs; i++) {
        struct blk_dev *d = blk_devs[i];
        struct gpt_table *t = &tables[i];
        if (gpt_parse(rd, warn, d, d->sectors, t, table_why[i], sizeof(table_why[i]))) {
            log_warn("%s: no usable GPT (%s); no guest can use it", d->name, table_why[i]);
            continue;
        }
        have_table[i] = true;
        log_info("%s: GPT%s, %lu partition(s)", d->name, t->from_backup ? " (from the backup header)" : "",
                 (unsigned long)t->nparts);
        for (uint32_t k = 0; k < t->nparts; k++) {
            const struct gpt_part *p = &t->part[k];
            log_info("%s: partition %lu '%s': LBA %s, %s sectors (%s MiB)", d->name,
                     (unsigned long)p->number, p->name, U64(p->first),
                     U64(p->sectors), U64((p->sectors >> 11)));
        }
    }
}

int disk_part_find(const char *spec, struct disk_part *out, char *why, uint32_t why_len)
{
    char disk[16];
    const char *colon = strchr(spec, ':');
    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(disk) || !colon[1]) {
        snprintf(why, why_len, "disk=%s is not sataN:NAME or sataN:NUMBER", spec);
        return -1;
    }
    memcpy(disk, spec, (size_t)(colon - spec));
    disk[colon - spec] = 0;
    struct blk_dev *d = blk_find(disk);
    if (!d) {
        const char *kind = strncmp(disk, "nvme", 4) == 0 ? "NVMe" : "SATA";
        snprintf(why, why_len, "disk=%s: there is no disk %s (%lu %s disk(s) found)", spec, disk,
                 (unsigned long)blk_count(kind), kind);
        return -1;
    }
    uint32_t di = 0;
    while (blk_devs[di] != d)
        di++;
    if (!have_table[di]) {
        snprintf(why, why_len, "disk=%s: %s has no usable GPT (%s)", spec, disk, table_why[di]);
        return -1;
    }
    const struct gpt_part *p = gpt_find(&tables[di], colon + 1);
    if (!p) {
        snprintf(why, why_len, "disk=%s: %s has no partition %s '%s'", spec, disk,
                 strspn(colon + 1, "0123456789") == strlen(colon + 1) ? "number" : "named", colon + 1);
        return -1;
    }
    memset(out, 0, sizeof(*out));
    out->disk = d;
    out->first = p->first;
    out->sectors = p->sectors;
    out->number = p->number;
    snprintf(out->label, sizeof(out->label), "%sp%lu '%s'", disk, (unsigned long)p->number, p->name);
    return 0;
}

struct disk_part *disk_part_claim(const char *spec, const char *guest, char *why, uint32_t why_len)
{
    struct disk_part p;
    if (disk_part_find(spec, &p, why, why_len))
        return 0;
    for (uint32_t i = 0; i < nclaims; i++)
        if (claims[i].disk == p.disk && claims[i].number == p.number) {
            snprintf(why, why_len, "disk=%s: partition %lu of %s is guest %s's already", spec,
                     (unsigned long)p.number, p.disk->name, claims[i].owner);
            return 0;
        }
    if (nclaims == MAX_CLAIMS) {
        snprintf(why, why_len, "disk=%s: more than %d disk partitions in use", spec, MAX_CLAIMS);
        return 0;
    }
    struct disk_part *c = &claims[nclaims++];
    *c = p;
    snprintf(c->owner, sizeof(c->owner), "%s", guest);
    return c;
}
