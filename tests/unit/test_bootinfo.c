/* sources: kernel/bootinfo.c kernel/diag.c */
/* Multiboot2 and multiboot1 boot information, well formed and malformed.
 * Images are copied into heap blocks of exactly their size, so any read past
 * what the loader wrote is caught by AddressSanitizer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kernel/bootinfo.h"
#include "tests/unit/check.h"

static struct boot_info bi;

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t ptr32(const void *p) { return (uint32_t)(uintptr_t)p; }

static char *repeat(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = 0;
    return buf;
}

/* ---- a multiboot2 image builder ---- */

static uint8_t mb2[1 << 16] __attribute__((aligned(8)));
static uint32_t mb2len;

static void mb2_begin(void)
{
    memset(mb2, 0, sizeof(mb2));
    mb2len = 8;
}

/* A tag whose size field says size, holding plen bytes of payload. */
static void mb2_raw_tag(uint32_t type, uint32_t size, const void *payload, uint32_t plen)
{
    put32(mb2 + mb2len, type);
    put32(mb2 + mb2len + 4, size);
    if (plen)
        memcpy(mb2 + mb2len + 8, payload, plen);
    mb2len += (8 + plen + 7) & ~7u;
}

static void mb2_tag(uint32_t type, const void *payload, uint32_t plen)
{
    mb2_raw_tag(type, 8 + plen, payload, plen);
}

static void mb2_str(uint32_t type, const char *s) { mb2_tag(type, s, strlen(s) + 1); }
static void mb2_end(void) { mb2_tag(0, NULL, 0); }

static void mb2_module(uint32_t start, uint32_t end, const char *s)
{
    static uint8_t p[16384];
    put32(p, start);
    put32(p + 4, end);
    strcpy((char *)p + 8, s);
    mb2_tag(3, p, 8 + strlen(s) + 1);
}

struct ent { uint64_t base, len; uint32_t type; };

/* A memory map tag with entries of esize bytes (24 is the standard size). */
static void mb2_mmap(uint32_t esize, const struct ent *e, uint32_t n)
{
    static uint8_t p[8 + 200 * 64];
    memset(p, 0xEE, sizeof(p));
    put32(p, esize);
    put32(p + 4, 0);
    for (uint32_t i = 0; i < n; i++) {
        put64(p + 8 + i * esize, e[i].base);
        put64(p + 8 + i * esize + 8, e[i].len);
        put32(p + 8 + i * esize + 16, e[i].type);
        put32(p + 8 + i * esize + 20, 0);
    }
    mb2_tag(6, p, 8 + n * esize);
}

/* Parses the image with the given total_size (0: the honest size). The copy
 * holds total_size bytes when that is plausible, so reads past it trap. */
static int mb2_parse(uint32_t total)
{
    if (!total)
        total = mb2len;
    put32(mb2, total);
    uint32_t n = total <= sizeof(mb2) ? total : mb2len;
    uint8_t *copy = malloc(n);
    memcpy(copy, mb2, n);
    memset(&bi, 0xAA, sizeof(bi));
    int r = bootinfo_parse(MB2_BOOT_MAGIC, copy, &bi);
    free(copy);
    return r;
}

/* ---- multiboot1 ---- */

struct mb1 {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4], mmap_length, mmap_addr, drives_length, drives_addr;
    uint32_t config_table, boot_loader_name;
};
_Static_assert(offsetof(struct mb1, boot_loader_name) == 64, "multiboot1 layout");
_Static_assert(offsetof(struct mb1, mmap_length) == 44, "multiboot1 layout");

/* An mb1 memory map entry; size excludes the size field itself. */
static uint32_t mb1_ent(uint8_t *p, uint32_t size, uint64_t base, uint64_t len, uint32_t type)
{
    put32(p, size);
    put64(p + 4, base);
    put64(p + 12, len);
    put32(p + 20, type);
    return size + 4;
}

static int mb1_parse(const struct mb1 *mi)
{
    memset(&bi, 0xAA, sizeof(bi));
    return bootinfo_parse(MB1_BOOT_MAGIC, mi, &bi);
}

/* Heap copy of a string, so reading past its NUL is caught. */
static uint32_t heap_str(const char *s) { return ptr32(strdup(s)); }
static void free_str(uint32_t p) { free((void *)(uintptr_t)p); }

/* ---- multiboot2 cases ---- */

