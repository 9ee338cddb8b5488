/* Kernel versions of guest images: see kversion.h. */
#include <string.h>
#include "kernel/lguest/kversion.h"

#define BZ_SETUP_SECTS 0x1F1
#define BZ_MAGIC       0x202            /* "HdrS" */
#define BZ_VERSION_PTR 0x20E            /* kernel_version: offset from 0x200 */
#define BANNER         "Linux version "

/* A release is digits and dots, then what a version suffix may hold. */
static bool copy_release(const uint8_t *s, uint32_t avail, char out[KVERSION_MAX])
{
    uint32_t n = 0;
    while (n < avail && n < KVERSION_MAX - 1 && s[n] > ' ' && s[n] < 0x7F)
        n++;
    if (!n || s[0] < '0' || s[0] > '9')
        return false;
    memcpy(out, s, n);
    out[n] = 0;
    return true;
}

static bool from_bzimage(const uint8_t *img, uint32_t len, char out[KVERSION_MAX])
{
    if (len < 0x210 || memcmp(img + BZ_MAGIC, "HdrS", 4) != 0)
        return false;
    uint32_t ptr = img[BZ_VERSION_PTR] | (uint32_t)img[BZ_VERSION_PTR + 1] << 8;
    uint32_t setup_end = ((img[BZ_SETUP_SECTS] ? img[BZ_SETUP_SECTS] : 4) + 1) * 512u;
    uint32_t at = 0x200 + ptr;
    if (!ptr || at >= len || at >= setup_end)
        return false;
    uint32_t avail = (setup_end < len ? setup_end : len) - at;
    return copy_release(img + at, avail, out);
}

static bool from_banner(const uint8_t *img, uint32_t len, char out[KVERSION_MAX])
{
    const uint32_t blen = sizeof(BANNER) - 1;
    for (uint32_t i = 0; i + blen < len; i++) {
        const uint8_t *p = memchr(img + i, 'L', len - blen - i);
        if (!p)
            return false;
        i = (uint32_t)(p - img);
        if (memcmp(p, BANNER, blen) == 0 && copy_release(p + blen, len - i - blen, out))
            return true;
    }
    return false;
}

bool kernel_version(const uint8_t *img, uint32_t len, char out[KVERSION_MAX])
{
    out[0] = 0;
    return from_bzimage(img, len, out) || from_banner(img, len, out);
}

const char *kernel_generation(const char *release)
{
    unsigned major = 0, minor = 0;
    const char *p = release;
    while (*p >= '0' && *p <= '9')
        major = major * 10 + (unsigned)(*p++ - '0');
    if (*p++ != '.' || *p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        minor = minor * 10 + (unsigned)(*p++ - '0');
    if (major == 2 && minor == 6)
        return "2.6";
    if (major == 3)
        return "3.10";
    if (major == 4 && minor <= 13)
        return "4";
    return 0;
}
