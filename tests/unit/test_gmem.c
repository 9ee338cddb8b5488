/* sources: kernel/lguest/gmem.c */
/* Bounds-checked guest memory: exact limits, wrap-around of gpa + len, zero
 * sizes, and strings that run into the end of guest memory. The guest
 * memory is a malloc block of exactly its size, so a read one byte past
 * the end is caught by AddressSanitizer when it is available. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/lguest/gmem.h"
#include "tests/unit/check.h"

/* A guest of size bytes, filled with a recognisable pattern. */
static struct gmem guest(uint32_t size)
{
    struct gmem m = { malloc(size ? size : 1), size, NULL, 0 };
    for (uint32_t i = 0; i < size; i++)
        m.base[i] = (uint8_t)(i * 7 + 1);
    return m;
}

static void ok_exact_limits(void)
{
    struct gmem m = { (uint8_t *)0x1000, 4096, NULL, 0 };
    CHECK(gmem_ok(&m, 0, 4096));
    CHECK(gmem_ok(&m, 4095, 1));
    CHECK(gmem_ok(&m, 4096, 0));
    CHECK(gmem_ok(&m, 0, 0));
    CHECK(gmem_ok(&m, 2048, 2048));
    CHECK(!gmem_ok(&m, 0, 4097));
    CHECK(!gmem_ok(&m, 1, 4096));
    CHECK(!gmem_ok(&m, 4096, 1));
    CHECK(!gmem_ok(&m, 4097, 0));
    CHECK(!gmem_ok(&m, 2049, 2048));
}

static void ok_never_wraps(void)
{
    struct gmem m = { (uint8_t *)0x1000, 4096, NULL, 0 };
    CHECK(!gmem_ok(&m, 0xFFFFFFFF, 1));
    CHECK(!gmem_ok(&m, 1, 0xFFFFFFFF));
    CHECK(!gmem_ok(&m, 0xFFFFFFFF, 0xFFFFFFFF));
    CHECK(!gmem_ok(&m, 0xFFFFFFFF, 0));
    CHECK(!gmem_ok(&m, 0x10, 0xFFFFFFF0));      /* gpa + len == 2^32 */
    CHECK(!gmem_ok(&m, 0x11, 0xFFFFFFF0));      /* gpa + len wraps to 1 */
    CHECK(!gmem_ok(&m, 0xFFFFF000, 0x2000));
    CHECK(!gmem_ok(&m, 0x80000000, 0x80000000));
    /* the largest guest: every in-range pair still judged exactly */
    struct gmem big = { (uint8_t *)0x1000, 0xFFFFFFFF, NULL, 0 };
    CHECK(gmem_ok(&big, 0, 0xFFFFFFFF));
    CHECK(gmem_ok(&big, 0xFFFFFFFE, 1));
    CHECK(gmem_ok(&big, 0xFFFFFFFF, 0));
    CHECK(!gmem_ok(&big, 0xFFFFFFFF, 1));
    CHECK(!gmem_ok(&big, 1, 0xFFFFFFFF));
}

static void ptr_inside_or_null(void)
{
    struct gmem m = guest(64);
    CHECK(gmem_ptr(&m, 0, 64) == m.base);
    CHECK(gmem_ptr(&m, 60, 4) == m.base + 60);
    CHECK(gmem_ptr(&m, 61, 4) == NULL);
    CHECK(gmem_ptr(&m, 0xFFFFFFFC, 8) == NULL);
    free(m.base);
}

/* An empty guest: every non-empty access fails, empty ones succeed without
 * touching base (which is NULL here, so any dereference would crash). */
static void size_zero(void)
{
    struct gmem m = { NULL, 0, NULL, 0 };
    uint8_t b[4] = { 1, 2, 3, 4 };
    uint32_t v = 0x5A5A5A5A;
    char s[8] = "junk";
    CHECK(gmem_ok(&m, 0, 0));
    CHECK(!gmem_ok(&m, 0, 1));
    CHECK(!gmem_ok(&m, 1, 0));
    CHECK(gmem_read(&m, 0, b, 0));
    CHECK(gmem_write(&m, 0, b, 0));
    CHECK(!gmem_read(&m, 0, b, 1));
    CHECK(!gmem_write(&m, 0, b, 1));
    CHECK(!gmem_read_u32(&m, 0, &v));
    CHECK_EQ(v, 0x5A5A5A5A);
    CHECK(!gmem_write_u32(&m, 0, 1));
    CHECK(!gmem_read_str(&m, 0, s, sizeof(s)));
    CHECK_STR(s, "");
    CHECK_EQ(b[0], 1);
}

