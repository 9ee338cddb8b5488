/* sources: kernel/lguest/loader.c */
/* The guest kernel loader: synthetic ELF vmlinux and bzImage files, loaded
 * into a RAM buffer pre-filled with 0xAA so that every byte written (and
 * every byte that must not be) shows. Each image is copied into a heap block
 * of exactly its length, so AddressSanitizer catches any read past the end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/lguest/loader.h"
#include "tests/unit/check.h"

#define MIB 0x100000u
#define MEM_SMALL (4 * MIB)
#define MEM_BIG (32 * MIB)
#define GUARD 0x10000u             /* bytes after mem that must stay 0xAA */

static uint8_t ram[MEM_BIG + GUARD];
static struct kernel_load k;

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void ram_fill(void) { memset(ram, 0xAA, sizeof(ram)); }

/* 1 if ram[from, to) is all 0xAA. */
static int ram_untouched(uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++)
        if (ram[i] != 0xAA)
            return 0;
    return 1;
}

/* 1 if ram[from, to) is all zero. */
static int ram_zero(uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++)
        if (ram[i])
            return 0;
    return 1;
}

/* Loads a copy of buf[0, len) held in a block of exactly len bytes. */
static int load(const uint8_t *buf, uint32_t len, uint32_t mem)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, buf, len);
    int rc = load_kernel(copy, len, ram, mem, &k);
    free(copy);
    return rc;
}

/* ---- an ELF builder ---- */

#define PT_NULL 0
#define PT_LOAD 1
#define PT_NOTE 4
#define PH_AT 52                   /* program headers right after the header */

struct seg { uint32_t type, offset, paddr, filesz, memsz; };

static uint8_t elf[0x20000];
static uint32_t elflen;

/* The byte segment i holds at position j, so copies can be checked. */
static uint8_t pattern(unsigned i, uint32_t j) { return (uint8_t)(0x11 * (i + 1) + j * 7); }

/* Builds an ELF32 i386 ET_EXEC with program headers s[0, n) (and nph - n
 * trailing PT_NULL ones); file data inside the buffer gets pattern(i, j).
 * The file ends after the last byte any header refers to. */
static void build_elf_n(uint32_t entry, const struct seg *s, unsigned n, unsigned nph)
{
    memset(elf, 0, sizeof(elf));
    memcpy(elf, "\x7f" "ELF", 4);
    elf[4] = 1;                     /* ELFCLASS32 */
    elf[5] = 1;                     /* little-endian */
    elf[6] = 1;                     /* EV_CURRENT */
    put16(elf + 16, 2);             /* ET_EXEC */
    put16(elf + 18, 3);             /* EM_386 */
    put32(elf + 20, 1);
    put32(elf + 24, entry);
    put32(elf + 28, PH_AT);
    put16(elf + 40, 52);
    put16(elf + 42, 32);
    put16(elf + 44, (uint16_t)nph);
    elflen = PH_AT + nph * 32;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *ph = elf + PH_AT + i * 32;
        put32(ph + 0, s[i].type);
        put32(ph + 4, s[i].offset);
        put32(ph + 8, 0xC0000000u + s[i].paddr);     /* p_vaddr: ignored */
        put32(ph + 12, s[i].paddr);
        put32(ph + 16, s[i].filesz);
        put32(ph + 20, s[i].memsz);
        put32(ph + 24, 7);
        put32(ph + 28, 0x1000);
        if (s[i].type != PT_LOAD || (uint64_t)s[i].offset + s[i].filesz > sizeof(elf))
            continue;
        for (uint32_t j = 0; j < s[i].filesz; j++)
            elf[s[i].offset + j] = pattern(i, j);
        if (s[i].offset + s[i].filesz > elflen)
            elflen = s[i].offset + s[i].filesz;
    }
}

static void build_elf(uint32_t entry, const struct seg *s, unsigned n)
{
    build_elf_n(entry, s, n, n);
}

/* One 0x200-byte segment with 0xE00 bytes of bss at 1 MiB. */
static void build_simple_elf(void)
{
    struct seg s[] = { { PT_LOAD, 0x1000, MIB, 0x200, 0x1000 } };
    build_elf(MIB + 0x10, s, 1);
}

