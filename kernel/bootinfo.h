#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H
#include <stdint.h>
#include "kernel/diag.h"

#define MB2_BOOT_MAGIC 0x36D76289u
#define MB1_BOOT_MAGIC 0x2BADB002u
#define BOOT_MAX_MMAP 128
#define BOOT_MAX_MODULES 256
/* A module string or the command line keeps its full length up to this
 * (the NUL included); a longer one is reported, never cut silently. */
#define BOOT_STRING_MAX 8192
#define BOOT_STRINGS_POOL (256u << 10)  /* every module string together */
#define MMAP_AVAILABLE 1

#define BOOT_RSDP_MAX 64                /* an ACPI 2.0 RSDP is 36 bytes */
/* Which multiboot2 ACPI tag the RSDP copy came from. */
enum boot_rsdp { BOOT_RSDP_NONE, BOOT_RSDP_OLD, BOOT_RSDP_NEW };

struct boot_mmap_entry { uint64_t base, len; uint32_t type; };
struct boot_module { uint32_t start, end; const char *string; };

/* Everything lgvisor keeps of the loader's boot information, copied out of
 * the loader's memory so that memory can be reused. */
struct boot_info {
    int protocol;                       /* 1 = multiboot1, 2 = multiboot2 */
    char cmdline[BOOT_STRING_MAX];
    char loader[64];
    uint32_t nmmap;
    struct boot_mmap_entry mmap[BOOT_MAX_MMAP];
    uint32_t nmodules;
    struct boot_module modules[BOOT_MAX_MODULES];
    uint32_t mmap_dropped, modules_dropped;     /* entries past the limits */
    enum boot_rsdp rsdp_kind;           /* the new (ACPI 2.0+) copy wins over the old */
    uint32_t rsdp_len;
    uint8_t rsdp[BOOT_RSDP_MAX];        /* unchecked: drivers/acpi.c checks it */
    struct diag warnings;
    uint32_t strings_used;
    char strings[BOOT_STRINGS_POOL];    /* the modules' strings point in here */
};

/* Parses the loader's information; 0 on success, -1 if magic names no
 * protocol we know. Malformed parts are skipped and listed in warnings. */
int bootinfo_parse(uint32_t magic, const void *info, struct boot_info *out);
const char *mmap_type_name(uint32_t type);

#endif
