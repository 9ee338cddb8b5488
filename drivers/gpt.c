/* GPT reader: see gpt.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "drivers/u64dec.h"
#include "drivers/gpt.h"
#include "drivers/crc32.h"

#define SECTOR 512u
#define HDR_MIN 92u

struct hdr {
    uint64_t my_lba, alt_lba, first_usable, last_usable, entries_lba;
    uint32_t nentries, entry_size, entries_crc;
};

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static uint8_t sector_buf[SECTOR];
static uint8_t entries[GPT_ENTRIES_MAX_BYTES];  /* boot time, one CPU */

/* Reads and checks the header at lba; 0, or -1 with why set. */
static int read_header(gpt_read_fn rd, void *ctx, uint64_t disk, uint64_t lba, struct hdr *h, char *why,
                       uint32_t n)
{
    if (rd(ctx, lba, 1, sector_buf)) {
        snprintf(why, n, "read error at LBA %s", U64(lba));
        return -1;
    }
    const uint8_t *p = sector_buf;
    if (memcmp(p, "EFI PART", 8) != 0) {
        snprintf(why, n, "no GPT signature at LBA %s", U64(lba));
        return -1;
    }
    uint32_t size = le32(p + 12);
    if (size < HDR_MIN || size > SECTOR) {
        snprintf(why, n, "header size %lu at LBA %s", (unsigned long)size, U64(lba));
        return -1;
    }
    uint32_t want = le32(p + 16);
    uint8_t copy[SECTOR];
    memcpy(copy, p, size);
    memset(copy + 16, 0, 4);
    uint32_t got = crc32_update(0, copy, size);
    if (got != want) {
        snprintf(why, n, "header CRC 0x%08lx at LBA %s, computed 0x%08lx", (unsigned long)want,
                 U64(lba), (unsigned long)got);
        return -1;
    }
    h->my_lba = le64(p + 24);
    h->alt_lba = le64(p + 32);
    h->first_usable = le64(p + 40);
    h->last_usable = le64(p + 48);
    h->entries_lba = le64(p + 72);
    h->nentries = le32(p + 80);
    h->entry_size = le32(p + 84);
    h->entries_crc = le32(p + 88);
    if (h->my_lba != lba) {
        snprintf(why, n, "header at LBA %s says it is at LBA %s", U64(lba),
                 U64(h->my_lba));
        return -1;
    }
    if (h->entry_size < 128 || h->entry_size % 8 || h->nentries == 0 ||
        (uint64_t)h->nentries * h->entry_size > GPT_ENTRIES_MAX_BYTES) {
        snprintf(why, n, "bad entry size %lu or count %lu (at most %u bytes of entries)",
                 (unsigned long)h->entry_size, (unsigned long)h->nentries, GPT_ENTRIES_MAX_BYTES);
        return -1;
    }
    uint32_t bytes = h->nentries * h->entry_size, secs = (bytes + SECTOR - 1) / SECTOR;
    if (h->first_usable > h->last_usable || h->last_usable >= disk) {
        snprintf(why, n, "usable area %s-%s not inside the disk's %s sectors",
                 U64(h->first_usable), U64(h->last_usable),
                 U64(disk));
        return -1;
    }
    /* the entry array lies outside the usable area and off the header */
    uint64_t e = h->entries_lba;
    bool before = e >= 2 && e + secs <= h->first_usable;
    bool after = e > h->last_usable && e + secs <= disk && (e + secs <= lba || e > lba);
    if (e == lba || !(before || after)) {
        snprintf(why, n, "entry array at LBA %s (%lu sectors) overlaps the header or the usable area",
                 U64(e), (unsigned long)secs);
        return -1;
    }
    if (rd(ctx, e, secs, entries)) {
        snprintf(why, n, "read error in the entry array at LBA %s", U64(e));
        return -1;
    }
    got = crc32_update(0, entries, bytes);
    if (got != h->entries_crc) {
        snprintf(why, n, "entry array CRC 0x%08lx, computed 0x%08lx", (unsigned long)h->entries_crc,
                 (unsigned long)got);
        return -1;
    }
    return 0;
}

