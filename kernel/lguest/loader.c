/* Guest kernel loading (lguest-abi.md 1.2) and initrd placement (1.1, 1.4).
 *
 * Every image is validated completely before a byte is copied, so a rejected
 * image leaves guest RAM as it was. Range arithmetic is done in 64 bits: a
 * 32-bit sum such as offset + size can wrap and make a hostile value look
 * small. Nothing is read past image[len - 1]. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "kernel/lguest/bootparams.h"
#include "kernel/lguest/loader.h"

#define MIB 0x100000u
#define PAGE 4096u

/* ---- little helpers ---- */

/* Files are little-endian whatever the host is (ABI 0). */
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static uint64_t round_up(uint64_t v, uint64_t align) { return (v + align - 1) / align * align; }

static void vset_error(char err[160], const char *fmt, va_list ap)
{
    vsnprintf(err, 160, fmt, ap);
}

__attribute__((format(printf, 2, 3)))
static int fail(struct kernel_load *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset_error(out->error, fmt, ap);
    va_end(ap);
    out->kind = 0;
    return -1;
}

__attribute__((format(printf, 2, 3)))
static int fail_err(char err[160], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset_error(err, fmt, ap);
    va_end(ap);
    return -1;
}

/* "64 MiB" for the usual whole-MiB sizes, else exact hex. */
static const char *mem_str(uint32_t mem, char buf[32])
{
    if (mem % MIB == 0)
        snprintf(buf, 32, "%u MiB", (unsigned)(mem / MIB));
    else
        snprintf(buf, 32, "0x%x bytes", (unsigned)mem);
    return buf;
}

/* ---- ELF vmlinux (ABI 1.2: the checks tools/lguest makes, plus bounds) ---- */

#define EH_SIZE        52      /* Elf32_Ehdr */
#define EI_CLASS       4
#define EI_DATA        5
#define ELFCLASS32     1
#define ELFDATA2LSB    1
#define EH_TYPE        16
#define EH_MACHINE     18
#define EH_ENTRY       24
#define EH_PHOFF       28
#define EH_PHENTSIZE   42
#define EH_PHNUM       44
#define ET_EXEC        2
#define EM_386         3
#define PH_SIZE        32      /* Elf32_Phdr */
#define PH_MAX         2048
#define PH_TYPE        0
#define PH_OFFSET      4
#define PH_PADDR       12      /* p_vaddr (8) is ignored: ABI 1.2 */
#define PH_FILESZ      16
#define PH_MEMSZ       20
#define PT_LOAD        1

struct segment { uint32_t offset, paddr, filesz, memsz; };

static int elf_check_header(const uint8_t *img, uint32_t len, struct kernel_load *out)
{
    if (len < EH_SIZE)
        return fail(out, "ELF header truncated: the file is %u bytes, an ELF32 header needs %u",
                    (unsigned)len, EH_SIZE);
    if (img[EI_CLASS] != ELFCLASS32)
        return fail(out, "ELF class %u is not ELFCLASS32 (1): a 32-bit i386 vmlinux is needed",
                    img[EI_CLASS]);
    if (img[EI_DATA] != ELFDATA2LSB)
        return fail(out, "ELF data encoding %u is not little-endian (ELFDATA2LSB, 1)", img[EI_DATA]);
    if (get16(img + EH_TYPE) != ET_EXEC)
        return fail(out, "ELF type %u is not ET_EXEC (2): a linked vmlinux is needed",
                    get16(img + EH_TYPE));
    if (get16(img + EH_MACHINE) != EM_386)
        return fail(out, "ELF machine %u is not EM_386 (3)", get16(img + EH_MACHINE));
    if (get16(img + EH_PHENTSIZE) != PH_SIZE)
        return fail(out, "ELF program header size %u is not %u", get16(img + EH_PHENTSIZE), PH_SIZE);
    uint16_t phnum = get16(img + EH_PHNUM);
    if (phnum < 1 || phnum > PH_MAX)
        return fail(out, "ELF program header count %u is not between 1 and %u", phnum, PH_MAX);
    uint32_t phoff = get32(img + EH_PHOFF);
    if ((uint64_t)phoff + (uint64_t)phnum * PH_SIZE > len)
        return fail(out, "ELF program header table (offset 0x%x, %u entries) extends past the "
                    "end of the 0x%x-byte file", (unsigned)phoff, phnum, (unsigned)len);
    return 0;
}

