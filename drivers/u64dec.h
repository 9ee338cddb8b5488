/* newlib's printf here has no %llu: a 64-bit number is printed as "%s"
 * with U64(v), a decimal string that lives to the end of the statement. */
#ifndef DRIVERS_U64DEC_H
#define DRIVERS_U64DEC_H
#include <stdint.h>

struct u64dec { char s[21]; };

static inline struct u64dec u64dec(uint64_t v)
{
    struct u64dec d;
    char tmp[21];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        d.s[i] = tmp[n - 1 - i];
    d.s[n] = 0;
    return d;
}
#define U64(v) (u64dec(v).s)

#endif
