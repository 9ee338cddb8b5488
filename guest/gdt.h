/* Segment descriptors and the GDT as the host keeps it for us
 * (lguest-abi.md 5): we send entries with LOAD_GDT_ENTRY and TLS triples
 * with LOAD_TLS; there is no lgdt. */
#ifndef GUEST_GDT_H
#define GUEST_GDT_H
#include "guest/layout.h"

/* Access byte: present, S (code/data), type; DPL in bits 5-6. */
#define DESC_CODE       0x9B    /* execute/read, accessed */
#define DESC_DATA       0x93    /* read/write, accessed */
#define DESC_DPL3       0x60
/* Flags nibble: 4 KiB granularity + 32-bit. */
#define DESC_FLAT       0xC
#define DESC_BYTES      0x4     /* byte granularity, 32-bit */

static inline u64 desc_make(u32 base, u32 limit, u32 access, u32 flags)
{
    u32 lo = (base << 16) | (limit & 0xFFFF);
    u32 hi = (base & 0xFF000000) | (flags & 0xF) << 20 | (limit & 0xF0000) | (access & 0xFF) << 8 |
             ((base >> 16) & 0xFF);
    return (u64)hi << 32 | lo;
}

/* A TLS slot as user space would get it from set_thread_area: flat
 * 32-bit data, DPL 3, at base. */
static inline u64 desc_tls(u32 base) { return desc_make(base, 0xFFFFF, DESC_DATA | DESC_DPL3, DESC_FLAT); }

void gdt_init(void);
void gdt_load_entry(unsigned index, u64 desc);
/* Replaces entries 6-8 from three descriptors in guest memory. */
void gdt_load_tls(const u64 tls[3]);

#endif
