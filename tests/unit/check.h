/* A tiny host-side test framework. A case is a void function; RUN() calls
 * it and prints exactly one line, "PASS name" or "FAIL name: why". A case
 * keeps running after a failed check (later checks may explain the first),
 * but only the first failure is shown, with a count of the others. */
#ifndef TESTS_UNIT_CHECK_H
#define TESTS_UNIT_CHECK_H
#include <stdio.h>
#include <string.h>

static char check_why[512];
static int check_nfail;                 /* failed checks in the current case */
static int check_cases_failed;

/* Records a failed check; detail (may be "") shows the values involved. */
static inline void check_fail(const char *file, int line, const char *expr, const char *detail)
{
    if (check_nfail++)
        return;
    snprintf(check_why, sizeof(check_why), "%s:%d: %s%s", file, line, expr, detail);
}

#define CHECK(cond) \
    do { if (!(cond)) check_fail(__FILE__, __LINE__, #cond, ""); } while (0)

/* Decimal and hex, so both counts and addresses read well; values with the
 * top bit set (often a negative int widened) in signed decimal. */
static inline const char *check_int(char *buf, size_t size, unsigned long long v)
{
    if ((long long)v < 0)
        snprintf(buf, size, "%lld/0x%llx", (long long)v, v);
    else
        snprintf(buf, size, "%llu/0x%llx", v, v);
    return buf;
}

/* Integers of any width and signedness. */
#define CHECK_EQ(a, b) do { \
    unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
    if (a_ != b_) { \
        char d_[128], ga_[48], gb_[48]; \
        snprintf(d_, sizeof(d_), " (got %s, want %s)", check_int(ga_, sizeof(ga_), a_), \
                 check_int(gb_, sizeof(gb_), b_)); \
        check_fail(__FILE__, __LINE__, #a " == " #b, d_); \
    } \
} while (0)

#define CHECK_STR(a, b) do { \
    const char *a_ = (a), *b_ = (b); \
    if (strcmp(a_, b_) != 0) { \
        char d_[280]; \
        snprintf(d_, sizeof(d_), " (got \"%.120s\", want \"%.120s\")", a_, b_); \
        check_fail(__FILE__, __LINE__, #a " == " #b, d_); \
    } \
} while (0)

/* A substring test: for diagnostics whose exact wording may grow. */
#define CHECK_CONTAINS(hay, needle) do { \
    const char *h_ = (hay), *n_ = (needle); \
    if (!strstr(h_, n_)) { \
        char d_[220]; \
        snprintf(d_, sizeof(d_), " (\"%.120s\" lacks \"%.60s\")", h_, n_); \
        check_fail(__FILE__, __LINE__, #hay " contains " #needle, d_); \
    } \
} while (0)

static inline void check_run(const char *name, void (*fn)(void))
{
    check_nfail = 0;
    check_why[0] = 0;
    fn();
    if (check_nfail) {
        check_cases_failed++;
        if (check_nfail > 1)
            printf("FAIL %s: %s (+%d more)\n", name, check_why, check_nfail - 1);
        else
            printf("FAIL %s: %s\n", name, check_why);
    } else {
        printf("PASS %s\n", name);
    }
    /* a sanitizer abort in a later case must not swallow this line */
    fflush(stdout);
}

#define RUN(fn) check_run(#fn, fn)
#define CHECK_EXIT_STATUS() (check_cases_failed ? 1 : 0)

#endif