static void mb2_well_formed(void)
{
    static const struct ent map[] = {
        { 0, 0x9FC00, 1 }, { 0xF0000, 0x10000, 2 }, { 0x100000, 0x7EE0000, 1 },
        { 0x100000000ull, 0x40000000ull, 1 },
    };
    mb2_begin();
    mb2_str(1, "console=com2 pci=off");
    mb2_str(2, "GRUB 2.06");
    mb2_module(0x200000, 0x280000, "guest.elf root=/dev/vda");
    mb2_module(0x300000, 0x300000, "");
    mb2_mmap(24, map, 4);
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.protocol, 2);
    CHECK_STR(bi.cmdline, "console=com2 pci=off");
    CHECK_STR(bi.loader, "GRUB 2.06");
    CHECK_EQ(bi.nmodules, 2);
    CHECK_EQ(bi.modules[0].start, 0x200000);
    CHECK_EQ(bi.modules[0].end, 0x280000);
    CHECK_STR(bi.modules[0].string, "guest.elf root=/dev/vda");
    CHECK_EQ(bi.modules[1].start, 0x300000);
    CHECK_EQ(bi.modules[1].end, 0x300000);
    CHECK_STR(bi.modules[1].string, "");
    CHECK_EQ(bi.nmmap, 4);
    for (uint32_t i = 0; i < 4; i++) {
        CHECK_EQ(bi.mmap[i].base, map[i].base);
        CHECK_EQ(bi.mmap[i].len, map[i].len);
        CHECK_EQ(bi.mmap[i].type, map[i].type);
    }
    CHECK_EQ(bi.warnings.n, 0);
}

static void mb2_unknown_tags_and_padding(void)
{
    uint8_t junk[13];
    memset(junk, 0x11, sizeof(junk));
    mb2_begin();
    mb2_tag(4, junk, 8);                /* basic meminfo: not ours */
    mb2_tag(21, junk, 13);              /* odd size: the next tag is padded to 8 */
    mb2_tag(1000, junk, 0);
    mb2_str(1, "pci");
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_STR(bi.cmdline, "pci");
    CHECK_EQ(bi.nmmap, 0);
    CHECK_EQ(bi.nmodules, 0);
    CHECK_EQ(bi.warnings.n, 0);
}

/* A string that fills its tag with no NUL ends at the tag, not at a later
 * NUL in the padding or the next tag. */
static void mb2_string_without_nul_bounded(void)
{
    mb2_begin();
    mb2_tag(1, "hello", 5);
    memset(mb2 + mb2len - 3, 'X', 3);  /* dirty padding */
    mb2_tag(2, "grub", 4);
    mb2_tag(3, "\0\0\x10\0\0\0\x20\0mod", 11);
    memset(mb2 + mb2len - 5, 'Y', 5);
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_STR(bi.cmdline, "hello");
    CHECK_STR(bi.loader, "grub");
    CHECK_EQ(bi.nmodules, 1);
    CHECK_STR(bi.modules[0].string, "mod");
    CHECK_EQ(bi.warnings.n, 0);

    mb2_begin();
    mb2_tag(1, NULL, 0);                /* a size-8 string tag is the empty string */
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_STR(bi.cmdline, "");
}

static void mb2_long_strings_kept(void)
{
    static char s[3000];
    mb2_begin();
    mb2_str(1, repeat(s, 'c', 2000));
    mb2_str(2, repeat(s, 'l', 100));
    mb2_module(1, 2, repeat(s, 'm', 2500));
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_STR(bi.cmdline, repeat(s, 'c', 2000));          /* whole, not cut at 1023 */
    CHECK_STR(bi.loader, repeat(s, 'l', sizeof(bi.loader) - 1));
    CHECK_STR(bi.modules[0].string, repeat(s, 'm', 2500));  /* whole, not cut at 255 */
    CHECK_EQ(bi.warnings.n, 0);
}

/* Past the limit: the command line loses whole words from the end, the
 * module its string, and each says so; nothing is cut silently. */
static void mb2_strings_over_the_limit(void)
{
    static char line[10000], mod[9000];
    size_t n = 0;
    while (n + 6 < sizeof(line) - 1) {
        memcpy(line + n, "lo=12 ", 6);
        n += 6;
    }
    line[n] = 0;
    mb2_begin();
    mb2_str(1, line);
    mb2_module(1, 2, repeat(mod, 'm', 8500));
    mb2_module(3, 4, "kernel name=b");
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    size_t kept = strlen(bi.cmdline);
    CHECK(kept < BOOT_STRING_MAX && kept > BOOT_STRING_MAX - 8);
    CHECK(kept % 6 == 5);                                  /* ends on a whole "lo=12" */
    CHECK_STR(bi.modules[0].string, "");
    CHECK_STR(bi.modules[1].string, "kernel name=b");
    CHECK_EQ(bi.warnings.n, 2);
    CHECK_CONTAINS(bi.warnings.msg[0], "command line of 9996 characters is longer than the 8191 allowed");
    CHECK_CONTAINS(bi.warnings.msg[1], "module 0: its string of 8500 characters is longer than the 8191 allowed");
}

static void mb2_total_size_invalid(void)
{
    static const uint32_t bad[] = { 8, 15, (1u << 20) + 1, 0xFFFFFFFFu };
    char want[96];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mb2_begin();
        mb2_str(1, "pci=off");
        mb2_end();
        CHECK_EQ(mb2_parse(bad[i]), 0);
        CHECK_EQ(bi.protocol, 2);
        CHECK_STR(bi.cmdline, "");
        CHECK_EQ(bi.warnings.n, 1);
        snprintf(want, sizeof(want), "boot information size %lu is invalid", (unsigned long)bad[i]);
        CHECK_STR(bi.warnings.msg[0], want);
    }
}