static struct segment elf_segment(const uint8_t *ph)
{
    struct segment s = {
        .offset = get32(ph + PH_OFFSET), .paddr = get32(ph + PH_PADDR),
        .filesz = get32(ph + PH_FILESZ), .memsz = get32(ph + PH_MEMSZ),
    };
    return s;
}

/* A PT_LOAD must come from inside the file and land inside RAM, clear of
 * boot_params and the command line (ABI 1.1). i is the program header index. */
static int elf_check_segment(unsigned i, const struct segment *s, uint32_t len, uint32_t mem,
                             struct kernel_load *out)
{
    char m[32];
    if (s->filesz > s->memsz)
        return fail(out, "ELF segment %u: p_filesz 0x%x is larger than p_memsz 0x%x",
                    i, (unsigned)s->filesz, (unsigned)s->memsz);
    if (s->filesz && (uint64_t)s->offset + s->filesz > len)
        return fail(out, "ELF segment %u (offset 0x%x, filesz 0x%x) extends past the end of the "
                    "0x%x-byte file", i, (unsigned)s->offset, (unsigned)s->filesz, (unsigned)len);
    if (!s->memsz)
        return 0;   /* occupies nothing: placement is irrelevant */
    if ((uint64_t)s->paddr + s->memsz > mem)
        return fail(out, "ELF segment %u (paddr 0x%x, memsz 0x%x) does not fit in %s of guest memory",
                    i, (unsigned)s->paddr, (unsigned)s->memsz, mem_str(mem, m));
    if (s->paddr < LOADER_LOW_RESERVED)
        return fail(out, "ELF segment %u (paddr 0x%x, memsz 0x%x) overlaps GPA 0-0x%x, reserved for "
                    "boot_params and the command line", i, (unsigned)s->paddr, (unsigned)s->memsz,
                    LOADER_LOW_RESERVED - 1);
    return 0;
}

/* Checks every PT_LOAD and computes the occupied range and entry. */
static int elf_validate(const uint8_t *img, uint32_t len, uint32_t mem, struct kernel_load *out)
{
    const uint8_t *pht = img + get32(img + EH_PHOFF);
    unsigned phnum = get16(img + EH_PHNUM);
    uint32_t entry = get32(img + EH_ENTRY);
    uint64_t lo = UINT64_MAX, hi = 0;
    int entry_ok = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = pht + i * PH_SIZE;
        if (get32(ph + PH_TYPE) != PT_LOAD)
            continue;
        struct segment s = elf_segment(ph);
        if (elf_check_segment(i, &s, len, mem, out))
            return -1;
        if (!s.memsz)
            continue;
        if (s.paddr < lo)
            lo = s.paddr;
        if ((uint64_t)s.paddr + s.memsz > hi)
            hi = (uint64_t)s.paddr + s.memsz;
        /* The entry must be code read from the file, not zero-filled bss. */
        if (entry >= s.paddr && (uint64_t)entry < (uint64_t)s.paddr + s.filesz)
            entry_ok = 1;
    }
    if (hi == 0)
        return fail(out, "ELF file has no PT_LOAD segment with a non-zero p_memsz among its %u "
                    "program headers", phnum);
    if (!entry_ok)
        return fail(out, "ELF entry point 0x%x is not inside the file-backed part of any PT_LOAD "
                    "segment (loaded range 0x%x-0x%x)", (unsigned)entry, (unsigned)lo,
                    (unsigned)(hi - 1));
    out->entry = entry;
    out->start = (uint32_t)lo;
    out->end = (uint32_t)hi;    /* hi <= mem, so it fits */
    return 0;
}

/* Copies p_filesz bytes and zeroes the rest up to p_memsz: RAM may not be
 * fresh, and the guest expects its bss to read as zero (ABI 1.2). */
