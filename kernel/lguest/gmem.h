/* A guest's memory as the hypervisor reaches it: one contiguous host range
 * [base, base + size), where size = pfn_limit * 4096 (RAM, device page and
 * rings). Every guest-physical address the hypervisor reads or writes on a
 * guest's behalf goes through these checks; nothing else indexes base. */
#ifndef KERNEL_LGUEST_GMEM_H
#define KERNEL_LGUEST_GMEM_H
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
    uint64_t phys;          /* where base is in physical memory: for shadow
                             * entries and device DMA */
};

/* The loop behind gmem_settle: zeroes every not-yet-zeroed page of
 * [gpa, gpa + len). */
void gmem_zero_range(const struct gmem *m, uint32_t gpa, uint32_t len);

/* [gpa, gpa + len) lies inside guest memory; never wraps. */
static inline bool gmem_ok(const struct gmem *m, uint32_t gpa, uint32_t len)
{
    return len <= m->size && gpa <= m->size - len;
}

/* Zeroes the not-yet-zeroed pages of [gpa, gpa + len), which must be
 * inside guest memory. Every way to guest memory passes through here, on
 * every exit, so the common case is decided inline: a range of at most a
 * page spans at most two pages, and their two bits say whether there is
 * anything to do. */
static inline void gmem_settle(const struct gmem *m, uint32_t gpa, uint32_t len)
{
    if (!m->unzeroed || !len)
        return;
    uint32_t a = gpa >> 12, b = (gpa + len - 1) >> 12;
    if (len > 4096 || ((m->unzeroed[a >> 5] >> (a & 31)) | (m->unzeroed[b >> 5] >> (b & 31))) & 1)
        gmem_zero_range(m, gpa, len);
}

/* Zeroes at most max_pages of the pages still to be zeroed, searching from
 * page *cursor on (and wrapping once); *cursor is left where to go on.
 * Returns how many it zeroed: 0 when none is left. For idle time, so that
 * the zeroing is done before the guest's first use rather than in it. */
uint32_t gmem_zero_some(const struct gmem *m, uint32_t *cursor, uint32_t max_pages);

/* Host pointer to [gpa, gpa + len), or NULL when any byte is outside. */
static inline void *gmem_ptr(const struct gmem *m, uint32_t gpa, uint32_t len)
{
    if (!gmem_ok(m, gpa, len))
        return 0;
    gmem_settle(m, gpa, len);
    return m->base + gpa;
}

/* Copies between guest and host; false (and nothing copied) when any byte
 * is outside guest memory. Any alignment. */
bool gmem_read(const struct gmem *m, uint32_t gpa, void *dst, uint32_t len);
bool gmem_write(const struct gmem *m, uint32_t gpa, const void *src, uint32_t len);

/* One word, for the page-table walks (memcpy: guest addresses need not be
 * aligned; the compiler makes it a single load or store). */
static inline bool gmem_read_u32(const struct gmem *m, uint32_t gpa, uint32_t *value)
{
    const void *p = gmem_ptr(m, gpa, sizeof(*value));
    if (!p)
        return false;
    __builtin_memcpy(value, p, sizeof(*value));
    return true;
}

static inline bool gmem_write_u32(const struct gmem *m, uint32_t gpa, uint32_t value)
{
    void *p = gmem_ptr(m, gpa, sizeof(value));
    if (!p)
        return false;
    __builtin_memcpy(p, &value, sizeof(value));
    return true;
}

/* Copies the NUL-terminated string at gpa into buf[cap] (cap >= 1): at most
 * cap - 1 characters, stopping at the NUL or at the end of guest memory,
 * always terminated. False (buf = "") when gpa itself is outside; false
 * with buf untouched when cap is 0. */
bool gmem_read_str(const struct gmem *m, uint32_t gpa, char *buf, uint32_t cap);

#endif
