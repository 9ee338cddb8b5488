/* sources: drivers/gpt.c drivers/crc32.c */
/* The GPT reader against disks built here in memory: a good table, a
 * corrupt primary (the backup is used, with a warning), both corrupt,
 * partitions outside the usable area and overlapping ones left out,
 * no partitions at all, bad entry sizes and counts, a bad entry-array
 * CRC, names and numbers found, read errors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "drivers/crc32.h"
#include "drivers/gpt.h"
#include "tests/unit/check.h"

#define SECTORS 4096u
static uint8_t disk[SECTORS * 512];
static char warnings[2048];
static int nwarn;
static int fail_read_lba = -1;

static int rd(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    (void)ctx;
    if (lba + count > SECTORS)
        return -1;
    if (fail_read_lba >= 0 && (uint64_t)fail_read_lba >= lba && (uint64_t)fail_read_lba < lba + count)
        return -1;
    memcpy(buf, disk + lba * 512, count * 512);
    return 0;
}

static void warn(void *ctx, const char *msg)
{
    (void)ctx;
    nwarn++;
    strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
    strcat(warnings, "\n");
}

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

struct spec { uint64_t first, last; const char *name; uint32_t slot; };

static uint32_t nentries = 128, entry_size = 128;

/* Writes the entry array at lba and a header at hdr_lba. */
static void write_copy(uint64_t hdr_lba, uint64_t alt, uint64_t entries_lba, const uint8_t *ents)
{
    uint32_t bytes = nentries * entry_size;
    memcpy(disk + entries_lba * 512, ents, bytes);
    uint8_t *h = disk + hdr_lba * 512;
    memset(h, 0, 512);
    memcpy(h, "EFI PART", 8);
    put32(h + 8, 0x00010000);
    put32(h + 12, 92);
    put64(h + 24, hdr_lba);
    put64(h + 32, alt);
    put64(h + 40, 34);
    put64(h + 48, SECTORS - 34);
    put64(h + 72, entries_lba);
    put32(h + 80, nentries);
    put32(h + 84, entry_size);
    put32(h + 88, crc32_update(0, ents, bytes));
    put32(h + 16, crc32_update(0, h, 92));
}

static void build(const struct spec *s, int n)
{
    static uint8_t ents[65536];
    memset(disk, 0, sizeof(disk));
    memset(ents, 0, sizeof(ents));
    for (int i = 0; i < n; i++) {
        uint8_t *e = ents + s[i].slot * entry_size;
        memset(e, 0xAB, 16);                     /* a type GUID: used */
        e[16] = (uint8_t)i;
        put64(e + 32, s[i].first);
        put64(e + 40, s[i].last);
        for (size_t k = 0; k < strlen(s[i].name); k++)
            e[56 + 2 * k] = (uint8_t)s[i].name[k];
    }
    write_copy(1, SECTORS - 1, 2, ents);
    write_copy(SECTORS - 1, 1, SECTORS - 33, ents);
    warnings[0] = 0;
    nwarn = 0;
    fail_read_lba = -1;
}

static const struct spec three[] = {
    { 34, 1057, "boot", 0 }, { 1058, 2081, "data-web", 1 }, { 2082, 3000, "logs", 3 },
};

static struct gpt_table t;
static char why[200];

static void good_table(void)
{
    build(three, 3);
    CHECK_EQ(gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why)), 0);
    CHECK_EQ(t.nparts, 3);
    CHECK_EQ(nwarn, 0);
    CHECK(!t.from_backup);
    CHECK_STR(t.part[1].name, "data-web");
    CHECK_EQ(t.part[1].first, 1058);
    CHECK_EQ(t.part[1].sectors, 1024);
    CHECK_EQ(t.part[2].number, 4);              /* entry index 3 */
}

static void find_by_name_and_number(void)
{
    build(three, 3);
    CHECK_EQ(gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why)), 0);
    const struct gpt_part *p = gpt_find(&t, "data-web");
    CHECK(p && p->number == 2);
    p = gpt_find(&t, "4");
    CHECK(p && strcmp(p->name, "logs") == 0);
    CHECK(gpt_find(&t, "3") == 0);              /* an empty entry */
    CHECK(gpt_find(&t, "data") == 0);
    CHECK(gpt_find(&t, "") == 0);
    CHECK(gpt_find(&t, "99999999999999999999") == 0);
}

static void corrupt_primary_uses_backup(void)
{
    build(three, 3);
    disk[512 + 40] ^= 1;                        /* first_usable: the CRC no longer matches */
    CHECK_EQ(gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why)), 0);
    CHECK(t.from_backup);
    CHECK_EQ(t.nparts, 3);
    CHECK_EQ(nwarn, 1);
    CHECK_CONTAINS(warnings, "header CRC");
    CHECK_CONTAINS(warnings, "using the backup at LBA 4095");
}

static void primary_entries_crc_bad_uses_backup(void)
{
    build(three, 3);
    disk[2 * 512 + 56] ^= 0x20;                 /* a name byte in the primary array */
    CHECK_EQ(gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why)), 0);
    CHECK(t.from_backup);
    CHECK_CONTAINS(warnings, "entry array CRC");
    CHECK_STR(t.part[0].name, "boot");
}

static void primary_unreadable_uses_backup(void)
{
    build(three, 3);
    fail_read_lba = 1;
    CHECK_EQ(gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why)), 0);
    CHECK(t.from_backup);
    CHECK_CONTAINS(warnings, "read error");
}

