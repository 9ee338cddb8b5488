/* The GUID partition table of a disk (UEFI spec, chapter 5), read through
 * a callback so that it is pure logic (tests/unit/test_gpt.c). Nothing on
 * the disk is trusted: both headers' CRCs, their own LBA, the entry size
 * and count, the entry array's CRC and place; a partition outside the
 * usable area or overlapping another is left out with a warning (a guest
 * given it could reach data that is not its own). A corrupt primary
 * header falls back to the backup at the disk's last sector, with a
 * warning. Sectors are 512 bytes. */
#ifndef DRIVERS_GPT_H
#define DRIVERS_GPT_H
#include <stdbool.h>
#include <stdint.h>

#define GPT_MAX_PARTS 128
#define GPT_NAME_MAX 37             /* 36 UTF-16 code units, as ASCII, and a NUL */
#define GPT_ENTRIES_MAX_BYTES 65536 /* the entry array: 128 x 128 bytes is usual */

struct gpt_part {
    uint32_t number;                /* 1-based: the entry's index + 1 */
    uint64_t first, sectors;        /* LBA of its first sector; its length */
    char name[GPT_NAME_MAX];        /* non-ASCII characters as '?' */
};

struct gpt_table {
    uint32_t nparts;
    struct gpt_part part[GPT_MAX_PARTS];
    bool from_backup;
};

/* Reads count 512-byte sectors at lba into buf; 0, or -1 on an I/O error. */
typedef int (*gpt_read_fn)(void *ctx, uint64_t lba, uint32_t count, void *buf);
/* Told each problem that does not stop the table being used. */
typedef void (*gpt_warn_fn)(void *ctx, const char *msg);

/* 0 with *t filled (possibly no partitions), or -1 with why filled when
 * the disk has no usable GPT. */
int gpt_parse(gpt_read_fn rd, gpt_warn_fn warn, void *ctx, uint64_t disk_sectors, struct gpt_table *t,
              char *why, uint32_t why_len);
/* A partition by its name (exact) or, if sel is all digits, its number. */
const struct gpt_part *gpt_find(const struct gpt_table *t, const char *sel);

#endif
