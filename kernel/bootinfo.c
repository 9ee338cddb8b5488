/* Multiboot2 and multiboot1 boot information, read defensively: every tag,
 * size and string is bounds-checked against what the loader said it wrote. */
#include <stdio.h>
#include <string.h>
#include "kernel/bootinfo.h"

#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15
#define MB2_MAX_INFO (1u << 20)

#define warn(bi, ...) diag_add(&(bi)->warnings, __VA_ARGS__)

/* Copies a string of at most max bytes (NUL not guaranteed) into dst. */
static void copy_str(char *dst, size_t dstsz, const char *src, size_t max)
{
    size_t n = strnlen(src, max);
    if (n >= dstsz)
        n = dstsz - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* The command line: whole, or (past BOOT_STRING_MAX) up to the last word
 * that fits, with a warning that says where it was cut; never an option
 * cut in two. */
static void copy_cmdline(struct boot_info *bi, const char *src, size_t max)
{
    size_t n = strnlen(src, max);
    if (n < sizeof(bi->cmdline)) {
        copy_str(bi->cmdline, sizeof(bi->cmdline), src, n);
        return;
    }
    size_t keep = sizeof(bi->cmdline) - 1;
    while (keep && src[keep] != ' ')
        keep--;
    copy_str(bi->cmdline, sizeof(bi->cmdline), src, keep);
    warn(bi, "command line of %lu characters is longer than the %d allowed: everything from "
         "character %lu ('%.20s...') ignored", (unsigned long)n, BOOT_STRING_MAX - 1,
         (unsigned long)keep, src + keep + (src[keep] == ' '));
}
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void add_mmap(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
    if (len == 0)
        return;
    if (bi->nmmap >= BOOT_MAX_MMAP) {
        if (bi->mmap_dropped++ == 0)        /* one warning, not one per entry */
            warn(bi, "memory map: more than %lu entries, rest ignored", (unsigned long)BOOT_MAX_MMAP);
        return;
    }
    if (base + len < base)
        len = ~0ull - base;
    bi->mmap[bi->nmmap++] = (struct boot_mmap_entry){ base, len, type };
}

static void add_module(struct boot_info *bi, uint32_t start, uint32_t end, const char *s, size_t max)
{
    if (end < start) {
        warn(bi, "module at 0x%lx ends before it starts (0x%lx), ignored", (unsigned long)start, (unsigned long)end);
        return;
    }
    if (bi->nmodules >= BOOT_MAX_MODULES) {
        if (bi->modules_dropped++ == 0)
            warn(bi, "more than %lu modules, rest ignored", (unsigned long)BOOT_MAX_MODULES);
        return;
    }
    uint32_t idx = bi->nmodules++;
    struct boot_module *m = &bi->modules[idx];
    m->start = start;
    m->end = end;
    m->string = "";
    size_t n = strnlen(s, max);
    if (n >= BOOT_STRING_MAX) {
        warn(bi, "module %lu: its string of %lu characters is longer than the %d allowed; "
             "the string is ignored", (unsigned long)idx, (unsigned long)n, BOOT_STRING_MAX - 1);
        return;
    }
    if (n + 1 > BOOT_STRINGS_POOL - bi->strings_used) {
        warn(bi, "module %lu: the module strings together pass %lu KiB; its string is ignored",
             (unsigned long)idx, (unsigned long)(BOOT_STRINGS_POOL >> 10));
        return;
    }
    char *dst = bi->strings + bi->strings_used;
    memcpy(dst, s, n);
    dst[n] = 0;
    bi->strings_used += (uint32_t)n + 1;
    m->string = dst;
}

static void parse_mb2_mmap(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
    if (size < 16) {
        warn(bi, "memory map tag of %lu bytes is too short", (unsigned long)size);
        return;
    }
    uint32_t esize = rd32(tag + 8);
    if (esize < 24 || esize > 4096) {
        warn(bi, "memory map entry size %lu is invalid", (unsigned long)esize);
        return;
    }
    for (uint32_t off = 16; off + esize <= size; off += esize)
        add_mmap(bi, rd64(tag + off), rd64(tag + off + 8), rd32(tag + off + 16));
}

/* Keeps the loader's copy of the ACPI RSDP (tag 14: ACPI 1.0's 20 bytes,
 * tag 15: the 2.0 form of 36 or more); the new one is kept when both come.
 * Only the size is checked here; the checksums are the parser's job. */
static void save_rsdp(struct boot_info *bi, uint32_t type, const uint8_t *tag, uint32_t size)
{
    enum boot_rsdp kind = type == MB2_TAG_ACPI_NEW ? BOOT_RSDP_NEW : BOOT_RSDP_OLD;
    uint32_t len = size - 8, need = kind == BOOT_RSDP_NEW ? 36 : 20;
    if (len < need) {
        warn(bi, "ACPI %s RSDP tag of %lu bytes is too short; ignored",
             kind == BOOT_RSDP_NEW ? "new" : "old", (unsigned long)len);
        return;
    }
    if (bi->rsdp_kind == BOOT_RSDP_NEW)
        return;
    if (len > BOOT_RSDP_MAX)
        len = BOOT_RSDP_MAX;
    memcpy(bi->rsdp, tag + 8, len);
    bi->rsdp_len = len;
    bi->rsdp_kind = kind;
}

static int parse_mb2(const uint8_t *info, struct boot_info *bi)
{
    uint32_t total = rd32(info);
    if (total < 16 || total > MB2_MAX_INFO) {
        warn(bi, "boot information size %lu is invalid", (unsigned long)total);
        return 0;
    }
    uint32_t off = 8;
    while (off + 8 <= total) {
        const uint8_t *tag = info + off;
        uint32_t type = rd32(tag), size = rd32(tag + 4);
        if (type == MB2_TAG_END)
            return 0;
        if (size < 8 || size > total - off) {
            warn(bi, "tag %lu has invalid size %lu; rest of boot information ignored", (unsigned long)type, (unsigned long)size);
            return 0;
        }
        switch (type) {
        case MB2_TAG_CMDLINE:
            copy_cmdline(bi, (const char *)tag + 8, size - 8);
            break;
        case MB2_TAG_LOADER:
            copy_str(bi->loader, sizeof(bi->loader), (const char *)tag + 8, size - 8);
            break;
        case MB2_TAG_MODULE:
            if (size < 16)
                warn(bi, "module tag of %lu bytes is too short", (unsigned long)size);
            else
                add_module(bi, rd32(tag + 8), rd32(tag + 12), (const char *)tag + 16, size - 16);
            break;
        case MB2_TAG_MMAP:
            parse_mb2_mmap(bi, tag, size);
            break;
        case MB2_TAG_ACPI_OLD:
        case MB2_TAG_ACPI_NEW:
            save_rsdp(bi, type, tag, size);
            break;
        default:
            break;
        }
        off += (size + 7) & ~7u;
    }
    warn(bi, "boot information has no end tag (size %lu)", (unsigned long)total);
    return 0;
}

/* multiboot1: the structure holds physical pointers; before paging they
 * are plain pointers. */
struct mb1_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4], mmap_length, mmap_addr, drives_length, drives_addr;
    uint32_t config_table, boot_loader_name;
};
#define MB1_MEM 0x001
#define MB1_CMDLINE 0x004
#define MB1_MODS 0x008
#define MB1_MMAP 0x040
#define MB1_LOADER 0x200

