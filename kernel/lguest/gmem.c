/* Guest memory copies. Every length is checked with gmem_ok before base is
 * touched, and a zero length never touches base at all (base may be NULL
 * for an empty guest, and NULL + 0 or memcpy from NULL is undefined). */
#include "kernel/hot.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lguest/gmem.h"

void gmem_zero_range(const struct gmem *m, uint32_t gpa, uint32_t len)
{
    for (uint32_t p = gpa >> 12, last = (gpa + len - 1) >> 12; p <= last; p++) {
        uint32_t bit = 1u << (p & 31);
        if (m->unzeroed[p >> 5] & bit) {
            memset(m->base + ((size_t)p << 12), 0, 4096);
            m->unzeroed[p >> 5] &= ~bit;
        }
    }
}

uint32_t gmem_zero_some(const struct gmem *m, uint32_t *cursor, uint32_t max_pages)
{
    uint32_t pages = m->size >> 12, done = 0;
    if (!m->unzeroed || !pages)
        return 0;
    uint32_t p = *cursor < pages ? *cursor : 0;
    for (uint32_t seen = 0; seen < pages && done < max_pages; seen++, p = (p + 1) % pages) {
        uint32_t word = m->unzeroed[p >> 5];
        if (!word && (p & 31) == 0 && pages - p >= 32) {
            seen += 31;             /* a whole word of zeroed pages */
            p += 31;
            continue;
        }
        if (word >> (p & 31) & 1) {
            memset(m->base + ((size_t)p << 12), 0, 4096);
            m->unzeroed[p >> 5] &= ~(1u << (p & 31));
            done++;
        }
    }
    *cursor = p;
    return done;
}

HOT bool gmem_read(const struct gmem *m, uint32_t gpa, void *dst, uint32_t len)
{
    if (!gmem_ok(m, gpa, len))
        return false;
    if (len) {
        gmem_settle(m, gpa, len);
        memcpy(dst, m->base + gpa, len);
    }
    return true;
}

HOT bool gmem_write(const struct gmem *m, uint32_t gpa, const void *src, uint32_t len)
{
    if (!gmem_ok(m, gpa, len))
        return false;
    if (len) {
        gmem_settle(m, gpa, len);
        memcpy(m->base + gpa, src, len);
    }
    return true;
}

/* The scan is bounded by both cap and the end of guest memory, so a string
 * near the top of memory is read up to the end rather than refused (lguest
 * refused anything starting within 128 bytes of the end, ABI appendix D). */
bool gmem_read_str(const struct gmem *m, uint32_t gpa, char *buf, uint32_t cap)
{
    if (cap == 0)                       /* no room even for the terminator */
        return false;
    buf[0] = 0;
    if (gpa >= m->size)
        return false;
    uint32_t n = m->size - gpa;         /* >= 1, no wrap: gpa < size */
    if (n > cap - 1)
        n = cap - 1;
    if (n == 0)
        return true;
    gmem_settle(m, gpa, n);
    const uint8_t *s = m->base + gpa;
    const uint8_t *nul = memchr(s, 0, n);
    if (nul)
        n = (uint32_t)(nul - s);
    memcpy(buf, s, n);
    buf[n] = 0;
    return true;
}