/* Both ends of the accepted range: only an end tag, and exactly 1 MiB. */
static void mb2_total_size_limits(void)
{
    mb2_begin();
    mb2_end();
    CHECK_EQ(mb2len, 16);
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.warnings.n, 0);
    CHECK_EQ(bi.nmmap, 0);

    uint32_t total = 1u << 20;
    uint8_t *big = calloc(1, total);
    put32(big, total);
    put32(big + 8, 1);                  /* cmdline "a" */
    put32(big + 12, 10);
    big[16] = 'a';
    put32(big + 24, 99);                /* filler up to the end tag */
    put32(big + 28, total - 24 - 8);
    put32(big + total - 8, 0);
    put32(big + total - 4, 8);
    memset(&bi, 0xAA, sizeof(bi));
    CHECK_EQ(bootinfo_parse(MB2_BOOT_MAGIC, big, &bi), 0);
    CHECK_STR(bi.cmdline, "a");
    CHECK_EQ(bi.warnings.n, 0);
    free(big);
}

static void mb2_tag_size_below_8(void)
{
    mb2_begin();
    mb2_str(1, "kept");
    mb2_raw_tag(2, 4, "lost", 4);
    mb2_str(2, "never reached");
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_STR(bi.cmdline, "kept");
    CHECK_STR(bi.loader, "");
    CHECK_EQ(bi.warnings.n, 1);
    CHECK_STR(bi.warnings.msg[0], "tag 2 has invalid size 4; rest of boot information ignored");
}

static void mb2_tag_size_beyond_total(void)
{
    mb2_begin();
    mb2_str(1, "kept");
    mb2_raw_tag(6, 1000, "\x18\0\0\0\0\0\0\0", 8);     /* a map that runs off the end */
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_STR(bi.cmdline, "kept");
    CHECK_EQ(bi.nmmap, 0);
    CHECK_EQ(bi.warnings.n, 1);
    CHECK_STR(bi.warnings.msg[0], "tag 6 has invalid size 1000; rest of boot information ignored");

    /* one byte more than what is left is too much, exactly what is left is not */
    mb2_begin();
    mb2_raw_tag(1, 17, "0123456789", 10);
    CHECK_EQ(mb2_parse(24), 0);
    CHECK_STR(bi.cmdline, "");
    CHECK_EQ(bi.warnings.n, 1);
    CHECK_STR(bi.warnings.msg[0], "tag 1 has invalid size 17; rest of boot information ignored");
    mb2_begin();
    mb2_raw_tag(1, 16, "01234567", 8);
    CHECK_EQ(mb2_parse(24), 0);
    CHECK_STR(bi.cmdline, "01234567");
    CHECK_EQ(bi.warnings.n, 1);
    CHECK_STR(bi.warnings.msg[0], "boot information has no end tag (size 24)");
}

/* Tags run to total_size with no end tag: keep what was read, say so. */
static void mb2_missing_end_tag(void)
{
    mb2_begin();
    mb2_str(1, "abc");
    mb2_str(2, "loader");
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_STR(bi.cmdline, "abc");
    CHECK_STR(bi.loader, "loader");
    CHECK_EQ(bi.warnings.n, 1);
    char want[96];
    snprintf(want, sizeof(want), "boot information has no end tag (size %lu)", (unsigned long)mb2len);
    CHECK_STR(bi.warnings.msg[0], want);
}

/* total_size ends inside a tag's header: the header is never read. */
static void mb2_truncated_tag_header(void)
{
    mb2_begin();
    mb2_str(1, "abc");                  /* 16 bytes at 8..24 */
    mb2_str(2, "loader");               /* 24..40, cut at 28 */
    CHECK_EQ(mb2_parse(28), 0);
    CHECK_STR(bi.cmdline, "abc");
    CHECK_STR(bi.loader, "");
    CHECK_EQ(bi.warnings.n, 1);
    CHECK_STR(bi.warnings.msg[0], "boot information has no end tag (size 28)");

    /* cut inside the first tag's payload: its size no longer fits */
    mb2_begin();
    mb2_str(1, "abcdefghijk");          /* size 20 */
    CHECK_EQ(mb2_parse(24), 0);
    CHECK_STR(bi.cmdline, "");
    CHECK_STR(bi.warnings.msg[0], "tag 1 has invalid size 20; rest of boot information ignored");
}

static void mb2_mmap_invalid_entry_size(void)
{
    static const struct ent e[] = { { 0x100000, 0x100000, 1 } };
    mb2_begin();
    mb2_mmap(20, e, 1);
    mb2_mmap(4097, e, 1);
    mb2_raw_tag(6, 12, "\x18\0\0\0", 4);
    mb2_str(1, "after");
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.nmmap, 0);
    CHECK_EQ(bi.warnings.n, 3);
    CHECK_STR(bi.warnings.msg[0], "memory map entry size 20 is invalid");
    CHECK_STR(bi.warnings.msg[1], "memory map entry size 4097 is invalid");
    CHECK_STR(bi.warnings.msg[2], "memory map tag of 12 bytes is too short");
    /* a bad map is skipped, not the rest of the information */
    CHECK_STR(bi.cmdline, "after");
}

