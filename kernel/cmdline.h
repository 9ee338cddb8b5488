#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H
#include <stdint.h>
#include "kernel/diag.h"

/* One word of a command line: key, key=value, key="quoted value". */
struct cmdline_token {
    char key[64];
    char value[512];
    int has_value;
};

/* Reads the next token at *p and advances it. 1: a token; 0: end of line;
 * -1: malformed (the reason is in tok->value, the name, if one was read,
 * in tok->key), *p moved past the bad word (a quoted value is one word). */
int cmdline_next(const char **p, struct cmdline_token *tok);

/* Numbers: decimal or 0x-hex; sizes take a K, M or G suffix (binary). */
int parse_uint(const char *s, uint32_t *out);
int parse_size(const char *s, uint64_t *out);
/* on/off, yes/no, true/false, 1/0 */
int parse_bool(const char *s, int *out);

#endif