/* 1 if segment i of s was copied to its paddr and zero-filled after. */
static int segment_loaded(const struct seg *s, unsigned i)
{
    for (uint32_t j = 0; j < s[i].filesz; j++)
        if (ram[s[i].paddr + j] != pattern(i, j))
            return 0;
    return ram_zero(s[i].paddr + s[i].filesz, s[i].paddr + s[i].memsz);
}

/* Loads elf[0, elflen) expecting rejection with a message containing want,
 * and nothing written to RAM. */
#define CHECK_ELF_REJECTED(mem, want) do { \
    ram_fill(); \
    CHECK_EQ(load(elf, elflen, (mem)), -1); \
    CHECK_CONTAINS(k.error, (want)); \
    CHECK(k.kind == 0); \
    CHECK(ram_untouched(0, (mem) + GUARD)); \
} while (0)

/* ---- ELF: accepted ---- */

static void elf_single_segment(void)
{
    build_simple_elf();
    struct seg s[] = { { PT_LOAD, 0x1000, MIB, 0x200, 0x1000 } };
    ram_fill();
    CHECK_EQ(load(elf, elflen, MEM_SMALL), 0);
    CHECK_STR(k.error, "");
    CHECK_STR(k.kind ? k.kind : "(null)", "ELF vmlinux");
    CHECK_EQ(k.entry, MIB + 0x10);
    CHECK_EQ(k.start, MIB);
    CHECK_EQ(k.end, MIB + 0x1000);
    CHECK_EQ(k.relocatable, 0);
    CHECK(segment_loaded(s, 0));
    CHECK(ram_untouched(0, MIB));
    CHECK(ram_untouched(MIB + 0x1000, MEM_SMALL + GUARD));
}

/* Segments out of address order, a pure-bss one, an empty PT_LOAD and
 * non-load headers whose (nonsense) fields must be ignored. */
static void elf_three_segments_and_others(void)
{
    struct seg s[] = {
        { PT_NULL, 0xFFFFFFFF, 0, 0xFFFFFFFF, 0 },
        { PT_LOAD, 0x1000, 0x300000, 0x100, 0x100 },
        { PT_NOTE, 0xFFFFF000, 0, 0x10000, 0x10000 },
        { PT_LOAD, 0x2000, MIB, 0x80, 0x2000 },
        { PT_LOAD, 0x3000, 0x200000, 0, 0x500 },
        { PT_LOAD, 0x3000, 0, 0, 0 },
    };
    build_elf(0x300004, s, 6);
    ram_fill();
    CHECK_EQ(load(elf, elflen, MEM_SMALL), 0);
    CHECK_STR(k.error, "");
    CHECK_EQ(k.entry, 0x300004);
    CHECK_EQ(k.start, MIB);
    CHECK_EQ(k.end, 0x300100);
    CHECK(segment_loaded(s, 1));
    CHECK(segment_loaded(s, 3));
    CHECK(segment_loaded(s, 4));
    CHECK(ram_untouched(0, MIB));
    CHECK(ram_untouched(MIB + 0x2000, 0x200000));
    CHECK(ram_untouched(0x200500, 0x300000));
    CHECK(ram_untouched(0x300100, MEM_SMALL + GUARD));
}

/* The limits themselves are allowed: 2048 headers, a segment starting at
 * 8 KiB and one ending exactly at the end of RAM. */
static void elf_boundaries_accepted(void)
{
    struct seg s[] = {
        { PT_LOAD, 0x11000, 0x2000, 0x10, 0x1000 },     /* after the 64 KiB of headers */
        { PT_LOAD, 0x12000, MEM_SMALL - 0x1000, 0x1000, 0x1000 },
    };
    build_elf_n(0x2000, s, 2, 2048);
    ram_fill();
    CHECK_EQ(load(elf, elflen, MEM_SMALL), 0);
    CHECK_STR(k.error, "");
    CHECK_EQ(k.start, 0x2000);
    CHECK_EQ(k.end, MEM_SMALL);
    CHECK(segment_loaded(s, 0));
    CHECK(segment_loaded(s, 1));
    CHECK(ram_untouched(0, 0x2000));
    CHECK(ram_untouched(MEM_SMALL, MEM_SMALL + GUARD));
}

