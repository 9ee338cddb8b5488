#include <stdlib.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/cmdline.h"

char *boot_option(const char *key, char *buf, unsigned n)
{
    size_t k = strlen(key);
    for (const char *p = boot_cmdline; *p;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        if ((size_t)(p - w) > k && strncmp(w, key, k) == 0 && w[k] == '=') {
            size_t len = (size_t)(p - w) - k - 1;
            if (len >= n)
                len = n - 1;
            memcpy(buf, w + k + 1, len);
            buf[len] = 0;
            return buf;
        }
    }
    return 0;
}

u32 boot_option_u32(const char *key, u32 def)
{
    char v[24];
    return boot_option(key, v, sizeof v) ? (u32)strtoul(v, 0, 0) : def;
}