/* Newer loaders may use bigger entries; a partial last entry is dropped. */
static void mb2_mmap_entry_stride(void)
{
    static const struct ent e[] = {
        { 0x1000, 0x2000, 1 }, { 0x100000, 0x300000, 3 }, { 0x500000, 0x100, 4 },
    };
    mb2_begin();
    mb2_mmap(40, e, 3);
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.nmmap, 3);
    CHECK_EQ(bi.mmap[1].base, 0x100000);
    CHECK_EQ(bi.mmap[1].len, 0x300000);
    CHECK_EQ(bi.mmap[1].type, 3);
    CHECK_EQ(bi.mmap[2].base, 0x500000);
    CHECK_EQ(bi.mmap[2].type, 4);

    /* 16 + 24 + 23 bytes: the second entry is one byte short */
    mb2_begin();
    uint8_t p[8 + 47];
    memset(p, 0, sizeof(p));
    put32(p, 24);
    put64(p + 8, 0x100000);
    put64(p + 16, 0x1000);
    put32(p + 24, 1);
    put64(p + 32, 0x200000);
    put64(p + 40, 0x1000);
    mb2_tag(6, p, sizeof(p));
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.nmmap, 1);
    CHECK_EQ(bi.mmap[0].base, 0x100000);
    CHECK_EQ(bi.warnings.n, 0);
}

static void mb2_mmap_empty_and_wrapping_entries(void)
{
    static const struct ent e[] = {
        { 0x100000, 0, 1 },                             /* dropped */
        { 0xFFFFFFFFFFFFF000ull, 0x2000, 2 },           /* clamped at the top */
        { 0x200000, 0x1000, 1 },
    };
    mb2_begin();
    mb2_mmap(24, e, 3);
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.nmmap, 2);
    CHECK_EQ(bi.mmap[0].base, 0xFFFFFFFFFFFFF000ull);
    CHECK_EQ(bi.mmap[0].len, 0xFFF);
    CHECK(bi.mmap[0].base + bi.mmap[0].len >= bi.mmap[0].base);
    CHECK_EQ(bi.mmap[1].base, 0x200000);
    CHECK_EQ(bi.warnings.n, 0);
}

static void mb2_too_many_mmap_entries(void)
{
    static struct ent e[BOOT_MAX_MMAP + 2];
    for (uint32_t i = 0; i < BOOT_MAX_MMAP + 2; i++)
        e[i] = (struct ent){ 0x100000ull * (i + 1), 0x1000, 1 + i % 5 };
    mb2_begin();
    mb2_mmap(24, e, BOOT_MAX_MMAP + 2);
    mb2_str(1, "after");
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.nmmap, BOOT_MAX_MMAP);
    CHECK_EQ(bi.mmap[BOOT_MAX_MMAP - 1].base, 0x100000ull * BOOT_MAX_MMAP);
    CHECK_EQ(bi.mmap[BOOT_MAX_MMAP - 1].type, 1 + (BOOT_MAX_MMAP - 1) % 5);
    CHECK(bi.warnings.n >= 1);
    CHECK_STR(bi.warnings.msg[0], "memory map: more than 128 entries, rest ignored");
    CHECK_STR(bi.cmdline, "after");
}

static void mb2_module_errors(void)
{
    mb2_begin();
    mb2_module(0x300000, 0x2FFFFF, "backwards");
    mb2_raw_tag(3, 12, "\0\0\x10\0", 4);
    mb2_module(0x400000, 0x401000, "ok");
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.nmodules, 1);
    CHECK_STR(bi.modules[0].string, "ok");
    CHECK_EQ(bi.modules[0].start, 0x400000);
    CHECK_EQ(bi.warnings.n, 2);
    CHECK_STR(bi.warnings.msg[0], "module at 0x300000 ends before it starts (0x2fffff), ignored");
    CHECK_STR(bi.warnings.msg[1], "module tag of 12 bytes is too short");

    /* exactly 16 bytes: a module with an empty name */
    mb2_begin();
    mb2_raw_tag(3, 16, "\0\0\x10\0\0\0\x20\0", 8);
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.nmodules, 1);
    CHECK_EQ(bi.modules[0].start, 0x100000);
    CHECK_EQ(bi.modules[0].end, 0x200000);
    CHECK_STR(bi.modules[0].string, "");
}

static void mb2_too_many_modules(void)
{
    mb2_begin();
    for (uint32_t i = 0; i < BOOT_MAX_MODULES + 3; i++) {
        char name[16];
        snprintf(name, sizeof(name), "m%lu", (unsigned long)i);
        mb2_module(0x1000000 + i * 0x1000, 0x1000000 + i * 0x1000 + 0x800, name);
    }
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.nmodules, BOOT_MAX_MODULES);
    CHECK_STR(bi.modules[BOOT_MAX_MODULES - 1].string, "m255");
    CHECK_EQ(bi.modules[BOOT_MAX_MODULES - 1].end, 0x1000000 + 255 * 0x1000 + 0x800);
    CHECK(bi.warnings.n >= 1);
    CHECK_STR(bi.warnings.msg[0], "more than 256 modules, rest ignored");
    /* three modules too many: one warning, so later ones still fit */
    CHECK_EQ(bi.warnings.n, 1);
    CHECK_EQ(bi.modules_dropped, 3);
}

