/* The crash record (see crash_record.h). The record is checked with a
 * magic, a length and a checksum before it is believed: after a cold boot
 * the page holds whatever the RAM powered up with. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "kernel/crash_record.h"
#include "arch/x86/x86.h"
#include "drivers/acpi.h"
#include "kernel/clock.h"
#include "kernel/log.h"
#include "kernel/options.h"

#define CRASH_MAGIC 0x5A43474Cu         /* "LGCZ" */
#define PAGE 4096u
#define REBOOT_DELAY_MS 3000u

struct record {
    uint32_t magic, len, sum;
    char text[PAGE - 12];
};

static struct record *rec;

static uint32_t checksum(const struct record *r)
{
    uint32_t s = r->len * 2654435761u;
    for (uint32_t i = 0; i < r->len && i < sizeof(r->text); i++)
        s = (s << 5 | s >> 27) ^ (uint8_t)r->text[i];
    return s;
}

/* Below 640 KiB, under the EBDA: the BIOS and the loaders (GRUB's heap and
 * its relocator take from high memory) leave this page alone across a
 * warm reset; the first MiB is never the frame allocator's anyway. */
#define CRASH_PAGE 0x9E000u

static bool available(const struct boot_info *bi, uint32_t lo, uint32_t hi)
{
    for (uint32_t i = 0; i < bi->nmmap; i++) {
        const struct boot_mmap_entry *e = &bi->mmap[i];
        if (e->type == MMAP_AVAILABLE && e->base <= lo && e->base + e->len >= hi)
            return true;
    }
    return false;
}

uint32_t crash_record_page(const struct boot_info *bi)
{
    if (!available(bi, CRASH_PAGE, CRASH_PAGE + PAGE))
        return 0;
    rec = (struct record *)(uintptr_t)CRASH_PAGE;
    return CRASH_PAGE;
}

void crash_record_boot(void)
{
    if (!rec)
        return;
    if (rec->magic == CRASH_MAGIC && rec->len && rec->len < sizeof(rec->text) &&
        rec->sum == checksum(rec)) {
        rec->text[rec->len] = 0;
        log_err("crash record: the previous boot ended with:");
        for (char *line = rec->text, *nl; *line; line = nl + 1) {
            nl = strchr(line, '\n');
            if (!nl) {
                log_err("crash record:   %s", line);
                break;
            }
            *nl = 0;
            log_err("crash record:   %s", line);
        }
    }
    memset(rec, 0, sizeof(*rec));
}

void crash_record_note(const char *fmt, ...)
{
    if (!rec)
        return;
    if (rec->magic != CRASH_MAGIC) {
        rec->magic = CRASH_MAGIC;
        rec->len = 0;
    }
    uint32_t room = sizeof(rec->text) - 1 - rec->len;
    if (room < 2)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(rec->text + rec->len, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    rec->len += (uint32_t)n < room - 1 ? (uint32_t)n : room - 1;
    if (rec->text[rec->len - 1] != '\n' && rec->len < sizeof(rec->text) - 1)
        rec->text[rec->len++] = '\n';
    rec->text[rec->len] = 0;
    rec->sum = checksum(rec);
}

void crash_record_fatal_end(void)
{
    if (opt.on_fault == ON_FAULT_REBOOT) {
        log_raw("on_fault=reboot: resetting the machine in %u s\n", REBOOT_DELAY_MS / 1000);
        uint64_t end = clock_ns() + (uint64_t)REBOOT_DELAY_MS * 1000000u;
        while (clock_ns() < end)
            pause();
        acpi_reset();
        /* an empty IDT makes the next exception a triple fault: a reset */
        static const struct dtr none = { 0, 0 };
        lidt(&none);
        __builtin_trap();
    }
    log_raw("system halted\n");
    for (;;)
        hlt();
}