/* ---- ELF: rejected ---- */

static void elf_truncated_header(void)
{
    build_simple_elf();
    ram_fill();
    CHECK_EQ(load(elf, 51, MEM_SMALL), -1);
    CHECK_CONTAINS(k.error, "ELF header truncated: the file is 51 bytes");
    CHECK_EQ(load(elf, 4, MEM_SMALL), -1);
    CHECK_CONTAINS(k.error, "the file is 4 bytes");
    CHECK(ram_untouched(0, MEM_SMALL + GUARD));
}

static void elf_rejects_class_and_encoding(void)
{
    build_simple_elf();
    elf[4] = 2;                     /* ELFCLASS64 */
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF class 2 is not ELFCLASS32");
    build_simple_elf();
    elf[5] = 2;                     /* big-endian */
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF data encoding 2 is not little-endian");
}

static void elf_rejects_type_and_machine(void)
{
    build_simple_elf();
    put16(elf + 16, 3);             /* ET_DYN */
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF type 3 is not ET_EXEC");
    build_simple_elf();
    put16(elf + 18, 62);            /* EM_X86_64 */
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF machine 62 is not EM_386");
}

static void elf_rejects_phentsize(void)
{
    build_simple_elf();
    put16(elf + 42, 56);
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF program header size 56 is not 32");
}

static void elf_rejects_phnum(void)
{
    build_simple_elf();
    put16(elf + 44, 0);
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF program header count 0 is not between 1 and 2048");
    struct seg s[] = { { PT_LOAD, 0x11000, MIB, 0x10, 0x10 } };
    build_elf_n(MIB, s, 1, 2049);
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF program header count 2049 is not");
}

static void elf_rejects_ph_table_outside_file(void)
{
    build_simple_elf();
    put32(elf + 28, elflen - 31);   /* one header, one byte short */
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF program header table (offset 0x11e1, 1 entries) extends past");
    build_simple_elf();
    put32(elf + 28, 0xFFFFFFF0);    /* offset + 32 wraps to 0x10 in 32 bits */
    CHECK_ELF_REJECTED(MEM_SMALL, "(offset 0xfffffff0, 1 entries) extends past the end of the 0x1200");
}

static void elf_rejects_filesz_over_memsz(void)
{
    struct seg s[] = { { PT_LOAD, 0x1000, MIB, 0x201, 0x200 } };
    build_elf(MIB, s, 1);
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF segment 0: p_filesz 0x201 is larger than p_memsz 0x200");
}

static void elf_rejects_segment_past_file_end(void)
{
    struct seg s[] = { { PT_LOAD, 0x1000, MIB, 0x200, 0x200 } };
    build_elf(MIB, s, 1);
    elflen--;
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF segment 0 (offset 0x1000, filesz 0x200) extends past the end "
                       "of the 0x11ff-byte file");
    /* offset + filesz = 0x1000 in 32 bits: inside the file unless done in 64 */
    struct seg w[] = { { PT_LOAD, 0xFFFFF000, MIB, 0x2000, 0x2000 } };
    build_elf(MIB, w, 1);
    elflen = 0x1000;
    CHECK_ELF_REJECTED(MEM_SMALL, "(offset 0xfffff000, filesz 0x2000) extends past");
}

static void elf_rejects_segment_outside_memory(void)
{
    struct seg s[] = { { PT_LOAD, 0x1000, MEM_SMALL - 0x1000, 0x10, 0x1001 } };
    build_elf(MEM_SMALL - 0x1000, s, 1);
    ram_fill();
    CHECK_EQ(load(elf, elflen, MEM_SMALL), -1);
    CHECK_STR(k.error, "ELF segment 0 (paddr 0x3ff000, memsz 0x1001) does not fit in 4 MiB of "
              "guest memory");
    /* paddr + memsz = 0x1000 in 32 bits */
    struct seg w[] = { { PT_LOAD, 0x1000, 0xFFFFF000, 0x10, 0x2000 } };
    build_elf(0xFFFFF000, w, 1);
    CHECK_ELF_REJECTED(MEM_SMALL, "(paddr 0xfffff000, memsz 0x2000) does not fit in 4 MiB");
    /* a size that is not whole MiB is shown exactly */
    CHECK_ELF_REJECTED(MEM_SMALL + 0x1000, "does not fit in 0x401000 bytes of guest memory");
}