static void warnings_bounded(void)
{
    mb2_begin();
    for (uint32_t i = 0; i < DIAG_MAX + 4; i++)
        mb2_module(0x1000 + i, 0, "bad");
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.nmodules, 0);
    CHECK_EQ(bi.warnings.n, DIAG_MAX);
    CHECK_EQ(bi.warnings.dropped, 4);                      /* counted, for the log to say */
    char last[96];
    snprintf(last, sizeof(last), "module at 0x%x ends before it starts (0x0), ignored",
             0x1000 + DIAG_MAX - 1);
    CHECK_STR(bi.warnings.msg[DIAG_MAX - 1], last);
}

static void unknown_magic_and_null_info(void)
{
    uint8_t junk[64] __attribute__((aligned(8)));
    memset(junk, 0, sizeof(junk));
    put32(junk, 16);
    static const uint32_t magics[] = { 0, 0x1BADB002u, 0xE85250D6u, 0x36D76288u };
    for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
        memset(&bi, 0xAA, sizeof(bi));
        CHECK_EQ(bootinfo_parse(magics[i], junk, &bi), -1);
        CHECK_EQ(bi.protocol, 0);
        CHECK_EQ(bi.nmmap, 0);
        CHECK_EQ(bi.warnings.n, 0);
        CHECK_STR(bi.cmdline, "");
    }
    static const uint32_t good[] = { MB2_BOOT_MAGIC, MB1_BOOT_MAGIC };
    for (size_t i = 0; i < 2; i++) {
        memset(&bi, 0xAA, sizeof(bi));
        CHECK_EQ(bootinfo_parse(good[i], NULL, &bi), -1);
        CHECK_EQ(bi.protocol, 0);
        CHECK_EQ(bi.nmodules, 0);
        CHECK_STR(bi.loader, "");
    }
}

/* ---- multiboot1 cases ---- */

static void mb1_well_formed(void)
{
    uint8_t map[3 * 24];
    uint32_t n = 0;
    n += mb1_ent(map + n, 20, 0, 0x9FC00, 1);
    n += mb1_ent(map + n, 20, 0xF0000, 0x10000, 2);
    n += mb1_ent(map + n, 20, 0x100000, 0x7EE0000, 1);
    uint32_t mods[2][4] = {
        { 0x200000, 0x280000, heap_str("guest.elf quiet"), 0 },
        { 0x300000, 0x310000, 0, 0 },
    };
    struct mb1 mi = {
        .flags = 0x001 | 0x004 | 0x008 | 0x040 | 0x200,
        .mem_lower = 639, .mem_upper = 130048,
        .cmdline = heap_str("/boot/lgvisor.elf console=com2 pci=off"),
        .mods_count = 2, .mods_addr = ptr32(mods),
        .mmap_length = n, .mmap_addr = ptr32(map),
        .boot_loader_name = heap_str("GNU GRUB 0.97"),
    };
    CHECK_EQ(mb1_parse(&mi), 0);
    CHECK_EQ(bi.protocol, 1);
    CHECK_STR(bi.cmdline, "console=com2 pci=off");
    CHECK_STR(bi.loader, "GNU GRUB 0.97");
    /* with a map, mem_lower/mem_upper are not used */
    CHECK_EQ(bi.nmmap, 3);
    CHECK_EQ(bi.mmap[1].base, 0xF0000);
    CHECK_EQ(bi.mmap[1].len, 0x10000);
    CHECK_EQ(bi.mmap[1].type, 2);
    CHECK_EQ(bi.mmap[2].base, 0x100000);
    CHECK_EQ(bi.mmap[2].len, 0x7EE0000);
    CHECK_EQ(bi.nmodules, 2);
    CHECK_EQ(bi.modules[0].start, 0x200000);
    CHECK_EQ(bi.modules[0].end, 0x280000);
    /* multiboot1 module strings begin with the file's path, which is dropped */
    CHECK_STR(bi.modules[0].string, "quiet");
    CHECK_STR(bi.modules[1].string, "");
    CHECK_EQ(bi.warnings.n, 0);
    free_str(mi.cmdline);
    free_str(mi.boot_loader_name);
    free_str(mods[0][2]);
}

static void mb1_image_path_stripped(void)
{
    static const struct { const char *in, *out; } c[] = {
        { "/boot/lgvisor.elf console=com2", "console=com2" },
        { "  /boot/lgvisor.elf   loglevel=debug  pci", "loglevel=debug  pci" },
        { "/boot/lgvisor.elf", "" },
        { "lgvisor", "" },
        { "console=com2 pci", "console=com2 pci" },     /* no path: keep all */
        { "", "" },
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct mb1 mi = { .flags = 0x004, .cmdline = heap_str(c[i].in) };
        CHECK_EQ(mb1_parse(&mi), 0);
        CHECK_STR(bi.cmdline, c[i].out);
        free_str(mi.cmdline);
    }
}