static void name_of(const uint8_t *p, char out[GPT_NAME_MAX])
{
    uint32_t i = 0;
    for (; i < GPT_NAME_MAX - 1; i++) {
        uint16_t c = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
        if (!c)
            break;
        out[i] = c >= 0x20 && c < 0x7F ? (char)c : '?';
    }
    out[i] = 0;
}

static bool all_zero(const uint8_t *p, uint32_t n)
{
    while (n--)
        if (*p++)
            return false;
    return true;
}

int gpt_parse(gpt_read_fn rd, gpt_warn_fn warn, void *ctx, uint64_t disk, struct gpt_table *t, char *why,
              uint32_t why_len)
{
    char msg[200], bwhy[120];
    struct hdr h;
    memset(t, 0, sizeof(*t));
    if (disk < 3) {
        snprintf(why, why_len, "disk of %s sectors is too small for a GPT", U64(disk));
        return -1;
    }
    if (read_header(rd, ctx, disk, 1, &h, why, why_len)) {
        /* the primary's alternate LBA cannot be trusted: the backup is the last sector */
        if (read_header(rd, ctx, disk, disk - 1, &h, bwhy, sizeof(bwhy))) {
            snprintf(msg, sizeof(msg), "%s; backup: %s", why, bwhy);
            snprintf(why, why_len, "%s", msg);
            return -1;
        }
        snprintf(msg, sizeof(msg), "primary GPT header unusable (%s); using the backup at LBA %s", why,
                 U64((disk - 1)));
        warn(ctx, msg);
        t->from_backup = true;
    }
    uint32_t n = h.nentries;
    bool bad[GPT_MAX_PARTS] = { false };
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = entries + i * h.entry_size;
        if (all_zero(e, 16))
            continue;                                   /* unused entry */
        uint64_t first = le64(e + 32), last = le64(e + 40);
        if (i >= GPT_MAX_PARTS) {
            snprintf(msg, sizeof(msg), "partition %lu ignored: only %u are read", (unsigned long)(i + 1),
                     GPT_MAX_PARTS);
            warn(ctx, msg);
            continue;
        }
        struct gpt_part *p = &t->part[t->nparts];
        p->number = i + 1;
        name_of(e + 56, p->name);
        if (first > last || first < h.first_usable || last > h.last_usable) {
            snprintf(msg, sizeof(msg), "partition %lu '%s' (LBA %s-%s) is outside the usable area "
                     "%s-%s; left out", (unsigned long)p->number, p->name, U64(first),
                     U64(last), U64(h.first_usable),
                     U64(h.last_usable));
            warn(ctx, msg);
            continue;
        }
        p->first = first;
        p->sectors = last - first + 1;
        t->nparts++;
    }
    /* overlaps: both partitions are left out, since either could reach the other's data */
    for (uint32_t a = 0; a < t->nparts; a++)
        for (uint32_t b = a + 1; b < t->nparts; b++) {
            const struct gpt_part *x = &t->part[a], *y = &t->part[b];
            if (x->first < y->first + y->sectors && y->first < x->first + x->sectors) {
                snprintf(msg, sizeof(msg), "partitions %lu '%s' and %lu '%s' overlap; both left out",
                         (unsigned long)x->number, x->name, (unsigned long)y->number, y->name);
                warn(ctx, msg);
                bad[a] = bad[b] = true;
            }
        }
    uint32_t keep = 0;
    for (uint32_t i = 0; i < t->nparts; i++)
        if (!bad[i])
            t->part[keep++] = t->part[i];
    t->nparts = keep;
    return 0;
}

const struct gpt_part *gpt_find(const struct gpt_table *t, const char *sel)
{
    bool digits = *sel != 0;
    for (const char *c = sel; *c; c++)
        digits &= isdigit((unsigned char)*c) != 0;
    for (uint32_t i = 0; i < t->nparts; i++) {
        const struct gpt_part *p = &t->part[i];
        if (digits ? strlen(sel) < 10 && p->number == (uint32_t)strtoul(sel, 0, 10) : strcmp(p->name, sel) == 0)
            return p;
    }
    return 0;
}