static void elf_copy(const uint8_t *img, uint8_t *ram)
{
    const uint8_t *pht = img + get32(img + EH_PHOFF);
    unsigned phnum = get16(img + EH_PHNUM);
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = pht + i * PH_SIZE;
        if (get32(ph + PH_TYPE) != PT_LOAD)
            continue;
        struct segment s = elf_segment(ph);
        if (!s.memsz)
            continue;
        memcpy(ram + s.paddr, img + s.offset, s.filesz);
        memset(ram + s.paddr + s.filesz, 0, s.memsz - s.filesz);
    }
}

static int load_elf(const uint8_t *img, uint32_t len, uint8_t *ram, uint32_t mem,
                    struct kernel_load *out)
{
    if (elf_check_header(img, len, out) || elf_validate(img, len, mem, out))
        return -1;
    if (ram)
        elf_copy(img, ram);
    out->kind = "ELF vmlinux";
    return 0;
}

/* ---- bzImage (ABI 1.2; header offsets in 1.3) ---- */

#define BZ_SECTOR            512u
#define BZ_DEFAULT_SECTS     4u        /* setup_sects 0 means 4 (boot protocol) */
#define BZ_VERSION_INIT_SIZE 0x020A    /* pref_address and init_size exist */

/* The decompressor unpacks to LOAD_PHYSICAL_ADDR (the header's pref_address)
 * or, if relocatable, to its load address rounded up to the kernel_alignment
 * we put in boot_params, whichever is higher (ABI 1.2), and uses init_size
 * bytes from there. Nothing protects an initrd lying in that area, so it
 * counts as part of the kernel: widens [*lo, *hi) to cover it. Headers
 * older than 2.10 do not say, and the range is left as it is. */
static int bz_unpack_area(const uint8_t *img, uint32_t entry, int relocatable, uint32_t mem,
                          uint64_t *lo, uint64_t *hi, struct kernel_load *out)
{
    if (get16(img + BP_VERSION) < BZ_VERSION_INIT_SIZE)
        return 0;
    uint64_t base = get64(img + BP_PREF_ADDRESS);
    uint32_t init_size = get32(img + BP_INIT_SIZE);
    if (!base || !init_size)
        return 0;
    uint64_t aligned = round_up(entry, BP_KERNEL_ALIGNMENT_VALUE);
    if (relocatable && aligned > base)
        base = aligned;
    char m[32];
    if (base + init_size > mem)
        return fail(out, "bzImage unpacks itself into GPA 0x%lx-0x%lx (init_size 0x%x), which "
                    "does not fit in %s of guest memory", (unsigned long)base,
                    (unsigned long)(base + init_size - 1), (unsigned)init_size,
                    mem_str(mem, m));
    if (base < *lo)
        *lo = base;
    if (base + init_size > *hi)
        *hi = base + init_size;
    return 0;
}