static void read_write_copy(void)
{
    struct gmem m = guest(100);
    uint8_t buf[100];
    CHECK(gmem_read(&m, 0, buf, 100));
    CHECK(memcmp(buf, m.base, 100) == 0);
    CHECK(gmem_read(&m, 97, buf, 3));           /* the last bytes */
    CHECK(memcmp(buf, m.base + 97, 3) == 0);
    static const uint8_t msg[5] = { 'h', 'e', 'l', 'l', 'o' };
    CHECK(gmem_write(&m, 95, msg, 5));
    CHECK(memcmp(m.base + 95, msg, 5) == 0);
    CHECK(gmem_write(&m, 0, msg, 5));
    CHECK(memcmp(m.base, msg, 5) == 0);
    free(m.base);
}

/* A failed copy copies nothing: neither a partial prefix nor the part that
 * is inside. */
static void read_write_refused_whole(void)
{
    struct gmem m = guest(100);
    uint8_t before[100], buf[16];
    memcpy(before, m.base, 100);
    memset(buf, 0xAA, sizeof(buf));
    CHECK(!gmem_read(&m, 96, buf, 5));
    CHECK(!gmem_read(&m, 100, buf, 1));
    CHECK(!gmem_read(&m, 0xFFFFFFFF, buf, 2));
    CHECK(!gmem_read(&m, 4, buf, 0xFFFFFFFE));
    for (size_t i = 0; i < sizeof(buf); i++)
        CHECK_EQ(buf[i], 0xAA);
    CHECK(!gmem_write(&m, 96, buf, 5));
    CHECK(!gmem_write(&m, 100, buf, 1));
    CHECK(!gmem_write(&m, 0xFFFFFFF8, buf, 16));    /* wraps onto gpa 8 */
    CHECK(memcmp(m.base, before, 100) == 0);
    free(m.base);
}

static void u32_any_alignment(void)
{
    struct gmem m = guest(16);
    uint32_t v = 0;
    CHECK(gmem_write_u32(&m, 1, 0x11223344));
    CHECK_EQ(m.base[1], 0x44);                  /* little-endian, as the guest sees it */
    CHECK_EQ(m.base[4], 0x11);
    CHECK(gmem_read_u32(&m, 1, &v));
    CHECK_EQ(v, 0x11223344);
    CHECK(gmem_write_u32(&m, 12, 0xCAFEF00D));  /* the last whole word */
    CHECK(gmem_read_u32(&m, 12, &v));
    CHECK_EQ(v, 0xCAFEF00D);
    CHECK(gmem_write_u32(&m, 0, 0xDEADBEEF));
    CHECK(gmem_read_u32(&m, 0, &v));
    CHECK_EQ(v, 0xDEADBEEF);
    free(m.base);
}

static void u32_refused_at_end(void)
{
    struct gmem m = guest(16);
    uint8_t before[16];
    memcpy(before, m.base, 16);
    uint32_t v = 0x5A5A5A5A;
    CHECK(!gmem_read_u32(&m, 13, &v));
    CHECK(!gmem_read_u32(&m, 16, &v));
    CHECK(!gmem_read_u32(&m, 0xFFFFFFFE, &v));  /* would wrap onto gpa 0..1 */
    CHECK(!gmem_read_u32(&m, 0xFFFFFFFF, &v));
    CHECK_EQ(v, 0x5A5A5A5A);
    CHECK(!gmem_write_u32(&m, 13, 1));
    CHECK(!gmem_write_u32(&m, 0xFFFFFFFD, 1));
    CHECK(memcmp(m.base, before, 16) == 0);
    free(m.base);
}

/* Writes s (without its NUL) at gpa. */
static void put(struct gmem *m, uint32_t gpa, const char *s)
{
    memcpy(m->base + gpa, s, strlen(s));
}