static void elf_rejects_segment_over_low_8k(void)
{
    struct seg s[] = { { PT_LOAD, 0x1000, 0x1000, 0x10, 0x10 } };
    build_elf(0x1000, s, 1);
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF segment 0 (paddr 0x1000, memsz 0x10) overlaps GPA 0-0x1fff");
    struct seg z[] = { { PT_LOAD, 0x1000, 0, 0x10, 0x10 } };
    build_elf(0, z, 1);
    CHECK_ELF_REJECTED(MEM_SMALL, "(paddr 0x0, memsz 0x10) overlaps GPA 0-0x1fff");
    struct seg e[] = { { PT_LOAD, 0x1000, 0x1FFF, 0x10, 0x10 } };
    build_elf(0x1FFF, e, 1);
    CHECK_ELF_REJECTED(MEM_SMALL, "(paddr 0x1fff, memsz 0x10) overlaps");
}

/* The entry must be in bytes loaded from the file: not before a segment,
 * not in its zero-filled tail, not after it. */
static void elf_rejects_entry_outside_segments(void)
{
    struct seg s[] = { { PT_LOAD, 0x1000, MIB, 0x200, 0x1000 } };
    build_elf(MIB - 1, s, 1);
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF entry point 0xfffff is not inside the file-backed part of any "
                       "PT_LOAD segment (loaded range 0x100000-0x100fff)");
    build_elf(MIB + 0x200, s, 1);
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF entry point 0x100200 is not inside");
    build_elf(MIB + 0x1000, s, 1);
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF entry point 0x101000 is not inside");
}

static void elf_rejects_no_pt_load(void)
{
    struct seg s[] = { { PT_NULL, 0, 0, 0, 0 }, { PT_NOTE, 0x1000, MIB, 0x10, 0x10 } };
    build_elf(MIB, s, 2);
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF file has no PT_LOAD segment with a non-zero p_memsz among its "
                       "2 program headers");
    struct seg e[] = { { PT_LOAD, 0x1000, MIB, 0, 0 } };
    build_elf(MIB, e, 1);
    CHECK_ELF_REJECTED(MEM_SMALL, "has no PT_LOAD segment");
}

/* A bad later segment: nothing of the good earlier one may be copied. */
static void elf_rejection_leaves_ram_untouched(void)
{
    struct seg s[] = {
        { PT_LOAD, 0x1000, MIB, 0x100, 0x100 },
        { PT_LOAD, 0x2000, MEM_SMALL, 0x100, 0x100 },
    };
    build_elf(MIB, s, 2);
    CHECK_ELF_REJECTED(MEM_SMALL, "ELF segment 1 (paddr 0x400000, memsz 0x100) does not fit");
    CHECK_EQ(k.entry, 0);
    CHECK_EQ(k.end, 0);
}

/* ---- a bzImage builder ---- */

static uint8_t bz[0x10000];
static uint32_t bzlen;

static uint8_t bz_pattern(uint32_t j) { return (uint8_t)(j * 13 + 5); }

/* A bzImage with setup_sects sects (0 means 4), plen payload bytes and the
 * given header fields. The rest of the setup area is non-zero junk, so a
 * copy of it into RAM would show. */
static void build_bz(unsigned sects, uint32_t plen, uint16_t version, uint32_t code32, int reloc,
                     uint64_t pref, uint32_t init_size)
{
    uint32_t setup = ((sects ? sects : 4) + 1) * 512;
    memset(bz, 0x5A, setup);
    memset(bz + 0x1F1, 0, 0x264 - 0x1F1);
    bz[0x1F1] = (uint8_t)sects;
    put16(bz + 0x1FE, 0xAA55);
    memcpy(bz + 0x202, "HdrS", 4);
    put16(bz + 0x206, version);
    put32(bz + 0x214, code32);
    bz[0x234] = (uint8_t)reloc;
    put64(bz + 0x258, pref);
    put32(bz + 0x260, init_size);
    for (uint32_t j = 0; j < plen; j++)
        bz[setup + j] = bz_pattern(j);
    bzlen = setup + plen;
}

