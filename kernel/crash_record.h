#ifndef KERNEL_CRASH_RECORD_H
#define KERNEL_CRASH_RECORD_H
#include <stdint.h>
#include "kernel/bootinfo.h"

/* One page of low RAM that outlives a warm reboot (firmware and loaders
 * leave it alone): a
 * fatal error writes a short record there, and the next boot prints it
 * ("previous boot ended with ...") and clears it. */

/* The page's address, or 0 when the memory map does not offer it. */
uint32_t crash_record_page(const struct boot_info *bi);
/* Logs a record left by the previous boot, then clears the page. */
void crash_record_boot(void);
/* Adds a line to this boot's record (fault and panic paths: no locks, no
 * heap, interrupts off). */
void crash_record_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* on_fault=reboot: after the report, waits a little and resets. */
void crash_record_fatal_end(void) __attribute__((noreturn));

#endif