static void str_plain(void)
{
    struct gmem m = guest(64);
    char buf[32];
    put(&m, 10, "hello");
    m.base[15] = 0;
    m.base[16] = 'X';                           /* after the NUL: not copied */
    memset(buf, '#', sizeof(buf));
    CHECK(gmem_read_str(&m, 10, buf, sizeof(buf)));
    CHECK_STR(buf, "hello");
    CHECK_EQ(buf[6], '#');
    m.base[0] = 0;
    CHECK(gmem_read_str(&m, 0, buf, sizeof(buf)));
    CHECK_STR(buf, "");
    free(m.base);
}

static void str_truncated_by_cap(void)
{
    struct gmem m = guest(64);
    char buf[8];
    put(&m, 0, "abcdefghij");
    m.base[10] = 0;
    memset(buf, '#', sizeof(buf));
    CHECK(gmem_read_str(&m, 0, buf, 8));
    CHECK_STR(buf, "abcdefg");
    CHECK(gmem_read_str(&m, 0, buf, 4));
    CHECK_STR(buf, "abc");
    /* exactly cap - 1 characters then the NUL */
    m.base[7] = 0;
    CHECK(gmem_read_str(&m, 0, buf, 8));
    CHECK_STR(buf, "abcdefg");
    free(m.base);
}

static void str_cap_one(void)
{
    struct gmem m = guest(16);
    char c = '#';
    CHECK(gmem_read_str(&m, 3, &c, 1));
    CHECK_EQ(c, 0);
    c = '#';
    CHECK(gmem_read_str(&m, 15, &c, 1));        /* last byte of memory */
    CHECK_EQ(c, 0);
    free(m.base);
}

/* No NUL before the end of guest memory: everything up to the end, and not
 * one byte more (the block ends exactly there). */
static void str_runs_into_end(void)
{
    struct gmem m = guest(16);
    char buf[64];
    put(&m, 0, "0123456789ABCDEF");
    CHECK(gmem_read_str(&m, 10, buf, sizeof(buf)));
    CHECK_STR(buf, "ABCDEF");
    CHECK(gmem_read_str(&m, 15, buf, sizeof(buf)));
    CHECK_STR(buf, "F");
    CHECK(gmem_read_str(&m, 0, buf, sizeof(buf)));
    CHECK_STR(buf, "0123456789ABCDEF");
    /* cap and the end of memory coincide */
    CHECK(gmem_read_str(&m, 9, buf, 8));
    CHECK_STR(buf, "9ABCDEF");
    CHECK(gmem_read_str(&m, 8, buf, 8));
    CHECK_STR(buf, "89ABCDE");
    free(m.base);
}

static void str_start_outside(void)
{
    struct gmem m = guest(16);
    char buf[8];
    static const uint32_t bad[] = { 16, 17, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFF };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        strcpy(buf, "junk");
        CHECK(!gmem_read_str(&m, bad[i], buf, sizeof(buf)));
        CHECK_STR(buf, "");
    }
    free(m.base);
}

/* cap 0 breaks the contract (cap >= 1); it must still write nothing. */
static void str_cap_zero_writes_nothing(void)
{
    struct gmem m = guest(16);
    char c = '#';
    CHECK(!gmem_read_str(&m, 0, &c, 0));
    CHECK_EQ(c, '#');
    free(m.base);
}

static void str_huge_cap(void)
{
    struct gmem m = guest(16);
    char buf[32];
    put(&m, 4, "xyz");
    m.base[7] = 0;
    /* a cap larger than guest memory is bounded by memory, then the NUL */
    CHECK(gmem_read_str(&m, 4, buf, 0xFFFFFFFF));
    CHECK_STR(buf, "xyz");
    free(m.base);
}

/* Lazily zeroed pages: untouched pages keep their bytes until something
 * reaches them through the accessors, then read as zero, once. */