static int payload_loaded(uint32_t plen)
{
    for (uint32_t j = 0; j < plen; j++)
        if (ram[MIB + j] != bz_pattern(j))
            return 0;
    return 1;
}

#define CHECK_BZ_REJECTED(mem, want) do { \
    ram_fill(); \
    CHECK_EQ(load(bz, bzlen, (mem)), -1); \
    CHECK_CONTAINS(k.error, (want)); \
    CHECK(k.kind == 0); \
    CHECK(ram_untouched(0, (mem) + GUARD)); \
} while (0)

/* ---- bzImage: accepted ---- */

/* A 3.10-like header (protocol 2.12, relocatable, 16 MiB, init_size 4 MiB):
 * the range runs from the payload to the end of the unpacking area. */
static void bz_loads_payload(void)
{
    build_bz(3, 0x3000, 0x020C, MIB, 1, 16 * MIB, 4 * MIB);
    ram_fill();
    CHECK_EQ(load(bz, bzlen, MEM_BIG), 0);
    CHECK_STR(k.error, "");
    CHECK_STR(k.kind ? k.kind : "(null)", "bzImage");
    CHECK_EQ(k.entry, MIB);
    CHECK_EQ(k.start, MIB);
    CHECK_EQ(k.end, 20 * MIB);
    CHECK_EQ(k.relocatable, 1);
    CHECK(payload_loaded(0x3000));
    CHECK(ram_untouched(0, MIB));
    CHECK(ram_untouched(MIB + 0x3000, MEM_BIG + GUARD));
}

/* With no RAM the loader only plans: the same verdict and range, nothing
 * written (the caller zeroes that range first, then loads for real). */
static void plan_without_ram(void)
{
    build_bz(3, 0x3000, 0x020C, MIB, 1, 16 * MIB, 4 * MIB);
    uint8_t *copy = malloc(bzlen);
    memcpy(copy, bz, bzlen);
    CHECK_EQ(load_kernel(copy, bzlen, NULL, MEM_BIG, &k), 0);
    CHECK_STR(k.kind ? k.kind : "(null)", "bzImage");
    CHECK_EQ(k.start, MIB);
    CHECK_EQ(k.end, 20 * MIB);
    free(copy);
    build_simple_elf();
    copy = malloc(elflen);
    memcpy(copy, elf, elflen);
    CHECK_EQ(load_kernel(copy, elflen, NULL, MEM_SMALL, &k), 0);
    CHECK_STR(k.kind ? k.kind : "(null)", "ELF vmlinux");
    CHECK_EQ(k.start, MIB);
    CHECK_EQ(k.end, MIB + 0x1000);
    CHECK_EQ(load_kernel(copy, 3, NULL, MEM_SMALL, &k), -1);
    free(copy);
}

/* setup_sects 0 means 4; a 2.07 header says nothing about unpacking, so the
 * range is the payload alone. */
static void bz_setup_sects_zero_means_four(void)
{
    build_bz(0, 0x1234, 0x0207, MIB + 0x200, 1, 0, 0);
    CHECK_EQ(bzlen, 0xA00 + 0x1234);
    ram_fill();
    CHECK_EQ(load(bz, bzlen, MEM_SMALL), 0);
    CHECK_STR(k.error, "");
    CHECK_EQ(k.entry, MIB + 0x200);
    CHECK_EQ(k.start, MIB);
    CHECK_EQ(k.end, MIB + 0x1234);
    CHECK_EQ(k.relocatable, 1);
    CHECK(payload_loaded(0x1234));
    CHECK(ram_untouched(MIB + 0x1234, MEM_SMALL + GUARD));
}

/* Where the decompressor unpacks: pref_address if not relocatable, else
 * the load address rounded up to 16 MiB or pref_address if higher. */