/* Fields whose flag bit is clear are not there, whatever they hold. */
static void mb1_flags_gate_fields(void)
{
    uint8_t map[24];
    mb1_ent(map, 20, 0x100000, 0x100000, 1);
    uint32_t mod[4] = { 0x200000, 0x201000, 0, 0 };
    struct mb1 mi = {
        .flags = 0, .mem_lower = 639, .mem_upper = 1024,
        .cmdline = heap_str("/k pci"), .mods_count = 1, .mods_addr = ptr32(mod),
        .mmap_length = 24, .mmap_addr = ptr32(map), .boot_loader_name = heap_str("x"),
    };
    CHECK_EQ(mb1_parse(&mi), 0);
    CHECK_EQ(bi.protocol, 1);
    CHECK_STR(bi.cmdline, "");
    CHECK_STR(bi.loader, "");
    CHECK_EQ(bi.nmmap, 0);
    CHECK_EQ(bi.nmodules, 0);
    free_str(mi.cmdline);
    free_str(mi.boot_loader_name);

    /* a set flag with a null pointer is not followed */
    struct mb1 z = { .flags = 0x004 | 0x200 };
    CHECK_EQ(mb1_parse(&z), 0);
    CHECK_STR(bi.cmdline, "");
    CHECK_STR(bi.loader, "");
    CHECK_EQ(bi.warnings.n, 0);
}

static void mb1_mem_fallback(void)
{
    struct mb1 mi = { .flags = 0x001, .mem_lower = 639, .mem_upper = 130048 };
    CHECK_EQ(mb1_parse(&mi), 0);
    CHECK_EQ(bi.nmmap, 2);
    CHECK_EQ(bi.mmap[0].base, 0);
    CHECK_EQ(bi.mmap[0].len, 639 * 1024);
    CHECK_EQ(bi.mmap[0].type, MMAP_AVAILABLE);
    CHECK_EQ(bi.mmap[1].base, 0x100000);
    CHECK_EQ(bi.mmap[1].len, 130048ull * 1024);
    CHECK_EQ(bi.mmap[1].type, MMAP_AVAILABLE);

    /* mem_upper is 32 bits of KiB: up to 4 TiB, no overflow */
    mi.mem_upper = 0xFFFFFFFFu;
    CHECK_EQ(mb1_parse(&mi), 0);
    CHECK_EQ(bi.mmap[1].len, 0xFFFFFFFFull * 1024);
}

/* size excludes itself; bigger entries are stepped over, a short tail is
 * ignored. */
static void mb1_mmap_entry_sizes(void)
{
    uint8_t *map = malloc(24 + 28 + 24 + 23);
    uint32_t n = 0;
    n += mb1_ent(map + n, 20, 0x100000, 0x1000, 1);
    n += mb1_ent(map + n, 24, 0x200000, 0x2000, 3);
    memset(map + n - 4, 0xEE, 4);               /* the extra (ACPI 3) field */
    n += mb1_ent(map + n, 20, 0x300000, 0x3000, 4);
    memset(map + n, 0, 23);                     /* less than one entry */
    struct mb1 mi = { .flags = 0x040, .mmap_length = n + 23, .mmap_addr = ptr32(map) };
    CHECK_EQ(mb1_parse(&mi), 0);
    CHECK_EQ(bi.nmmap, 3);
    CHECK_EQ(bi.mmap[1].base, 0x200000);
    CHECK_EQ(bi.mmap[1].len, 0x2000);
    CHECK_EQ(bi.mmap[1].type, 3);
    CHECK_EQ(bi.mmap[2].base, 0x300000);
    CHECK_EQ(bi.mmap[2].type, 4);
    CHECK_EQ(bi.warnings.n, 0);
    free(map);
}

static void mb1_mmap_bad_entry_size(void)
{
    uint8_t map[3 * 24];
    uint32_t n = 0;
    n += mb1_ent(map + n, 20, 0x100000, 0x1000, 1);
    n += mb1_ent(map + n, 16, 0x200000, 0x2000, 1);
    n += mb1_ent(map + n, 20, 0x300000, 0x3000, 1);
    struct mb1 mi = { .flags = 0x040, .mmap_length = n, .mmap_addr = ptr32(map) };
    CHECK_EQ(mb1_parse(&mi), 0);
    CHECK_EQ(bi.nmmap, 1);
    CHECK_EQ(bi.mmap[0].base, 0x100000);
    CHECK_EQ(bi.warnings.n, 1);
    CHECK_STR(bi.warnings.msg[0], "memory map entry size 16 is invalid");
}

/* Runs fn in a child, so a hang cannot stop the run: fn's result, or -1 if
 * the child hung for secs or died. */
static int in_child(int (*fn)(void), unsigned secs)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        alarm(secs);
        _exit(fn());
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

/* 0 if every oversized entry is rejected with a warning; else 1 + the index
 * of the size that was not. */