static int load_bzimage(const uint8_t *img, uint32_t len, uint8_t *ram, uint32_t mem,
                        struct kernel_load *out)
{
    char m[32];
    if (len < BP_SETUP_HEADER_END)
        return fail(out, "bzImage truncated: the file is 0x%x bytes, its setup header runs to 0x%x",
                    (unsigned)len, BP_SETUP_HEADER_END);
    uint16_t version = get16(img + BP_VERSION);
    if (version < BP_PROTOCOL_VERSION)
        return fail(out, "bzImage boot protocol version 0x%04x is older than 0x%04x: such kernels "
                    "have no lguest entry", version, BP_PROTOCOL_VERSION);
    uint32_t sects = img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : BZ_DEFAULT_SECTS;
    uint32_t setup = (sects + 1) * BZ_SECTOR;
    if (len <= setup)
        return fail(out, "bzImage has no payload: setup_sects %u puts it at file offset 0x%x, but "
                    "the file is 0x%x bytes", (unsigned)sects, (unsigned)setup, (unsigned)len);
    uint32_t plen = len - setup;
    uint64_t pend = (uint64_t)LOADER_BZ_PAYLOAD_GPA + plen;
    if (pend > mem)
        return fail(out, "bzImage payload (0x%x bytes at GPA 0x%x) does not fit in %s of guest "
                    "memory", (unsigned)plen, LOADER_BZ_PAYLOAD_GPA, mem_str(mem, m));
    uint32_t entry = get32(img + BP_CODE32_START);
    if (entry < LOADER_BZ_PAYLOAD_GPA || entry >= pend)
        return fail(out, "bzImage code32_start 0x%x is outside its payload at GPA 0x%x-0x%lx",
                    (unsigned)entry, LOADER_BZ_PAYLOAD_GPA, (unsigned long)(pend - 1));
    int relocatable = img[BP_RELOCATABLE_KERNEL] != 0;
    uint64_t lo = LOADER_BZ_PAYLOAD_GPA, hi = pend;
    if (bz_unpack_area(img, entry, relocatable, mem, &lo, &hi, out))
        return -1;
    /* The lguest boot path puts the payload at 1 MiB and lets the
     * decompressor place the kernel; only a relocatable one is known to
     * come up there (the README's rule), so a fixed one is refused here
     * rather than left to fail inside the guest. */
    if (!relocatable)
        return fail(out, "bzImage is not relocatable (relocatable_kernel is 0; it would run only "
                    "at its fixed address 0x%lx): build it with CONFIG_RELOCATABLE, or give the "
                    "ELF vmlinux", (unsigned long)get64(img + BP_PREF_ADDRESS));
    if (ram)
        memcpy(ram + LOADER_BZ_PAYLOAD_GPA, img + setup, plen);
    out->entry = entry;
    out->start = (uint32_t)lo;
    out->end = (uint32_t)hi;    /* hi <= mem, so it fits */
    out->relocatable = relocatable;
    out->kind = "bzImage";
    return 0;
}

/* ---- public ---- */

int load_kernel(const uint8_t *image, uint32_t len, uint8_t *ram, uint32_t mem,
                struct kernel_load *out)
{
    memset(out, 0, sizeof(*out));
    if (len >= 4 && memcmp(image, "\x7f" "ELF", 4) == 0)
        return load_elf(image, len, ram, mem, out);
    if (len >= BP_HEADER + 4 && memcmp(image + BP_HEADER, "HdrS", 4) == 0)
        return load_bzimage(image, len, ram, mem, out);
    return fail(out, "not an ELF vmlinux or a bzImage: no ELF magic at offset 0 and no \"HdrS\" "
                "at 0x%x (file is 0x%x bytes)", BP_HEADER, (unsigned)len);
}

/* ABI 1.1/1.4: the initrd sits page-aligned at the very top of RAM, just
 * below the device page, and must stay clear of the kernel and of GPA 0-8K. */
int place_initrd(uint32_t initrd_len, uint32_t mem, const struct kernel_load *k,
                 uint32_t *gpa, char err[160])
{
    char m[32];
    if (!initrd_len)
        return fail_err(err, "initrd is empty (0 bytes)");
    if (mem % PAGE)
        return fail_err(err, "guest memory size 0x%x is not a multiple of 4 KiB", (unsigned)mem);
    uint64_t size = round_up(initrd_len, PAGE);
    if (size > mem)
        return fail_err(err, "initrd (%u bytes) is larger than the %s of guest memory",
                        (unsigned)initrd_len, mem_str(mem, m));
    uint32_t base = mem - (uint32_t)size;
    if (base < LOADER_LOW_RESERVED)
        return fail_err(err, "initrd (%u bytes) at GPA 0x%x would overlap GPA 0-0x%x, reserved for "
                        "boot_params and the command line", (unsigned)initrd_len, (unsigned)base,
                        LOADER_LOW_RESERVED - 1);
    if (base < k->end && mem > k->start)
        return fail_err(err, "initrd (%u bytes) at GPA 0x%x-0x%x overlaps the %s at GPA 0x%x-0x%x",
                        (unsigned)initrd_len, (unsigned)base, (unsigned)(mem - 1),
                        k->kind ? k->kind : "kernel", (unsigned)k->start, (unsigned)(k->end - 1));
    *gpa = base;
    return 0;
}
