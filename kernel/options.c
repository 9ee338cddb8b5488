/* The option table: one row per hypervisor option, so parsing, validation,
 * defaults and the boot-log summary all come from the same place. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "kernel/options.h"

struct options opt;

enum kind { BOOL, UINT, CHOICE };
struct option_desc {
    const char *name;
    enum kind kind;
    size_t offset;
    uint32_t min, max;                  /* UINT */
    const char *const *choices;         /* CHOICE: NULL-terminated */
    int (*check)(uint32_t v);           /* optional extra rule */
    const char *rule;                   /* what check wants, for errors */
    const char *zero;                   /* UINT: a word that means 0 ("all") */
};

static const char *const consoles[] = { "none", "com1", "com2", NULL };
static const char *const levels[] = { "err", "warn", "info", "debug", NULL };
static const char *const timers[] = { "auto", "apic", "pit", NULL };
static const char *const irqs[] = { "auto", "pic", NULL };
static const char *const on_faults[] = { "halt", "reboot", NULL };
static const char *const faults[] = { "none", "de", "ud", "gp", "pf", "df", "hang", NULL };

static int divides_115200(uint32_t v) { return v && 115200 % v == 0; }

#define OFF(f) offsetof(struct options, f)
static const struct option_desc table[] = {
    { "console", CHOICE, OFF(console), 0, 0, consoles, NULL, NULL, NULL },
    { "baud", UINT, OFF(baud), 50, 115200, NULL, divides_115200, "a divisor of 115200", NULL },
    { "loglevel", CHOICE, OFF(loglevel), 0, 0, levels, NULL, NULL, NULL },
    { "timer", CHOICE, OFF(timer), 0, 0, timers, NULL, NULL, NULL },
    { "pci", BOOL, OFF(pci), 0, 1, NULL, NULL, NULL, NULL },
    { "test_fault", CHOICE, OFF(test_fault), 0, 0, faults, NULL, NULL, NULL },
    { "test_ticks", UINT, OFF(test_ticks), 0, 1000, NULL, NULL, NULL, NULL },
    { "bench", BOOL, OFF(bench), 0, 1, NULL, NULL, NULL, NULL },
    { "cpus", UINT, OFF(cpus), 1, 64, NULL, NULL, NULL, "all" },
    { "irq", CHOICE, OFF(irq), 0, 0, irqs, NULL, NULL, NULL },
    { "test_msi", BOOL, OFF(test_msi), 0, 1, NULL, NULL, NULL, NULL },
    { "on_fault", CHOICE, OFF(on_fault), 0, 0, on_faults, NULL, NULL, NULL },
    { "watchdog", UINT, OFF(watchdog), 1, 600, NULL, NULL, NULL, "off" },
    { "net_uplink", UINT, OFF(net_uplink), 1, 8, NULL, NULL, NULL, NULL },
    { "net_itr", UINT, OFF(net_itr), 100, 200000, NULL, NULL, NULL, "off" },
    { "net_offload", BOOL, OFF(net_offload), 0, 1, NULL, NULL, NULL, NULL },
};
#define NOPTS (sizeof(table) / sizeof(table[0]))

void options_defaults(struct options *o)
{
    *o = (struct options){ .console = CONSOLE_COM1, .baud = 115200, .loglevel = 2,
                           .timer = 0, .pci = 1, .test_fault = FAULT_NONE, .test_ticks = 0,
                           .net_uplink = 1, .net_itr = 20000, .net_offload = 1 };
}

static int set_choice(const struct option_desc *d, const char *v, uint32_t *out)
{
    for (uint32_t i = 0; d->choices[i]; i++) {
        if (strcmp(v, d->choices[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

static void choices_list(const struct option_desc *d, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = 0;
    for (uint32_t i = 0; d->choices[i] && n < size; i++)
        n += snprintf(buf + n, size - n, "%s%s", i ? "|" : "", d->choices[i]);
}

static void apply(const struct option_desc *d, const struct cmdline_token *t, struct options *o,
                  struct diag *diag)
{
    uint32_t *field = (uint32_t *)((char *)o + d->offset);
    uint32_t v;
    char list[96];
    switch (d->kind) {
    case BOOL: {
        int b = 1;
        if (t->has_value && parse_bool(t->value, &b)) {
            diag_add(diag, "option %s: '%s' is not on or off; ignored", d->name, t->value);
            return;
        }
        *field = (uint32_t)b;
        return;
    }
    case UINT:
        if (d->zero && t->has_value && strcmp(t->value, d->zero) == 0) {
            *field = 0;
            return;
        }
        if (!t->has_value || parse_uint(t->value, &v) || v < d->min || v > d->max) {
            diag_add(diag, "option %s: '%s' is not a number from %lu to %lu; ignored", d->name,
                     t->has_value ? t->value : "", (unsigned long)d->min, (unsigned long)d->max);
            return;
        }
        if (d->check && !d->check(v)) {
            diag_add(diag, "option %s: %lu is not %s; ignored", d->name, (unsigned long)v, d->rule);
            return;
        }
        *field = v;
        return;
    case CHOICE:
        if (!t->has_value || set_choice(d, t->value, &v)) {
            choices_list(d, list, sizeof(list));
            diag_add(diag, "option %s: '%s' is not one of %s; ignored", d->name,
                     t->has_value ? t->value : "", list);
            return;
        }
        *field = v;
        return;
    }
}

void options_parse(const char *cmdline, struct options *o, struct diag *diag)
{
    const char *p = cmdline ? cmdline : "";
    struct cmdline_token t;
    int r;
    while ((r = cmdline_next(&p, &t)) != 0) {
        if (r < 0) {
            if (t.key[0])
                diag_add(diag, "option %s: %s; ignored", t.key, t.value);
            else
                diag_add(diag, "command line: %s before '%.40s'; ignored", t.value, p);
            continue;
        }
        const struct option_desc *d = NULL;
        for (size_t i = 0; i < NOPTS; i++)
            if (strcmp(table[i].name, t.key) == 0)
                d = &table[i];
        if (!d) {
            diag_add(diag, "unknown option '%s' ignored", t.key);
            continue;
        }
        apply(d, &t, o, diag);
    }
}

void options_format(const struct options *o, char *buf, uint32_t size)
{
    uint32_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < NOPTS && n < size; i++) {
        uint32_t v = *(const uint32_t *)((const char *)o + table[i].offset);
        const char *sep = i ? " " : "";
        if (table[i].kind == CHOICE)
            n += snprintf(buf + n, size - n, "%s%s=%s", sep, table[i].name, table[i].choices[v]);
        else if (table[i].kind == BOOL)
            n += snprintf(buf + n, size - n, "%s%s=%s", sep, table[i].name, v ? "on" : "off");
        else if (table[i].zero && v == 0)
            n += snprintf(buf + n, size - n, "%s%s=%s", sep, table[i].name, table[i].zero);
        else
            n += snprintf(buf + n, size - n, "%s%s=%lu", sep, table[i].name, (unsigned long)v);
    }
}
