/* Private to the ACPI parser (drivers/acpi*.c): byte readers and the
 * per-table parsers. Tables are byte arrays of untrusted content; every
 * read goes through these helpers after its offset was checked against
 * the table's length, and memcpy makes unaligned fields safe. */
#ifndef DRIVERS_ACPI_TABLES_H
#define DRIVERS_ACPI_TABLES_H
#include <stdint.h>
#include <string.h>
#include "drivers/acpi.h"

#define ACPI_HEADER_LEN 36
#define ACPI_MAX_TABLE_LEN (1u << 20)   /* a larger table is taken as corrupt */

static inline uint16_t acpi_rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t acpi_rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t acpi_rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

#define acpi_problem(info, ...) diag_add(&(info)->problems, __VA_ARGS__)

/* "0x000f5a30", or "0x1:00000000" above 4 GiB: the kernel's printf has no
 * 64-bit conversions. buf holds at least 24 bytes. */
const char *acpi_hex64(uint64_t v, char *buf);

/* A table with a valid header, length and checksum: its bytes, or NULL
 * with a problem recorded. want (4 letters) or NULL for any signature. */
const uint8_t *acpi_get_table(acpi_phys_fn phys, uint64_t addr, const char *want,
                              struct acpi_info *out);

/* Each fills its part of out from a table acpi_get_table accepted. */
void acpi_parse_madt(const uint8_t *t, uint32_t len, struct acpi_info *out);
void acpi_parse_fadt(acpi_phys_fn phys, const uint8_t *t, uint32_t len, struct acpi_info *out);
/* Finds Name(_S5_, Package(){a, b, ...}) in a DSDT's AML bytes. */
void acpi_find_s5(const uint8_t *t, uint32_t len, struct acpi_info *out);

#endif
