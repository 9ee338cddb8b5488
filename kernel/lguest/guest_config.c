/* Guest configuration from multiboot module strings. Two passes: kernels
 * first (they create guests), then initrds and disks (they attach to a
 * guest by name), so module order on the GRUB command line does not matter. */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "kernel/lguest/guest_config.h"

enum role { ROLE_KERNEL, ROLE_INITRD, ROLE_DISK, ROLE_UNKNOWN };

struct parsed {
    enum role role;
    char name[GUEST_NAME_MAX];
    uint32_t mem;
    int has_mem;
    int restart_on_kill;
    int net;                    /* -1 unset, 0 off, 1 on */
    int cpu;                    /* -1 unset */
    uint32_t weight, cap;       /* 0 unset */
    int restart_limit;          /* -1 unset */
    int restart_delay;          /* ms; -1 unset */
    int gdb;                    /* gdb=on */
    int rng;                    /* rng=on */
    int abi;                    /* enum guest_abi */
    int paging;                 /* enum guest_paging */
    int has_mac;
    uint8_t mac[6];
    char sata[GUEST_SATA_MAX];
    const char *args;           /* after "--", or NULL */
};

static enum role role_of(const char *w)
{
    if (strcmp(w, "kernel") == 0) return ROLE_KERNEL;
    if (strcmp(w, "initrd") == 0) return ROLE_INITRD;
    if (strcmp(w, "disk") == 0) return ROLE_DISK;
    return ROLE_UNKNOWN;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= GUEST_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return 0;
    return 1;
}

/* Splits off the guest command line at a "--" word. */
static const char *find_args(const char *s, size_t *opts_len)
{
    for (const char *p = s; (p = strstr(p, "--")) != NULL; p += 2) {
        int starts = p == s || isspace((unsigned char)p[-1]);
        int ends = p[2] == 0 || isspace((unsigned char)p[2]);
        if (starts && ends) {
            *opts_len = (size_t)(p - s);
            const char *a = p + 2;
            while (isspace((unsigned char)*a))
                a++;
            return a;
        }
    }
    *opts_len = strlen(s);
    return NULL;
}

/* "02:4c:47:00:00:01": six hex pairs; unicast (the switch learns by it). */
static int parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) || s[2] != (i < 5 ? ':' : 0))
            return -1;
        unsigned v;
        sscanf(s, "%2x", &v);
        mac[i] = (uint8_t)v;
        s += 3;
    }
    return (mac[0] & 1) ? -1 : 0;
}

/* "sataN:NAME" or "sataN:NUMBER" (or nvmeN:...): whether the partition
 * exists is only known once the disks are read; here only its shape. */
static int valid_sata(const char *s)
{
    if ((strncmp(s, "sata", 4) != 0 && strncmp(s, "nvme", 4) != 0) || !isdigit((unsigned char)s[4]))
        return 0;
    const char *p = s + 4;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p != ':' || !p[1] || strlen(s) >= GUEST_SATA_MAX || p - s > 6)
        return 0;
    for (p++; *p; p++)
        if (!isprint((unsigned char)*p) || *p == ':')
            return 0;
    return 1;
}

/* The kernel-line options that are a number in a range: one row each,
 * with the words that say what the number is when it is not. */
struct number_opt {
    const char *key;
    uint32_t lo, hi;
    const char *what;           /* "...=VALUE is not <what> from LO to HI" */
    const char *lo_means;       /* said after LO, or "" */
    size_t offset;              /* int or uint32_t field of struct parsed */
};

#define PARSED(f) offsetof(struct parsed, f)
static const struct number_opt numbers[] = {
    { "cpu", 0, GUEST_CPU_LIMIT - 1, "a CPU number", "", PARSED(cpu) },
    { "restart_limit", 0, GUEST_RESTART_LIMIT_MAX, "a number", " (no limit)", PARSED(restart_limit) },
    { "restart_delay", 0, GUEST_RESTART_DELAY_MAX, "a number of milliseconds", " (no back-off)",
      PARSED(restart_delay) },
    { "weight", 1, GUEST_WEIGHT_MAX, "a number", "", PARSED(weight) },
    { "cap", 0, 100, "a percentage of one CPU", " (none)", PARSED(cap) },
};

