#include "guest/user/ulib.h"

u32 u_strlen(const char *s)
{
    u32 n = 0;
    while (s[n])
        n++;
    return n;
}

void u_puts(const char *s) { u_write(s, u_strlen(s)); }

static void put(char *buf, u32 size, u32 *pos, char c)
{
    if (*pos + 1 < size)
        buf[(*pos)++] = c;
}

void u_vformat(char *buf, u32 size, const char *fmt, va_list ap)
{
    u32 pos = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%' || !fmt[1]) {
            put(buf, size, &pos, *fmt);
            continue;
        }
        char digits[12];
        int n = 0;
        u32 v;
        switch (*++fmt) {
        case 's':
            for (const char *s = va_arg(ap, const char *); *s; s++)
                put(buf, size, &pos, *s);
            break;
        case 'd':
            v = va_arg(ap, u32);
            if ((int)v < 0) {
                put(buf, size, &pos, '-');
                v = 0u - v;
            }
            goto decimal;
        case 'u':
            v = va_arg(ap, u32);
        decimal:
            do {
                digits[n++] = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            while (n)
                put(buf, size, &pos, digits[--n]);
            break;
        case 'x':
            v = va_arg(ap, u32);
            do {
                digits[n++] = "0123456789abcdef"[v & 15];
                v >>= 4;
            } while (v);
            while (n)
                put(buf, size, &pos, digits[--n]);
            break;
        default:
            put(buf, size, &pos, *fmt);
        }
    }
    buf[pos] = 0;
}

void u_format(char *buf, u32 size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    u_vformat(buf, size, fmt, ap);
    va_end(ap);
}

void u_report(int ok, const char *name, const char *fmt, ...)
{
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    u_vformat(why, sizeof why, fmt, ap);
    va_end(ap);
    u_sc3(SYS_REPORT, ok != 0, (u32)name, (u32)why);
}
