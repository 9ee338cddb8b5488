#include <stdlib.h>
#include <string.h>
#include "guest/cmdline.h"

static int word_is(const char *w, size_t n, const char *key, const char **value)
{
    size_t k = strlen(key);
    if (n <= k || strncmp(w, key, k) != 0)
        return 0;
    *value = w + k;
    return 1;
}

static u32 number(const char *s, size_t n)
{
    char buf[16];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, s, n);
    buf[n] = 0;
    return (u32)strtoul(buf, 0, 0);
}

void cmdline_parse(const char *cmdline, struct options *o)
{
    strcpy(o->test, "hello");
    o->seed = 1;
    o->loops = 0;
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        size_t n = (size_t)(p - w);
        const char *v;
        if (!n)
            continue;
        if (word_is(w, n, "test=", &v)) {
            size_t len = n - 5 < sizeof o->test - 1 ? n - 5 : sizeof o->test - 1;
            memcpy(o->test, v, len);
            o->test[len] = 0;
        } else if (word_is(w, n, "seed=", &v)) {
            o->seed = number(v, n - 5);
        } else if (word_is(w, n, "loops=", &v)) {
            o->loops = number(v, n - 6);
        }
    }
}