/* true when t is one of them (*bad set if its value is not good). */
static bool number_option(uint32_t idx, const struct cmdline_token *t, struct parsed *p,
                          struct diag *d, int *bad)
{
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        const struct number_opt *o = &numbers[i];
        if (strcmp(t->key, o->key) != 0)
            continue;
        uint32_t v;
        if (parse_uint(t->value, &v) || v < o->lo || v > o->hi) {
            diag_add(d, "module %lu: %s=%s is not %s from %lu%s to %lu", (unsigned long)idx, o->key,
                     t->value, o->what, (unsigned long)o->lo, o->lo_means, (unsigned long)o->hi);
            *bad = 1;
        } else {
            memcpy((char *)p + o->offset, &v, sizeof(v));   /* int and uint32_t alike */
        }
        return true;
    }
    return false;
}

/* The kernel-line options that are on or off, each an int of struct
 * parsed. */
static const struct { const char *key; size_t offset; } switches[] = {
    { "net", PARSED(net) }, { "gdb", PARSED(gdb) }, { "rng", PARSED(rng) },
};

/* true when t is one of them (*bad set if its value is neither). */
static bool switch_option(uint32_t idx, const struct cmdline_token *t, struct parsed *p,
                          struct diag *d, int *bad)
{
    for (size_t i = 0; i < sizeof(switches) / sizeof(switches[0]); i++) {
        if (strcmp(t->key, switches[i].key) != 0)
            continue;
        if (strcmp(t->value, "on") == 0 || strcmp(t->value, "off") == 0) {
            *(int *)((char *)p + switches[i].offset) = t->value[1] == 'n';
        } else {
            diag_add(d, "module %lu: %s=%s is not on or off", (unsigned long)idx, t->key, t->value);
            *bad = 1;
        }
        return true;
    }
    return false;
}

