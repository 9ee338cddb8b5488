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
    /* Pages not zeroed yet (bit n = page n), or NULL. A guest's RAM is
     * zeroed a page at a time on first use, by the guest or by us, rather
     * than all at once when it is loaded: a 128 MiB guest would otherwise
     * wait for 128 MiB of memset before its first instruction. */
    uint32_t *unzeroed;
};

/* Zeroes the not-yet-zeroed pages of [gpa, gpa + len), which must be
 * inside guest memory. Every way to guest memory passes through here. */
void gmem_settle(const struct gmem *m, uint32_t gpa, uint32_t len);

/* [gpa, gpa + len) lies inside guest memory; never wraps. */
static inline bool gmem_ok(const struct gmem *m, uint32_t gpa, uint32_t len)
{
    return len <= m->size && gpa <= m->size - len;
}

/* Host pointer to [gpa, gpa + len), or NULL when any byte is outside. */
static inline void *gmem_ptr(const struct gmem *m, uint32_t gpa, uint32_t len)
{
    if (!gmem_ok(m, gpa, len))
        return 0;
    if (m->unzeroed)
        gmem_settle(m, gpa, len);
    return m->base + gpa;
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
