/* The boot_params page and the command line an lguest guest reads at boot
 * (lguest-abi.md 1.1 and 1.3). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "kernel/lguest/bootparams.h"

#define PAGE 4096u

/* Stores the low n bytes of v at page + off, least significant first: every
 * boot_params field is little-endian (ABI 0), whatever the host is. */
static void put_le(uint8_t *page, unsigned off, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        page[off + i] = (uint8_t)(v >> (8 * i));
}

/* The lguest guest adds only e820 entry 0 and takes max_pfn from its end,
 * then looks for the device page right there (ABI 1.3): one RAM entry
 * [0, mem). Packed record: u64 addr, u64 size, u32 type. */
static void put_e820_ram(uint8_t *page, uint32_t mem)
{
    put_le(page, BP_E820_MAP + 0, 0, 8);
    put_le(page, BP_E820_MAP + 8, mem, 8);
    put_le(page, BP_E820_MAP + 16, BP_E820_RAM, 4);
    put_le(page, BP_E820_ENTRIES, 1, 1);
}

/* type_of_loader must be non-zero or the guest ignores the initrd (ABI 1.3).
 * The exact length is passed, not the page-rounded one the reference
 * Launcher uses, so initramfs never sees the padding (ABI appendix C). */
static void put_initrd(uint8_t *page, uint32_t gpa, uint32_t len)
{
    if (!len)
        return;
    put_le(page, BP_TYPE_OF_LOADER, BP_LOADER_UNKNOWN, 1);
    put_le(page, BP_RAMDISK_IMAGE, gpa, 4);
    put_le(page, BP_RAMDISK_SIZE, len, 4);
}

void build_boot_params(uint8_t page[4096], uint32_t mem, uint32_t initrd_gpa,
                       uint32_t initrd_len)
{
    /* Everything not listed in ABI 1.3 must be zero: screen_info (no VGA
     * output from the decompressor), sentinel (else the kernel wipes the
     * page as stale), ext_ramdisk_* (OR-ed into the initrd address/size),
     * setup_data (a linked list the kernel would follow). */
    memset(page, 0, PAGE);
    put_e820_ram(page, mem);
    put_le(page, BP_SENTINEL, 0, 1);
    /* Below 0x0207 head_32.S takes the native path and dies. */
    put_le(page, BP_VERSION, BP_PROTOCOL_VERSION, 2);
    put_initrd(page, initrd_gpa, initrd_len);
    /* Stops the decompressor and head_32.S from reloading segments, lgdt
     * and cli, none of which a CPL-1 guest may do. */
    put_le(page, BP_LOADFLAGS, BP_KEEP_SEGMENTS, 1);
    put_le(page, BP_CMD_LINE_PTR, BP_CMDLINE_GPA, 4);
    /* A relocatable bzImage rounds its load address up to this. */
    put_le(page, BP_KERNEL_ALIGNMENT, BP_KERNEL_ALIGNMENT_VALUE, 4);
    /* Selects the lguest entry in head_32.S. */
    put_le(page, BP_HARDWARE_SUBARCH, BP_SUBARCH_LGUEST, 4);
    put_le(page, BP_HARDWARE_SUBARCH_DATA, 0, 8);
}

/* ---- the command line ---- */

/* The kernel's isspace, ASCII part. */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Finds a word the guest would take as its mem= parameter, or returns 0.
 * Words are split as the 3.10 kernel splits them: at whitespace outside
 * double quotes, and a word may itself open with a quote ("mem=1" counts).
 * Only a word that starts with "mem=" counts: nomem=1 and foo_mem=2 are
 * other parameters, and "a mem=1" inside quotes is part of a value. */
static const char *find_mem_word(const char *s)
{
    for (;;) {
        while (is_space(*s))
            s++;
        if (!*s)
            return 0;
        const char *word = s;
        int in_quote = 0;
        if (*s == '"') {
            in_quote = 1;
            s++;
        }
        if (strncmp(s, "mem=", 4) == 0)
            return word;
        for (; *s && (in_quote || !is_space(*s)); s++)
            if (*s == '"')
                in_quote = !in_quote;
    }
}

static int word_len(const char *w)
{
    int n = 0;
    while (w[n] && !is_space(w[n]))
        n++;
    return n;
}

int write_cmdline(uint8_t *ram, uint32_t mem, const char *cmdline, char err[160])
{
    if ((uint64_t)BP_CMDLINE_GPA + BP_CMDLINE_BYTES > mem) {
        snprintf(err, 160, "guest memory (0x%x bytes) has no room for the command line at GPA "
                 "0x%x-0x%x", (unsigned)mem, BP_CMDLINE_GPA,
                 BP_CMDLINE_GPA + BP_CMDLINE_BYTES - 1);
        return -1;
    }
    size_t len = strlen(cmdline);
    if (len > BP_CMDLINE_BYTES - 1) {
        snprintf(err, 160, "guest command line is %u characters long; the guest reads at most "
                 "%u plus the terminating NUL", (unsigned)len, BP_CMDLINE_BYTES - 1);
        return -1;
    }
    /* mem= changes the guest's max_pfn, so it would look for the device
     * page somewhere other than where we put it (ABI 1.3). */
    const char *w = find_mem_word(cmdline);
    if (w) {
        int n = word_len(w);
        snprintf(err, 160, "guest command line word \"%.*s%s\" is not allowed: mem= moves where "
                 "the guest looks for its device page", n > 48 ? 48 : n, w, n > 48 ? "..." : "");
        return -1;
    }
    /* The guest copies all 2048 bytes: leave no stale bytes after the NUL. */
    memcpy(ram + BP_CMDLINE_GPA, cmdline, len);
    memset(ram + BP_CMDLINE_GPA + len, 0, BP_CMDLINE_BYTES - len);
    return 0;
}