/* 0 when the line is good; otherwise a reason has been added to d. */
static int parse_line(uint32_t idx, const char *s, struct parsed *p, struct diag *d)
{
    static char opts[BOOT_STRING_MAX];     /* boot time, one CPU: no need for a stack copy */
    size_t n;
    memset(p, 0, sizeof(*p));
    p->net = -1;
    p->cpu = -1;
    p->restart_limit = -1;
    p->restart_delay = -1;
    p->args = find_args(s, &n);
    if (n >= sizeof(opts)) {
        diag_add(d, "module %lu: options too long; module ignored", (unsigned long)idx);
        return -1;
    }
    memcpy(opts, s, n);
    opts[n] = 0;
    const char *cur = opts;
    struct cmdline_token t;
    int r = cmdline_next(&cur, &t);
    if (r <= 0 || t.has_value || (p->role = role_of(t.key)) == ROLE_UNKNOWN) {
        diag_add(d, "module %lu: '%.40s' does not start with kernel, initrd or disk; module ignored",
                 (unsigned long)idx, s);
        return -1;
    }
    int bad = 0;
    while ((r = cmdline_next(&cur, &t)) != 0) {
        if (r < 0) {
            diag_add(d, "module %lu: %s", (unsigned long)idx, t.value);
            bad = 1;
        } else if (strcmp(t.key, "name") == 0 && t.has_value) {
            if (!valid_name(t.value)) {
                diag_add(d, "module %lu: guest name '%.20s' must be 1-%d characters of a-z 0-9 - _",
                         (unsigned long)idx, t.value, GUEST_NAME_MAX - 1);
                bad = 1;
            } else {
                strcpy(p->name, t.value);
            }
        } else if (strcmp(t.key, "mem") == 0 && t.has_value && p->role == ROLE_KERNEL) {
            uint64_t v;
            if (parse_size(t.value, &v) || v < GUEST_MEM_MIN || v > GUEST_MEM_MAX || (v & 0xFFFFF)) {
                diag_add(d, "module %lu: mem=%s is not a whole number of MiB from %u to %u MiB",
                         (unsigned long)idx, t.value, GUEST_MEM_MIN >> 20, GUEST_MEM_MAX >> 20);
                bad = 1;
            } else {
                p->mem = (uint32_t)v;
                p->has_mem = 1;
            }
        } else if (strcmp(t.key, "on_kill") == 0 && t.has_value && p->role == ROLE_KERNEL) {
            if (strcmp(t.value, "stop") == 0 || strcmp(t.value, "restart") == 0) {
                p->restart_on_kill = t.value[0] == 'r';
            } else {
                diag_add(d, "module %lu: on_kill=%s is not stop or restart", (unsigned long)idx, t.value);
                bad = 1;
            }
        } else if (p->role == ROLE_KERNEL && t.has_value && number_option(idx, &t, p, d, &bad)) {
            /* cpu, weight, cap, restart_limit, restart_delay */
        } else if (p->role == ROLE_KERNEL && t.has_value && switch_option(idx, &t, p, d, &bad)) {
            /* net, gdb, rng */
        } else if (strcmp(t.key, "disk") == 0 && t.has_value && p->role == ROLE_KERNEL) {
            if (!valid_sata(t.value)) {
                diag_add(d, "module %lu: disk=%s is not sataN:NAME or sataN:NUMBER (a GPT partition "
                         "by name or number; nvmeN: likewise)", (unsigned long)idx, t.value);
                bad = 1;
            } else {
                memcpy(p->sata, t.value, strlen(t.value) + 1);    /* valid_sata checked the length */
            }
        } else if (strcmp(t.key, "abi") == 0 && t.has_value && p->role == ROLE_KERNEL) {
            if (strcmp(t.value, "2.6") == 0)
                p->abi = GUEST_ABI_2632;
            else if (strcmp(t.value, "3.10") == 0)
                p->abi = GUEST_ABI_310;
            else if (strcmp(t.value, "4") == 0)
                p->abi = GUEST_ABI_4;
            else {
                diag_add(d, "module %lu: abi=%s is not 2.6, 3.10 or 4", (unsigned long)idx, t.value);
                bad = 1;
            }
        } else if (strcmp(t.key, "paging") == 0 && t.has_value && p->role == ROLE_KERNEL) {
            if (strcmp(t.value, "2level") == 0)
                p->paging = GUEST_PAGING_2LEVEL;
            else if (strcmp(t.value, "pae") == 0)
                p->paging = GUEST_PAGING_PAE;
            else {
                diag_add(d, "module %lu: paging=%s is not 2level or pae", (unsigned long)idx, t.value);
                bad = 1;
            }
        } else if (strcmp(t.key, "mac") == 0 && t.has_value && p->role == ROLE_KERNEL) {
            if (parse_mac(t.value, p->mac)) {
                diag_add(d, "module %lu: mac=%s is not a unicast address like 02:4c:47:00:00:01",
                         (unsigned long)idx, t.value);
                bad = 1;
            } else {
                p->has_mac = 1;
            }
        } else {
            diag_add(d, "module %lu: unknown option '%s'", (unsigned long)idx, t.key);
            bad = 1;
        }
    }
    if (p->args && p->role != ROLE_KERNEL) {
        diag_add(d, "module %lu: only a kernel module takes a command line after --", (unsigned long)idx);
        bad = 1;
    }
    if (p->args && strlen(p->args) >= GUEST_ARGS_MAX) {
        diag_add(d, "module %lu: guest command line longer than %d characters", (unsigned long)idx,
                 GUEST_ARGS_MAX - 1);
        bad = 1;
    }
    return bad ? -1 : 0;
}

static int find_guest(struct guest_config *g, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(g[i].name, name) == 0)
            return (int)i;
    return -1;
}