static void bz_unpack_area(void)
{
    build_bz(1, 0x100, 0x020C, MIB, 1, 4 * MIB, 2 * MIB);
    CHECK_EQ(load(bz, bzlen, MEM_BIG), 0);
    CHECK_EQ(k.end, 18 * MIB);
    build_bz(1, 0x100, 0x020C, MIB, 1, 24 * MIB, 2 * MIB);
    CHECK_EQ(load(bz, bzlen, MEM_BIG), 0);
    CHECK_EQ(k.end, 26 * MIB);
    /* before protocol 2.10 those header bytes are not pref_address and
     * init_size, and must be ignored */
    build_bz(1, 0x100, 0x0209, MIB, 1, 16 * MIB, 2 * MIB);
    CHECK_EQ(load(bz, bzlen, MEM_BIG), 0);
    CHECK_EQ(k.end, MIB + 0x100);
    /* exactly filling RAM is fine, one byte more is not */
    build_bz(1, 0x100, 0x020C, MIB, 1, 16 * MIB, 16 * MIB);
    CHECK_EQ(load(bz, bzlen, MEM_BIG), 0);
    CHECK_EQ(k.end, MEM_BIG);
    build_bz(1, 0x100, 0x020C, MIB, 1, 16 * MIB, 16 * MIB + 1);
    CHECK_BZ_REJECTED(MEM_BIG, "bzImage unpacks itself into GPA 0x1000000-0x2000000 (init_size "
                      "0x1000001), which does not fit in 32 MiB of guest memory");
}

/* ---- bzImage: rejected ---- */

static void bz_rejects_old_version(void)
{
    build_bz(1, 0x100, 0x0206, MIB, 0, 0, 0);
    CHECK_BZ_REJECTED(MEM_SMALL, "bzImage boot protocol version 0x0206 is older than 0x0207");
}

static void bz_rejects_payload_too_big(void)
{
    build_bz(1, 0x8000, 0x0207, MIB, 1, 0, 0);
    ram_fill();
    CHECK_EQ(load(bz, bzlen, MIB + 0x8000), 0);    /* ends exactly at mem */
    CHECK_EQ(k.end, MIB + 0x8000);
    CHECK_BZ_REJECTED(MIB, "does not fit in 1 MiB of guest memory");
    build_bz(1, 0x8001, 0x0207, MIB, 0, 0, 0);     /* one byte too many */
    CHECK_BZ_REJECTED(MIB + 0x8000, "bzImage payload (0x8001 bytes at GPA 0x100000) does not fit "
                      "in 0x108000 bytes of guest memory");
}

static void bz_rejects_code32_start_outside_payload(void)
{
    build_bz(1, 0x100, 0x020C, MIB - 1, 0, 0, 0);
    CHECK_BZ_REJECTED(MEM_SMALL, "bzImage code32_start 0xfffff is outside its payload at GPA "
                      "0x100000-0x1000ff");
    build_bz(1, 0x100, 0x020C, MIB + 0x100, 0, 0, 0);
    CHECK_BZ_REJECTED(MEM_SMALL, "code32_start 0x100100 is outside");
    build_bz(1, 0x100, 0x020C, 0, 0, 0, 0);
    CHECK_BZ_REJECTED(MEM_SMALL, "code32_start 0x0 is outside");
}

static void bz_rejects_truncated(void)
{
    build_bz(1, 0x100, 0x020C, MIB, 0, 0, 0);
    bzlen = 0x206;                  /* just the magic */
    CHECK_BZ_REJECTED(MEM_SMALL, "bzImage truncated: the file is 0x206 bytes, its setup header "
                      "runs to 0x264");
    bzlen = 0x263;
    CHECK_BZ_REJECTED(MEM_SMALL, "bzImage truncated: the file is 0x263 bytes");
    bzlen = 0x400;                  /* setup exactly, no payload */
    CHECK_BZ_REJECTED(MEM_SMALL, "bzImage has no payload: setup_sects 1 puts it at file offset "
                      "0x400, but the file is 0x400 bytes");
    build_bz(1, 0x100, 0x020C, MIB, 0, 0, 0);
    bz[0x1F1] = 0xFF;               /* setup claims 128 KiB */
    CHECK_BZ_REJECTED(MEM_SMALL, "setup_sects 255 puts it at file offset 0x20000, but the file "
                      "is 0x500 bytes");
}