static int parse_oversized_entries(void)
{
    /* 0xFFFFFFFC + 4 wraps the offset back onto the same entry (a hang);
     * 0xFFFFFFF0 + 4 wraps it to just before the map (a wild read); 45
     * simply runs past the 48-byte map. */
    static const uint32_t sizes[] = { 0xFFFFFFFCu, 0xFFFFFFF0u, 45 };
    static uint8_t map[48];
    for (uint32_t i = 0; i < 3; i++) {
        mb1_ent(map, sizes[i], 0x100000, 0x1000, 1);
        mb1_ent(map + 24, 20, 0x200000, 0x1000, 1);
        struct mb1 mi = { .flags = 0x040, .mmap_length = 48, .mmap_addr = ptr32(map) };
        char want[96];
        snprintf(want, sizeof(want), "memory map entry size %lu is invalid", (unsigned long)sizes[i]);
        if (mb1_parse(&mi) != 0 || bi.nmmap != 0 || bi.warnings.n != 1 ||
            strcmp(bi.warnings.msg[0], want) != 0)
            return 1 + (int)i;
    }
    return 0;
}

/* An entry size larger than what is left of the map must be rejected like
 * any other bad size, not wrap the offset. -1: hung or crashed. */
static void mb1_mmap_huge_entry_size_terminates(void)
{
    CHECK_EQ(in_child(parse_oversized_entries, 2), 0);
}

/* "/boot/m " + text: a module string as multiboot1 loaders give it. */
static char *with_path(const char *text)
{
    static char buf[700];
    snprintf(buf, sizeof(buf), "/boot/m %s", text);
    return buf;
}

static void mb1_modules(void)
{
    static char s[600];
    uint32_t mods[4][4] = {
        { 0x200000, 0x1FF000, heap_str("backwards"), 0 },
        { 0x300000, 0x300000, 0, 0 },
        { 0x400000, 0x500000, heap_str(with_path(repeat(s, 'n', 500))), 0 },
        { 0x600000, 0x601000, heap_str("/boot/x last"), 0 },
    };
    struct mb1 mi = { .flags = 0x008, .mods_count = 4, .mods_addr = ptr32(mods) };
    CHECK_EQ(mb1_parse(&mi), 0);
    CHECK_EQ(bi.nmodules, 3);
    CHECK_EQ(bi.modules[0].start, 0x300000);
    CHECK_STR(bi.modules[0].string, "");
    CHECK_STR(bi.modules[1].string, repeat(s, 'n', 500));
    CHECK_EQ(bi.modules[2].end, 0x601000);
    CHECK_STR(bi.modules[2].string, "last");
    CHECK_EQ(bi.warnings.n, 1);
    CHECK_STR(bi.warnings.msg[0], "module at 0x200000 ends before it starts (0x1ff000), ignored");
    for (int i = 0; i < 4; i++)
        if (mods[i][2])
            free_str(mods[i][2]);

    /* mods_count without the flag: nothing */
    mi.flags = 0;
    CHECK_EQ(mb1_parse(&mi), 0);
    CHECK_EQ(bi.nmodules, 0);
}

static void mb1_too_many_modules(void)
{
    static uint32_t mods[BOOT_MAX_MODULES + 8][4];
    for (uint32_t i = 0; i < BOOT_MAX_MODULES + 8; i++) {
        mods[i][0] = 0x1000000 + i * 0x10000;
        mods[i][1] = mods[i][0] + 0x8000;
        mods[i][2] = 0;
    }
    struct mb1 mi = { .flags = 0x008, .mods_count = BOOT_MAX_MODULES + 8, .mods_addr = ptr32(mods) };
    CHECK_EQ(mb1_parse(&mi), 0);
    CHECK_EQ(bi.nmodules, BOOT_MAX_MODULES);
    CHECK_EQ(bi.modules[BOOT_MAX_MODULES - 1].start, 0x1000000 + 255 * 0x10000);
    CHECK(bi.warnings.n >= 1);
    CHECK_STR(bi.warnings.msg[0], "more than 256 modules, rest ignored");
}

static void mb1_long_strings_kept(void)
{
    static char s[5000], want[3100];
    char *cmd = malloc(6000);
    snprintf(cmd, 6000, "/boot/lgvisor.elf %s", repeat(s, 'c', 3000));
    struct mb1 mi = { .flags = 0x004 | 0x200, .cmdline = ptr32(cmd),
                      .boot_loader_name = heap_str(repeat(s, 'l', 300)) };
    CHECK_EQ(mb1_parse(&mi), 0);
    CHECK_STR(bi.cmdline, repeat(want, 'c', 3000));
    CHECK_STR(bi.loader, repeat(want, 'l', sizeof(bi.loader) - 1));
    free(cmd);
    free_str(mi.boot_loader_name);
}

static void mmap_type_names(void)
{
    CHECK_STR(mmap_type_name(1), "available");
    CHECK_STR(mmap_type_name(2), "reserved");
    CHECK_STR(mmap_type_name(3), "ACPI reclaimable");
    CHECK_STR(mmap_type_name(4), "ACPI NVS");
    CHECK_STR(mmap_type_name(5), "bad RAM");
    CHECK_STR(mmap_type_name(0), "reserved (other)");
    CHECK_STR(mmap_type_name(6), "reserved (other)");
    CHECK_STR(mmap_type_name(0xFFFFFFFFu), "reserved (other)");
}