static void both_corrupt(void)
{
    build(three, 3);
    disk[512 + 40] ^= 1;
    disk[(SECTORS - 1) * 512 + 40] ^= 1;
    CHECK_EQ(gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "header CRC");
    CHECK_CONTAINS(why, "backup:");
    CHECK_EQ(t.nparts, 0);
}

static void no_gpt(void)
{
    memset(disk, 0, sizeof(disk));
    CHECK_EQ(gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "no GPT signature");
}

static void past_the_end(void)
{
    static const struct spec s[] = { { 34, 100, "ok", 0 }, { 200, SECTORS + 10, "too-far", 1 },
                                     { 3000, 2000, "backwards", 2 }, { 10, 20, "in-header", 3 } };
    build(s, 4);
    CHECK_EQ(gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why)), 0);
    CHECK_EQ(t.nparts, 1);
    CHECK_STR(t.part[0].name, "ok");
    CHECK_EQ(nwarn, 3);
    CHECK_CONTAINS(warnings, "partition 2 'too-far'");
    CHECK_CONTAINS(warnings, "outside the usable area");
}

static void overlapping(void)
{
    static const struct spec s[] = { { 34, 1000, "a", 0 }, { 1000, 2000, "b", 1 }, { 2001, 3000, "c", 2 } };
    build(s, 3);
    CHECK_EQ(gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why)), 0);
    CHECK_EQ(t.nparts, 1);
    CHECK_STR(t.part[0].name, "c");
    CHECK_CONTAINS(warnings, "partitions 1 'a' and 2 'b' overlap");
}

static void zero_partitions(void)
{
    build(0, 0);
    CHECK_EQ(gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why)), 0);
    CHECK_EQ(t.nparts, 0);
    CHECK_EQ(nwarn, 0);
    CHECK(gpt_find(&t, "1") == 0);
}

/* Rewrites both headers' entry count and size (CRCs redone, so only the
 * values themselves can be refused). */
static void patch_entries(uint32_t count, uint32_t size)
{
    for (int c = 0; c < 2; c++) {
        uint8_t *h = disk + (c ? SECTORS - 1 : 1) * 512;
        put32(h + 80, count);
        put32(h + 84, size);
        put32(h + 16, 0);
        put32(h + 16, crc32_update(0, h, 92));
    }
}

static void bad_entry_size_and_count(void)
{
    static const uint32_t bad[][2] = { { 128, 100 }, { 128, 130 }, { 0, 128 }, { 100000, 128 },
                                       { 1024, 128 }, { 0xFFFFFFFF, 0xFFFFFFF8 } };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        build(three, 3);
        patch_entries(bad[i][0], bad[i][1]);
        int r = gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why));
        CHECK_EQ(r, -1);
        CHECK_CONTAINS(why, "bad entry size");
        CHECK_EQ(t.nparts, 0);
    }
}

static void entry_size_256_works(void)
{
    entry_size = 256;
    nentries = 64;
    build(three, 3);
    CHECK_EQ(gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why)), 0);
    CHECK_EQ(t.nparts, 3);
    CHECK_STR(t.part[2].name, "logs");
    entry_size = 128;
    nentries = 128;
}

static void names_non_ascii(void)
{
    build(three, 3);
    /* 'b' 'é' 'x' in UTF-16LE in entry 0 of both copies, CRCs redone */
    for (int c = 0; c < 2; c++) {
        uint64_t hdr = c ? SECTORS - 1 : 1, ents = c ? SECTORS - 33 : 2;
        uint8_t *e = disk + ents * 512 + 56;
        memset(e, 0, 72);
        e[0] = 'b'; e[2] = 0xE9; e[4] = 'x';
        uint8_t *h = disk + hdr * 512;
        put32(h + 88, crc32_update(0, disk + ents * 512, 128 * 128));
        put32(h + 16, 0);
        put32(h + 16, crc32_update(0, h, 92));
    }
    CHECK_EQ(gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why)), 0);
    CHECK_STR(t.part[0].name, "b?x");
}

static void header_lies_about_lba(void)
{
    build(three, 3);
    uint8_t *h = disk + 512;
    put64(h + 24, 7);
    put32(h + 16, 0);
    put32(h + 16, crc32_update(0, h, 92));
    CHECK_EQ(gpt_parse(rd, warn, 0, SECTORS, &t, why, sizeof(why)), 0);
    CHECK(t.from_backup);
    CHECK_CONTAINS(warnings, "says it is at LBA 7");
}

static void crc_known_value(void)
{
    CHECK_EQ(crc32_update(0, "123456789", 9), 0xCBF43926u);
}

int main(void)
{
    RUN(crc_known_value);
    RUN(good_table);
    RUN(find_by_name_and_number);
    RUN(corrupt_primary_uses_backup);
    RUN(primary_entries_crc_bad_uses_backup);
    RUN(primary_unreadable_uses_backup);
    RUN(both_corrupt);
    RUN(no_gpt);
    RUN(past_the_end);
    RUN(overlapping);
    RUN(zero_partitions);
    RUN(bad_entry_size_and_count);
    RUN(entry_size_256_works);
    RUN(names_non_ascii);
    RUN(header_lies_about_lba);
    return CHECK_EXIT_STATUS();
}