/* A bzImage built without CONFIG_RELOCATABLE is refused with the reason
 * (it was accepted silently, against the README's rule). */
static void bz_rejects_not_relocatable(void)
{
    build_bz(1, 0x100, 0x020C, MIB, 0, 16 * MIB, 2 * MIB);
    CHECK_BZ_REJECTED(MEM_BIG, "bzImage is not relocatable (relocatable_kernel is 0; it would run "
                      "only at its fixed address 0x1000000)");
    build_bz(1, 0x100, 0x020C, MIB, 1, 16 * MIB, 2 * MIB);
    CHECK_EQ(load(bz, bzlen, MEM_BIG), 0);
}

/* ---- neither ---- */

static void not_a_kernel(void)
{
    static uint8_t junk[0x1000];
    memset(junk, 0x5A, sizeof(junk));
    ram_fill();
    CHECK_EQ(load(junk, sizeof(junk), MEM_SMALL), -1);
    CHECK_STR(k.error, "not an ELF vmlinux or a bzImage: no ELF magic at offset 0 and no \"HdrS\" "
              "at 0x202 (file is 0x1000 bytes)");
    CHECK_EQ(load(junk, 0, MEM_SMALL), -1);
    CHECK_CONTAINS(k.error, "not an ELF vmlinux or a bzImage");
    CHECK_EQ(load((const uint8_t *)"\x7f" "EL", 3, MEM_SMALL), -1);
    CHECK_CONTAINS(k.error, "(file is 0x3 bytes)");
    /* "HdrS" cut short by the end of the file */
    memcpy(junk + 0x202, "HdrS", 4);
    CHECK_EQ(load(junk, 0x205, MEM_SMALL), -1);
    CHECK_CONTAINS(k.error, "not an ELF vmlinux or a bzImage");
    CHECK(k.kind == 0);
    CHECK(ram_untouched(0, MEM_SMALL + GUARD));
}

/* ---- initrd placement ---- */

static const struct kernel_load elf_k = { .entry = 0x1000000, .start = 0x1000000,
                                          .end = 0x1400000, .kind = "ELF vmlinux" };

static void initrd_at_top_of_ram(void)
{
    char err[160] = "";
    uint32_t gpa = 0;
    CHECK_EQ(place_initrd(1, MEM_BIG, &elf_k, &gpa, err), 0);
    CHECK_EQ(gpa, MEM_BIG - 0x1000);
    CHECK_EQ(place_initrd(0x1000, MEM_BIG, &elf_k, &gpa, err), 0);
    CHECK_EQ(gpa, MEM_BIG - 0x1000);
    CHECK_EQ(place_initrd(0x1001, MEM_BIG, &elf_k, &gpa, err), 0);
    CHECK_EQ(gpa, MEM_BIG - 0x2000);
    /* touching the kernel's end is not overlapping it */
    CHECK_EQ(place_initrd(MEM_BIG - 0x1400000, MEM_BIG, &elf_k, &gpa, err), 0);
    CHECK_EQ(gpa, 0x1400000);
    /* a kernel low down: the initrd may reach right down to its end */
    const struct kernel_load low = { .start = MIB, .end = 2 * MIB, .kind = "bzImage" };
    CHECK_EQ(place_initrd(MEM_BIG - 2 * MIB, MEM_BIG, &low, &gpa, err), 0);
    CHECK_EQ(gpa, 2 * MIB);
    CHECK_STR(err, "");
}