/* ---- ACPI RSDP copies (tags 14 and 15) ---- */

static void rsdp_bytes(uint8_t *p, uint32_t n, uint8_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i);
}

static void mb2_acpi_old_tag(void)
{
    uint8_t r[20];
    rsdp_bytes(r, sizeof(r), 1);
    mb2_begin();
    mb2_tag(14, r, sizeof(r));
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.rsdp_kind, BOOT_RSDP_OLD);
    CHECK_EQ(bi.rsdp_len, 20);
    CHECK(memcmp(bi.rsdp, r, 20) == 0);
    CHECK_EQ(bi.warnings.n, 0);
}

static void mb2_acpi_new_wins_in_either_order(void)
{
    uint8_t old[20], new[36];
    rsdp_bytes(old, sizeof(old), 1);
    rsdp_bytes(new, sizeof(new), 100);
    for (int order = 0; order < 2; order++) {
        mb2_begin();
        if (order == 0)
            mb2_tag(14, old, sizeof(old));
        mb2_tag(15, new, sizeof(new));
        if (order == 1)
            mb2_tag(14, old, sizeof(old));
        mb2_end();
        CHECK_EQ(mb2_parse(0), 0);
        CHECK_EQ(bi.rsdp_kind, BOOT_RSDP_NEW);
        CHECK_EQ(bi.rsdp_len, 36);
        CHECK(memcmp(bi.rsdp, new, 36) == 0);
        CHECK_EQ(bi.warnings.n, 0);
    }
}

static void mb2_acpi_long_copy_bounded(void)
{
    uint8_t big[200];
    rsdp_bytes(big, sizeof(big), 7);
    mb2_begin();
    mb2_tag(15, big, sizeof(big));
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.rsdp_kind, BOOT_RSDP_NEW);
    CHECK_EQ(bi.rsdp_len, BOOT_RSDP_MAX);
    CHECK(memcmp(bi.rsdp, big, BOOT_RSDP_MAX) == 0);
}

static void mb2_acpi_short_tags_ignored(void)
{
    uint8_t r[36];
    rsdp_bytes(r, sizeof(r), 3);
    mb2_begin();
    mb2_tag(14, r, 19);
    mb2_tag(15, r, 35);
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.rsdp_kind, BOOT_RSDP_NONE);
    CHECK_EQ(bi.rsdp_len, 0);
    CHECK_EQ(bi.warnings.n, 2);
    CHECK_STR(bi.warnings.msg[0], "ACPI old RSDP tag of 19 bytes is too short; ignored");
    CHECK_STR(bi.warnings.msg[1], "ACPI new RSDP tag of 35 bytes is too short; ignored");
    /* a short new tag does not displace a good old one */
    mb2_begin();
    mb2_tag(14, r, 20);
    mb2_tag(15, r, 30);
    mb2_end();
    CHECK_EQ(mb2_parse(0), 0);
    CHECK_EQ(bi.rsdp_kind, BOOT_RSDP_OLD);
    CHECK_EQ(bi.rsdp_len, 20);
}

static void mb1_has_no_rsdp(void)
{
    struct mb1 mi = { 0 };
    CHECK_EQ(mb1_parse(&mi), 0);
    CHECK_EQ(bi.rsdp_kind, BOOT_RSDP_NONE);
    CHECK_EQ(bi.rsdp_len, 0);
}

int main(void)
{
    RUN(mb2_well_formed);
    RUN(mb2_unknown_tags_and_padding);
    RUN(mb2_string_without_nul_bounded);
    RUN(mb2_long_strings_kept);
    RUN(mb2_strings_over_the_limit);
    RUN(mb2_total_size_invalid);
    RUN(mb2_total_size_limits);
    RUN(mb2_tag_size_below_8);
    RUN(mb2_tag_size_beyond_total);
    RUN(mb2_missing_end_tag);
    RUN(mb2_truncated_tag_header);
    RUN(mb2_mmap_invalid_entry_size);
    RUN(mb2_mmap_entry_stride);
    RUN(mb2_mmap_empty_and_wrapping_entries);
    RUN(mb2_too_many_mmap_entries);
    RUN(mb2_module_errors);
    RUN(mb2_too_many_modules);
    RUN(warnings_bounded);
    RUN(unknown_magic_and_null_info);
    RUN(mb1_well_formed);
    RUN(mb1_image_path_stripped);
    RUN(mb1_flags_gate_fields);
    RUN(mb1_mem_fallback);
    RUN(mb1_mmap_entry_sizes);
    RUN(mb1_mmap_bad_entry_size);
    RUN(mb1_mmap_huge_entry_size_terminates);
    RUN(mb1_modules);
    RUN(mb1_too_many_modules);
    RUN(mb1_long_strings_kept);
    RUN(mmap_type_names);
    RUN(mb2_acpi_old_tag);
    RUN(mb2_acpi_new_wins_in_either_order);
    RUN(mb2_acpi_long_copy_bounded);
    RUN(mb2_acpi_short_tags_ignored);
    RUN(mb1_has_no_rsdp);
    return CHECK_EXIT_STATUS();
}
