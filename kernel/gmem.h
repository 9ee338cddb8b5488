/* A guest's memory as the hypervisor reaches it: one contiguous host range
 * [base, base + size), where size = pfn_limit * 4096 (RAM, device page and
 * rings). Every guest-physical address the hypervisor reads or writes on a
 * guest's behalf goes through these checks; nothing else indexes base. */
#ifndef KERNEL_GMEM_H
#define KERNEL_GMEM_H
#include <stdbool.h>
#include <stdint.h>

struct gmem {
    uint8_t *base;
    uint32_t size;          /* bytes the guest may reference */
};

/* [gpa, gpa + len) lies inside guest memory; never wraps. */
static inline bool gmem_ok(const struct gmem *m, uint32_t gpa, uint32_t len)
{
    return len <= m->size && gpa <= m->size - len;
}

/* Host pointer to [gpa, gpa + len), or NULL when any byte is outside. */
static inline void *gmem_ptr(const struct gmem *m, uint32_t gpa, uint32_t len)
{
    return gmem_ok(m, gpa, len) ? m->base + gpa : 0;
}

/* Copies between guest and host; false (and nothing copied) when any byte
 * is outside guest memory. Any alignment. */
bool gmem_read(const struct gmem *m, uint32_t gpa, void *dst, uint32_t len);
bool gmem_write(const struct gmem *m, uint32_t gpa, const void *src, uint32_t len);
bool gmem_read_u32(const struct gmem *m, uint32_t gpa, uint32_t *value);
bool gmem_write_u32(const struct gmem *m, uint32_t gpa, uint32_t value);

/* Copies the NUL-terminated string at gpa into buf[cap] (cap >= 1): at most
 * cap - 1 characters, stopping at the NUL or at the end of guest memory,
 * always terminated. False (buf = "") when gpa itself is outside; false
 * with buf untouched when cap is 0. */
bool gmem_read_str(const struct gmem *m, uint32_t gpa, char *buf, uint32_t cap);

#endif