static void initrd_rejections(void)
{
    char err[160] = "";
    uint32_t gpa = 0x12345;
    CHECK_EQ(place_initrd(0, MEM_BIG, &elf_k, &gpa, err), -1);
    CHECK_STR(err, "initrd is empty (0 bytes)");
    CHECK_EQ(place_initrd(MEM_BIG - 0x1400000 + 1, MEM_BIG, &elf_k, &gpa, err), -1);
    CHECK_STR(err, "initrd (12582913 bytes) at GPA 0x13ff000-0x1ffffff overlaps the ELF vmlinux "
              "at GPA 0x1000000-0x13fffff");
    CHECK_EQ(place_initrd(MEM_BIG + 1, MEM_BIG, &elf_k, &gpa, err), -1);
    CHECK_STR(err, "initrd (33554433 bytes) is larger than the 32 MiB of guest memory");
    CHECK_EQ(place_initrd(0xFFFFFFFF, MEM_BIG, &elf_k, &gpa, err), -1);   /* rounds to 4 GiB */
    CHECK_CONTAINS(err, "(4294967295 bytes) is larger than");
    const struct kernel_load none = { 0 };
    CHECK_EQ(place_initrd(MEM_BIG - 0x1000, MEM_BIG, &none, &gpa, err), -1);
    CHECK_CONTAINS(err, "at GPA 0x1000 would overlap GPA 0-0x1fff");
    /* a kernel ending one byte into the initrd's first page */
    const struct kernel_load odd = { .start = MIB, .end = 0x1400001, .kind = "ELF vmlinux" };
    CHECK_EQ(place_initrd(MEM_BIG - 0x1400000, MEM_BIG, &odd, &gpa, err), -1);
    CHECK_CONTAINS(err, "at GPA 0x1400000-0x1ffffff overlaps the ELF vmlinux at GPA 0x100000-0x1400000");
    CHECK_EQ(place_initrd(0x1000, MEM_BIG + 0x800, &elf_k, &gpa, err), -1);
    CHECK_STR(err, "guest memory size 0x2000800 is not a multiple of 4 KiB");
    CHECK_EQ(gpa, 0x12345);
}

/* A bzImage's unpacking area counts: an initrd there would be overwritten
 * by the decompressor before the kernel could reserve it. */
static void initrd_avoids_bz_unpack_area(void)
{
    build_bz(1, 0x100, 0x020C, MIB, 1, 16 * MIB, 8 * MIB);
    ram_fill();
    CHECK_EQ(load(bz, bzlen, MEM_BIG), 0);
    CHECK_EQ(k.end, 24 * MIB);
    char err[160] = "";
    uint32_t gpa = 0;
    CHECK_EQ(place_initrd(8 * MIB, MEM_BIG, &k, &gpa, err), 0);
    CHECK_EQ(gpa, 24 * MIB);
    CHECK_EQ(place_initrd(8 * MIB + 1, MEM_BIG, &k, &gpa, err), -1);
    CHECK_CONTAINS(err, "overlaps the bzImage at GPA 0x100000-0x17fffff");
}

int main(void)
{
    RUN(elf_single_segment);
    RUN(plan_without_ram);
    RUN(elf_three_segments_and_others);
    RUN(elf_boundaries_accepted);
    RUN(elf_truncated_header);
    RUN(elf_rejects_class_and_encoding);
    RUN(elf_rejects_type_and_machine);
    RUN(elf_rejects_phentsize);
    RUN(elf_rejects_phnum);
    RUN(elf_rejects_ph_table_outside_file);
    RUN(elf_rejects_filesz_over_memsz);
    RUN(elf_rejects_segment_past_file_end);
    RUN(elf_rejects_segment_outside_memory);
    RUN(elf_rejects_segment_over_low_8k);
    RUN(elf_rejects_entry_outside_segments);
    RUN(elf_rejects_no_pt_load);
    RUN(elf_rejection_leaves_ram_untouched);
    RUN(bz_loads_payload);
    RUN(bz_setup_sects_zero_means_four);
    RUN(bz_unpack_area);
    RUN(bz_rejects_old_version);
    RUN(bz_rejects_payload_too_big);
    RUN(bz_rejects_code32_start_outside_payload);
    RUN(bz_rejects_truncated);
    RUN(bz_rejects_not_relocatable);
    RUN(not_a_kernel);
    RUN(initrd_at_top_of_ram);
    RUN(initrd_rejections);
    RUN(initrd_avoids_bz_unpack_area);
    return CHECK_EXIT_STATUS();
}
