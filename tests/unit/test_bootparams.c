/* sources: kernel/lguest/bootparams.c */
/* The boot_params page and the command line at GPA 0x1000. Expected pages
 * are written out byte by byte from lguest-abi.md 1.3 with literal offsets,
 * independent of the constants the module uses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/lguest/bootparams.h"
#include "tests/unit/check.h"

#define MIB 0x100000u

static uint8_t page[4096];
static uint8_t want[4096];
static uint8_t ram[64 * 1024];
static char err[160];

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The page ABI 1.3 describes, everything else zero. */
static void expected_page(uint32_t mem, uint32_t initrd_gpa, uint32_t initrd_len)
{
    memset(want, 0, sizeof(want));
    want[0x1E8] = 1;                            /* e820_entries */
    put_le(want + 0x206, 0x0207, 2);            /* version */
    if (initrd_len) {
        want[0x210] = 0xFF;                     /* type_of_loader */
        put_le(want + 0x218, initrd_gpa, 4);    /* ramdisk_image */
        put_le(want + 0x21C, initrd_len, 4);    /* ramdisk_size */
    }
    want[0x211] = 0x40;                         /* loadflags: KEEP_SEGMENTS */
    put_le(want + 0x228, 0x1000, 4);            /* cmd_line_ptr */
    put_le(want + 0x230, 0x01000000, 4);        /* kernel_alignment */
    put_le(want + 0x23C, 1, 4);                 /* hardware_subarch: lguest */
    put_le(want + 0x2D0, 0, 8);                 /* e820_map[0].addr */
    put_le(want + 0x2D8, mem, 8);               /* e820_map[0].size */
    put_le(want + 0x2E0, 1, 4);                 /* e820_map[0].type: RAM */
}

/* Offset of the first byte where page and want differ, or -1. */
static long first_diff(void)
{
    for (long i = 0; i < (long)sizeof(page); i++)
        if (page[i] != want[i])
            return i;
    return -1;
}

static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* ---- boot_params ---- */

static void bp_without_initrd(void)
{
    memset(page, 0xAA, sizeof(page));           /* stale bytes must all go */
    build_boot_params(page, 64 * MIB, 0x3F00000, 0);
    expected_page(64 * MIB, 0, 0);
    CHECK_EQ(first_diff(), -1);
    CHECK_EQ(page[0x210], 0);                   /* no initrd: type_of_loader 0 */
    CHECK_EQ(get32(page + 0x218), 0);
    CHECK_EQ(page[0x1EF], 0);                   /* sentinel */
}

static void bp_with_initrd(void)
{
    memset(page, 0x55, sizeof(page));
    build_boot_params(page, 64 * MIB, 0x3FED000, 0x12345);
    expected_page(64 * MIB, 0x3FED000, 0x12345);
    CHECK_EQ(first_diff(), -1);
    CHECK_EQ(page[0x210], 0xFF);
    CHECK_EQ(get32(page + 0x218), 0x3FED000);
    CHECK_EQ(get32(page + 0x21C), 0x12345);     /* exact, not page-rounded */
}

/* The e820 record at 0x2D0 is packed and little-endian; sizes near 4 GiB
 * must not spill into the high half or the type. */
static void bp_e820_entry_layout(void)
{
    memset(page, 0xFF, sizeof(page));
    build_boot_params(page, 0xFFF00000u, 0, 0);
    static const uint8_t rec[20] = {
        0, 0, 0, 0, 0, 0, 0, 0,                 /* addr 0 */
        0x00, 0x00, 0xF0, 0xFF, 0, 0, 0, 0,     /* size 0xFFF00000 */
        1, 0, 0, 0,                             /* E820_RAM */
    };
    CHECK(memcmp(page + 0x2D0, rec, sizeof(rec)) == 0);
    CHECK_EQ(page[0x2E4], 0);                   /* no second record */
    CHECK_EQ(page[0x1E8], 1);
    expected_page(0xFFF00000u, 0, 0);
    CHECK_EQ(first_diff(), -1);
}

/* ---- the command line ---- */

static void ram_fill(void) { memset(ram, 0xAA, sizeof(ram)); }

static int ram_is(uint32_t from, uint32_t to, uint8_t v)
{
    for (uint32_t i = from; i < to; i++)
        if (ram[i] != v)
            return 0;
    return 1;
}

static char *repeat(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = 0;
    return buf;
}