/* multiboot1 loaders (GRUB legacy, QEMU -kernel) begin the command line and
 * each module's string with the file's path; the words after it are ours. */
static const char *skip_image_path(const char *s)
{
    const char *p = s;
    while (*p == ' ')
        p++;
    const char *word = p;
    while (*p && *p != ' ' && *p != '=')
        p++;
    if (*p == '=' || p == word)
        return s;           /* the first word is an option: no path */
    while (*p == ' ')
        p++;
    return p;
}

static int parse_mb1(const struct mb1_info *mi, struct boot_info *bi)
{
    if ((mi->flags & MB1_CMDLINE) && mi->cmdline)
        copy_cmdline(bi, skip_image_path((const char *)(uintptr_t)mi->cmdline), 65536);
    if ((mi->flags & MB1_LOADER) && mi->boot_loader_name)
        copy_str(bi->loader, sizeof(bi->loader), (const char *)(uintptr_t)mi->boot_loader_name, 256);
    if (mi->flags & MB1_MMAP) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)mi->mmap_addr;
        uint32_t off = 0;
        while (off + 24 <= mi->mmap_length) {
            uint32_t size = rd32(p + off);
            /* each entry's size excludes its own 4-byte size field */
            if (size < 20 || size > mi->mmap_length - off - 4) {
                warn(bi, "memory map entry size %lu is invalid", (unsigned long)size);
                break;
            }
            add_mmap(bi, rd64(p + off + 4), rd64(p + off + 12), rd32(p + off + 20));
            off += size + 4;
        }
    } else if (mi->flags & MB1_MEM) {
        add_mmap(bi, 0, (uint64_t)mi->mem_lower << 10, MMAP_AVAILABLE);
        add_mmap(bi, 1u << 20, (uint64_t)mi->mem_upper << 10, MMAP_AVAILABLE);
    }
    if (mi->flags & MB1_MODS) {
        const uint32_t *mod = (const uint32_t *)(uintptr_t)mi->mods_addr;
        for (uint32_t i = 0; i < mi->mods_count && i < 1024; i++, mod += 4) {
            const char *s = mod[2] ? skip_image_path((const char *)(uintptr_t)mod[2]) : "";
            add_module(bi, mod[0], mod[1], s, 65536);
        }
    }
    return 0;
}

int bootinfo_parse(uint32_t magic, const void *info, struct boot_info *out)
{
    memset(out, 0, sizeof(*out));
    if (!info)
        return -1;
    if (magic == MB2_BOOT_MAGIC) {
        out->protocol = 2;
        return parse_mb2(info, out);
    }
    if (magic == MB1_BOOT_MAGIC) {
        out->protocol = 1;
        return parse_mb1(info, out);
    }
    return -1;
}

const char *mmap_type_name(uint32_t type)
{
    switch (type) {
    case 1: return "available";
    case 2: return "reserved";
    case 3: return "ACPI reclaimable";
    case 4: return "ACPI NVS";
    case 5: return "bad RAM";
    default: return "reserved (other)";
    }
}
