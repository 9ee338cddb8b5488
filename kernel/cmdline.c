/* Command-line words and values. Everything is bounded: an over-long key
 * or value is an error, never an overflow. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "kernel/cmdline.h"

/* Skips the rest of a bad word: a quoted value is one word up to its
 * closing quote, however many spaces it holds, so text inside quotes never
 * comes back as options. */
static int fail(const char **p, char quote, struct cmdline_token *tok, const char *why)
{
    const char *s = *p;
    if (quote) {
        while (*s && *s != quote)
            s++;
        if (*s)
            s++;
    }
    while (*s && !isspace((unsigned char)*s))
        s++;
    *p = s;
    snprintf(tok->value, sizeof(tok->value), "%s", why);
    return -1;
}

int cmdline_next(const char **p, struct cmdline_token *tok)
{
    const char *s = *p;
    memset(tok, 0, sizeof(*tok));
    while (isspace((unsigned char)*s))
        s++;
    *p = s;
    if (!*s)
        return 0;
    size_t k = 0;
    while (*s && *s != '=' && !isspace((unsigned char)*s)) {
        if (k + 1 >= sizeof(tok->key)) {
            *p = s;
            return fail(p, 0, tok, "name too long");
        }
        tok->key[k++] = *s++;
    }
    if (*s != '=') {
        *p = s;
        return k ? 1 : fail(p, 0, tok, "empty name");
    }
    if (!k) {
        *p = s;
        return fail(p, 0, tok, "empty name");
    }
    s++;
    tok->has_value = 1;
    size_t v = 0;
    char quote = (*s == '"' || *s == '\'') ? *s++ : 0;
    while (*s && (quote ? *s != quote : !isspace((unsigned char)*s))) {
        if (v + 1 >= sizeof(tok->value)) {
            *p = s;
            return fail(p, quote, tok, "value too long");
        }
        tok->value[v++] = *s++;
    }
    if (quote) {
        if (*s != quote) {
            *p = s;
            snprintf(tok->value, sizeof(tok->value), "unterminated quote");
            return -1;
        }
        s++;
    }
    *p = s;
    return 1;
}

int parse_uint(const char *s, uint32_t *out)
{
    uint64_t v = 0;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return -1;
    for (; *s; s++) {
        int d;
        if (isdigit((unsigned char)*s)) d = *s - '0';
        else if (base == 16 && isxdigit((unsigned char)*s)) d = tolower((unsigned char)*s) - 'a' + 10;
        else return -1;
        v = v * base + d;
        if (v > 0xFFFFFFFFull)
            return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int parse_size(const char *s, uint64_t *out)
{
    char num[32];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(num))
        return -1;
    memcpy(num, s, n + 1);
    unsigned shift = 0;
    switch (toupper((unsigned char)num[n - 1])) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    default: break;
    }
    if (shift)
        num[n - 1] = 0;
    uint32_t v;
    if (parse_uint(num, &v))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = { "on", "yes", "true", "1" };
    static const char *const no[] = { "off", "no", "false", "0" };
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0) { *out = 1; return 0; }
        if (strcmp(s, no[i]) == 0) { *out = 0; return 0; }
    }
    return -1;
}