static void cmdline_copied_and_padded(void)
{
    const char *line = "console=hvc0 root=/dev/vda ro";
    ram_fill();
    CHECK_EQ(write_cmdline(ram, 64 * MIB, line, err), 0);
    CHECK_STR((const char *)ram + 0x1000, line);
    CHECK(ram_is(0x1000 + strlen(line), 0x1800, 0));   /* NUL and padding */
    CHECK(ram_is(0, 0x1000, 0xAA));
    CHECK(ram_is(0x1800, sizeof(ram), 0xAA));
}

static void cmdline_empty(void)
{
    ram_fill();
    CHECK_EQ(write_cmdline(ram, 64 * MIB, "", err), 0);
    CHECK(ram_is(0x1000, 0x1800, 0));
    CHECK(ram_is(0x1800, sizeof(ram), 0xAA));
}

/* 2047 characters and the NUL fill the 2048 bytes the guest copies. */
static void cmdline_length_limits(void)
{
    static char line[5001];
    ram_fill();
    CHECK_EQ(write_cmdline(ram, 64 * MIB, repeat(line, 'a', 2047), err), 0);
    CHECK(ram_is(0x1000, 0x17FF, 'a'));
    CHECK_EQ(ram[0x17FF], 0);
    CHECK_EQ(ram[0x1800], 0xAA);
    ram_fill();
    CHECK_EQ(write_cmdline(ram, 64 * MIB, repeat(line, 'a', 2048), err), -1);
    CHECK_STR(err, "guest command line is 2048 characters long; the guest reads at most 2047 "
              "plus the terminating NUL");
    CHECK_EQ(write_cmdline(ram, 64 * MIB, repeat(line, 'b', 5000), err), -1);
    CHECK_CONTAINS(err, "is 5000 characters long");
    CHECK(ram_is(0, sizeof(ram), 0xAA));
}

#define CHECK_MEM_REJECTED(line, word) do { \
    ram_fill(); \
    CHECK_EQ(write_cmdline(ram, 64 * MIB, (line), err), -1); \
    CHECK_CONTAINS(err, "word \"" word "\" is not allowed: mem="); \
    CHECK(ram_is(0, sizeof(ram), 0xAA)); \
} while (0)

/* A word starting with mem=, wherever it is and however it is separated;
 * the kernel also takes a word opening with a quote as a parameter. */
static void cmdline_rejects_mem_word(void)
{
    CHECK_MEM_REJECTED("mem=64M", "mem=64M");
    CHECK_MEM_REJECTED("root=/dev/vda mem=1G ro", "mem=1G");
    CHECK_MEM_REJECTED("quiet\tmem=512M\n", "mem=512M");
    CHECK_MEM_REJECTED("\"mem=1\"", "\"mem=1\"");
    CHECK_MEM_REJECTED("a=\"x y\" mem=2", "mem=2");
    CHECK_MEM_REJECTED("mem=", "mem=");
    static char line[80];
    memcpy(line, "mem=", 4);
    repeat(line + 4, '9', 60);
    CHECK_MEM_REJECTED(line, "mem=99999999999999999999999999999999999999999999...");
}

/* Other parameters that merely contain "mem", and mem= inside a quoted
 * value (part of another parameter to the kernel), are fine. */
static void cmdline_accepts_lookalikes(void)
{
    const char *line = "nomem=1 foo_mem=2 xmem=3 memory=4 mem MEM=5 a=\"b mem=6\" c=mem=7";
    ram_fill();
    CHECK_EQ(write_cmdline(ram, 64 * MIB, line, err), 0);
    CHECK_STR((const char *)ram + 0x1000, line);
}

/* GPA 0x1000-0x17FF must be RAM; exactly that much is enough. */
static void cmdline_needs_room(void)
{
    ram_fill();
    CHECK_EQ(write_cmdline(ram, 0x17FF, "quiet", err), -1);
    CHECK_STR(err, "guest memory (0x17ff bytes) has no room for the command line at GPA "
              "0x1000-0x17ff");
    CHECK(ram_is(0, sizeof(ram), 0xAA));
    CHECK_EQ(write_cmdline(ram, 0x1800, "quiet", err), 0);
    CHECK_STR((const char *)ram + 0x1000, "quiet");
}

int main(void)
{
    RUN(bp_without_initrd);
    RUN(bp_with_initrd);
    RUN(bp_e820_entry_layout);
    RUN(cmdline_copied_and_padded);
    RUN(cmdline_empty);
    RUN(cmdline_length_limits);
    RUN(cmdline_rejects_mem_word);
    RUN(cmdline_accepts_lookalikes);
    RUN(cmdline_needs_room);
    return CHECK_EXIT_STATUS();
}