static void lazy_zeroing(void)
{
    struct gmem m = guest(4 * 4096);
    uint32_t bits = 0x0000000Du;            /* pages 0, 2, 3 not yet zeroed */
    m.unzeroed = &bits;
    uint8_t keep = m.base[4096 + 5];
    uint32_t v = 0xFFFFFFFF;
    CHECK(gmem_read_u32(&m, 2 * 4096 + 8, &v));
    CHECK_EQ(v, 0);
    CHECK_EQ(bits, 0x9);                    /* page 2 done, 0 and 3 untouched */
    CHECK(m.base[3 * 4096] != 0 || m.base[3 * 4096 + 1] != 0);
    CHECK(gmem_write_u32(&m, 4096 - 2, 0x11223344));    /* straddles pages 0 and 1 */
    CHECK_EQ(bits, 0x8);
    CHECK_EQ(m.base[0], 0);
    CHECK_EQ(m.base[4096 + 5], keep);       /* page 1 was zeroed already: left alone */
    uint8_t *p = gmem_ptr(&m, 3 * 4096 + 100, 10);
    CHECK(p != NULL && p[0] == 0 && m.base[3 * 4096] == 0);
    CHECK_EQ(bits, 0);
    p[0] = 7;
    CHECK(gmem_ptr(&m, 3 * 4096, 4096) != NULL);
    CHECK_EQ(m.base[3 * 4096 + 100], 7);    /* zeroed once, never again */
    free(m.base);
}

static void lazy_string(void)
{
    struct gmem m = guest(2 * 4096);
    uint32_t bits = 0x2u;
    m.unzeroed = &bits;
    memcpy(m.base + 4096 - 2, "ab", 2);     /* ends where the unzeroed page begins */
    char buf[16];
    CHECK(gmem_read_str(&m, 4096 - 2, buf, sizeof(buf)));
    CHECK(strcmp(buf, "ab") == 0);          /* stale bytes of page 1 were not read */
    CHECK_EQ(bits, 0);
    free(m.base);
}

/* Idle-time zeroing: exactly the marked pages, at most max_pages a call,
 * resuming where it stopped, wrapping round, and over word boundaries
 * (pages 31/32) and a partial last word (70 pages). */
static void zero_some(void)
{
    enum { PAGES = 70 };
    struct gmem m = guest(PAGES * 4096);
    uint32_t bits[3] = { 0 };
    m.unzeroed = bits;
    const uint32_t marked[] = { 0, 5, 31, 32, 63, 64, 69 };
    for (unsigned i = 0; i < sizeof(marked) / sizeof(marked[0]); i++)
        bits[marked[i] / 32] |= 1u << (marked[i] % 32);
    uint32_t cursor = 40;               /* start mid-way: 63, 64, 69 first, then wrap */
    CHECK_EQ(gmem_zero_some(&m, &cursor, 3), 3);
    CHECK(bits[0] == ((1u << 0) | (1u << 5) | (1u << 31)) && bits[1] == 1u && bits[2] == 0);
    CHECK_EQ(gmem_zero_some(&m, &cursor, 3), 3);
    CHECK(bits[0] == 0 && bits[1] == 1u);
    CHECK_EQ(gmem_zero_some(&m, &cursor, 3), 1);
    CHECK(bits[0] == 0 && bits[1] == 0 && bits[2] == 0);
    CHECK_EQ(gmem_zero_some(&m, &cursor, 3), 0);
    for (uint32_t p = 0; p < PAGES; p++) {
        bool was_marked = false;
        for (unsigned i = 0; i < sizeof(marked) / sizeof(marked[0]); i++)
            was_marked |= marked[i] == p;
        uint32_t nonzero = 0;
        for (uint32_t b = 0; b < 4096; b++)
            nonzero += m.base[p * 4096 + b] != 0;
        /* the pattern i * 7 + 1 is zero in 1 byte of 256 */
        CHECK(was_marked ? nonzero == 0 : nonzero > 4000);
    }
    struct gmem none = { m.base, PAGES * 4096, NULL, 0 };
    cursor = 0;
    CHECK_EQ(gmem_zero_some(&none, &cursor, 3), 0);
    free(m.base);
}

int main(void)
{
    RUN(ok_exact_limits);
    RUN(ok_never_wraps);
    RUN(ptr_inside_or_null);
    RUN(size_zero);
    RUN(read_write_copy);
    RUN(read_write_refused_whole);
    RUN(u32_any_alignment);
    RUN(u32_refused_at_end);
    RUN(str_plain);
    RUN(str_truncated_by_cap);
    RUN(str_cap_one);
    RUN(str_runs_into_end);
    RUN(str_start_outside);
    RUN(str_cap_zero_writes_nothing);
    RUN(str_huge_cap);
    RUN(lazy_zeroing);
    RUN(lazy_string);
    RUN(zero_some);
    return CHECK_EXIT_STATUS();
}