uint32_t guest_configs_parse(const struct boot_module *mods, uint32_t nmods,
                             struct guest_config *out, struct diag *d)
{
    uint32_t n = 0;
    int broken[MAX_GUESTS] = { 0 };
    struct parsed p;
    /* pass 1: every kernel module makes a guest */
    for (uint32_t i = 0; i < nmods; i++) {
        int bad = parse_line(i, mods[i].string, &p, d);
        if (p.role != ROLE_KERNEL)
            continue;
        if (!p.name[0] && !bad)
            snprintf(p.name, sizeof(p.name), "guest%lu", (unsigned long)n);
        if (p.name[0] && find_guest(out, n, p.name) >= 0) {
            diag_add(d, "module %lu: a guest named '%s' already exists; module ignored",
                     (unsigned long)i, p.name);
            continue;
        }
        if (n >= MAX_GUESTS) {
            diag_add(d, "module %lu: more than %d guests; module ignored", (unsigned long)i, MAX_GUESTS);
            continue;
        }
        struct guest_config *g = &out[n];
        memset(g, 0, sizeof(*g));
        if (p.name[0])
            snprintf(g->name, sizeof(g->name), "%s", p.name);
        else
            snprintf(g->name, sizeof(g->name), "module%u", (unsigned)(i & 0xFF));
        g->kernel = (int)i;
        g->initrd = g->disk = -1;
        g->mem = p.has_mem ? p.mem : GUEST_MEM_DEFAULT;
        g->restart_on_kill = p.restart_on_kill;
        g->net = p.net != 0;
        g->cpu = p.cpu;
        g->weight = p.weight ? p.weight : GUEST_WEIGHT_DEFAULT;
        g->cap = p.cap == 100 ? 0 : p.cap;
        g->restart_limit = p.restart_limit >= 0 ? (uint32_t)p.restart_limit : GUEST_RESTART_LIMIT_DEFAULT;
        g->restart_delay = p.restart_delay >= 0 ? (uint32_t)p.restart_delay : GUEST_RESTART_DELAY_DEFAULT;
        g->gdb = p.gdb;
        g->rng = p.rng;
        g->abi = (enum guest_abi)p.abi;
        g->paging = (enum guest_paging)p.paging;
        g->has_mac = p.has_mac;
        memcpy(g->mac, p.mac, sizeof(g->mac));
        memcpy(g->sata, p.sata, sizeof(g->sata));
        if (p.args)
            snprintf(g->args, sizeof(g->args), "%s", p.args);
        broken[n++] = bad;
    }
    /* pass 2: initrds and disks attach to their guest */
    for (uint32_t i = 0; i < nmods; i++) {
        int bad = parse_line(i, mods[i].string, &p, NULL);     /* pass 1 reported its errors */
        if (p.role != ROLE_INITRD && p.role != ROLE_DISK)
            continue;
        const char *what = p.role == ROLE_INITRD ? "initrd" : "disk";
        int gi = p.name[0] ? find_guest(out, n, p.name) : (n == 1 ? 0 : -1);
        if (gi < 0) {
            diag_add(d, "module %lu: %s %s", (unsigned long)i, what,
                     p.name[0] ? "names a guest that has no kernel module; module ignored"
                               : "needs name= when there is not exactly one guest; module ignored");
            continue;
        }
        int *slot = p.role == ROLE_INITRD ? &out[gi].initrd : &out[gi].disk;
        if (bad) {
            broken[gi] = 1;
        } else if (*slot >= 0) {
            diag_add(d, "module %lu: guest '%s' already has an %s (module %d)", (unsigned long)i,
                     out[gi].name, what, *slot);
            broken[gi] = 1;
        } else if (p.role == ROLE_DISK && out[gi].sata[0]) {
            diag_add(d, "module %lu: guest '%s' has disk=%s on its kernel line and a disk module; "
                     "one disk each", (unsigned long)i, out[gi].name, out[gi].sata);
            broken[gi] = 1;
        } else {
            *slot = (int)i;
        }
    }
    /* drop broken guests, keeping the order of the good ones */
    uint32_t good = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (broken[i]) {
            diag_add(d, "guest '%s' not started: its modules have errors (above)", out[i].name);
            continue;
        }
        if (good != i)
            out[good] = out[i];
        good++;
    }
    return good;
}
