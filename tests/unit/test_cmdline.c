/* sources: kernel/cmdline.c kernel/options.c kernel/diag.c */
/* The command-line tokenizer, number/size/bool parsers, diagnostics, and the
 * option table built on them. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/options.h"
#include "kernel/log.h"
#include "kernel/timer.h"
#include "tests/unit/check.h"

/* A line of n copies of c, for the length limits. */
static char *repeat(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = 0;
    return buf;
}

/* ---- cmdline_next ---- */

static void tokens_bare_and_key_value(void)
{
    const char *p = "  pci  console=com2\tbaud=9600 \n";
    struct cmdline_token t;
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, "pci");
    CHECK_EQ(t.has_value, 0);
    CHECK_STR(t.value, "");
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, "console");
    CHECK_EQ(t.has_value, 1);
    CHECK_STR(t.value, "com2");
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, "baud");
    CHECK_STR(t.value, "9600");
    CHECK_EQ(cmdline_next(&p, &t), 0);
    CHECK_EQ(*p, 0);
    /* the end stays the end */
    CHECK_EQ(cmdline_next(&p, &t), 0);
}

static void tokens_quoted_values(void)
{
    const char *p = "a=\"hello world\" b='x y' c=\"\" d= e='it\"s'";
    struct cmdline_token t;
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, "a");
    CHECK_STR(t.value, "hello world");
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, "b");
    CHECK_STR(t.value, "x y");
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, "c");
    CHECK_EQ(t.has_value, 1);
    CHECK_STR(t.value, "");
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, "d");
    CHECK_EQ(t.has_value, 1);
    CHECK_STR(t.value, "");
    /* the other quote character is ordinary text inside quotes */
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, "e");
    CHECK_STR(t.value, "it\"s");
    CHECK_EQ(cmdline_next(&p, &t), 0);
}

static void tokens_blank_lines(void)
{
    struct cmdline_token t;
    const char *p = "";
    CHECK_EQ(cmdline_next(&p, &t), 0);
    p = " \t\r\n ";
    CHECK_EQ(cmdline_next(&p, &t), 0);
    CHECK_EQ(*p, 0);
    CHECK_STR(t.key, "");
    CHECK_EQ(t.has_value, 0);
}

static void tokens_name_length_limit(void)
{
    char line[200], key[80];
    struct cmdline_token t;
    /* 63 characters fit the 64-byte key with its NUL */
    snprintf(line, sizeof(line), "%s=1", repeat(key, 'k', 63));
    const char *p = line;
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, key);
    CHECK_STR(t.value, "1");

    snprintf(line, sizeof(line), "%s=1 next=2", repeat(key, 'k', 64));
    p = line;
    CHECK_EQ(cmdline_next(&p, &t), -1);
    CHECK_STR(t.value, "name too long");
    CHECK_EQ(*p, ' ');
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, "next");
    CHECK_STR(t.value, "2");
}

static void tokens_value_length_limit(void)
{
    char line[1200], val[601];
    struct cmdline_token t;
    snprintf(line, sizeof(line), "k=%s", repeat(val, 'v', 511));
    const char *p = line;
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_EQ(strlen(t.value), 511);
    CHECK_STR(t.value, val);

    snprintf(line, sizeof(line), "k=\"%s\"", repeat(val, 'v', 511));
    p = line;
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_EQ(strlen(t.value), 511);
    CHECK_EQ(*p, 0);

    snprintf(line, sizeof(line), "k=%s next=2", repeat(val, 'v', 512));
    p = line;
    CHECK_EQ(cmdline_next(&p, &t), -1);
    CHECK_STR(t.value, "value too long");
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, "next");
    CHECK_STR(t.value, "2");
}

/* The header promises *p moves past the bad word. A quoted value is one word
 * however many spaces it holds; its rest must not come back as options. */
static void tokens_long_quoted_value_skipped_whole(void)
{
    char line[1200], val[601];
    struct cmdline_token t;
    snprintf(line, sizeof(line), "k=\"%s inner=1 tail\" next=2", repeat(val, 'v', 600));
    const char *p = line;
    CHECK_EQ(cmdline_next(&p, &t), -1);
    CHECK_STR(t.value, "value too long");
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, "next");
    CHECK_STR(t.value, "2");
}

static void tokens_unterminated_quote(void)
{
    const char *p = "a=1 b=\"abc def";
    struct cmdline_token t;
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, "a");
    CHECK_EQ(cmdline_next(&p, &t), -1);
    CHECK_STR(t.value, "unterminated quote");
    /* the open quote swallows the rest of the line */
    CHECK_EQ(*p, 0);
    CHECK_EQ(cmdline_next(&p, &t), 0);

    p = "c='x";
    CHECK_EQ(cmdline_next(&p, &t), -1);
    CHECK_STR(t.value, "unterminated quote");
}

static void tokens_empty_name(void)
{
    const char *p = "=x next =y";
    struct cmdline_token t;
    CHECK_EQ(cmdline_next(&p, &t), -1);
    CHECK_STR(t.value, "empty name");
    CHECK_EQ(cmdline_next(&p, &t), 1);
    CHECK_STR(t.key, "next");
    CHECK_EQ(t.has_value, 0);
    CHECK_EQ(cmdline_next(&p, &t), -1);
    CHECK_STR(t.value, "empty name");
    CHECK_EQ(cmdline_next(&p, &t), 0);
}

/* ---- parse_uint, parse_size, parse_bool ---- */

static void uint_accepts_decimal_and_hex(void)
{
    static const struct { const char *s; uint32_t v; } ok[] = {
        { "0", 0 }, { "42", 42 }, { "007", 7 }, { "4294967295", 0xFFFFFFFFu },
        { "0x1F", 31 }, { "0XfF", 255 }, { "0x0", 0 }, { "0xFFFFFFFF", 0xFFFFFFFFu },
        { "0x00000000000000000001", 1 }, { "000000000000000000000000009", 9 },
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint32_t v = 12345;
        CHECK_EQ(parse_uint(ok[i].s, &v), 0);
        CHECK_EQ(v, ok[i].v);
    }
}

static void uint_rejects_garbage_and_overflow(void)
{
    static const char *const bad[] = {
        "", "0x", "4294967296", "0x100000000", "99999999999999999999", "12a", "-1",
        "+1", " 1", "1 ", "0x1g", "1.5", "ff", "0b1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint32_t v = 12345;
        CHECK_EQ(parse_uint(bad[i], &v), -1);
        /* a rejected number leaves the caller's value alone */
        CHECK_EQ(v, 12345);
    }
}

static void size_accepts_suffixes(void)
{
    static const struct { const char *s; uint64_t v; } ok[] = {
        { "4096", 4096 }, { "4K", 4096 }, { "4k", 4096 }, { "16M", 16u << 20 },
        { "16m", 16u << 20 }, { "2G", 1ull << 31 }, { "4G", 1ull << 32 },
        { "0x10M", 16u << 20 }, { "0K", 0 }, { "4294967295G", 0xFFFFFFFFull << 30 },
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint64_t v = 12345;
        CHECK_EQ(parse_size(ok[i].s, &v), 0);
        CHECK_EQ(v, ok[i].v);
    }
}

static void size_rejects_garbage(void)
{
    static const char *const bad[] = {
        "", "K", "1T", "1KB", "-1K", "0xK", "4294967296K", "1 K",
        "0000000000000000000000000000001K",     /* 32 characters: over the limit */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = 12345;
        CHECK_EQ(parse_size(bad[i], &v), -1);
        CHECK_EQ(v, 12345);
    }
    /* 31 characters is still fine */
    uint64_t v = 0;
    CHECK_EQ(parse_size("000000000000000000000000000001K", &v), 0);
    CHECK_EQ(v, 1024);
}

static void bool_words(void)
{
    static const char *const yes[] = { "on", "yes", "true", "1" };
    static const char *const no[] = { "off", "no", "false", "0" };
    static const char *const bad[] = { "", "ON", "Yes", "2", "onn", "of", "enable" };
    for (size_t i = 0; i < 4; i++) {
        int b = 7;
        CHECK_EQ(parse_bool(yes[i], &b), 0);
        CHECK_EQ(b, 1);
        b = 7;
        CHECK_EQ(parse_bool(no[i], &b), 0);
        CHECK_EQ(b, 0);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int b = 7;
        CHECK_EQ(parse_bool(bad[i], &b), -1);
        CHECK_EQ(b, 7);
    }
}

/* ---- diag_add ---- */

static void diag_bounded(void)
{
    struct { struct diag d; char guard[16]; } s;
    memset(&s, 0, sizeof(s));
    memset(s.guard, 0x5A, sizeof(s.guard));
    char longmsg[400];
    repeat(longmsg, 'm', 399);
    diag_add(&s.d, "first %d %s", 1, "x");
    diag_add(&s.d, "%s", longmsg);
    for (int i = 2; i < DIAG_MAX + 5; i++)
        diag_add(&s.d, "msg %d", i);
    CHECK_EQ(s.d.n, DIAG_MAX);
    CHECK_STR(s.d.msg[0], "first 1 x");
    CHECK_EQ(strlen(s.d.msg[1]), sizeof(s.d.msg[0]) - 1);
    CHECK_STR(s.d.msg[2], "msg 2");
    CHECK_STR(s.d.msg[DIAG_MAX - 1], "msg 31");
    CHECK_EQ(s.d.dropped, 5);                  /* the rest are counted */
    for (size_t i = 0; i < sizeof(s.guard); i++)
        CHECK_EQ((unsigned char)s.guard[i], 0x5A);
}

/* ---- options ---- */

/* Parses line over the defaults into fresh diagnostics. */
static struct options parsed(const char *line, struct diag *d)
{
    struct options o;
    options_defaults(&o);
    memset(d, 0, sizeof(*d));
    options_parse(line, &o, d);
    return o;
}

static void options_default_values(void)
{
    struct options o;
    memset(&o, 0xAB, sizeof(o));
    options_defaults(&o);
    CHECK_EQ(o.console, CONSOLE_COM1);
    CHECK_EQ(o.baud, 115200);
    CHECK_EQ(o.loglevel, LOG_INFO);
    CHECK_EQ(o.timer, TIMER_AUTO);
    CHECK_EQ(o.pci, 1);
    CHECK_EQ(o.test_fault, FAULT_NONE);
    CHECK_EQ(o.test_ticks, 0);
}

static void options_every_option_set(void)
{
    struct diag d;
    struct options o = parsed("console=com2 baud=9600 loglevel=debug timer=pit pci=off "
                              "test_fault=gp test_ticks=25", &d);
    CHECK_EQ(d.n, 0);
    CHECK_EQ(o.console, CONSOLE_COM2);
    CHECK_EQ(o.baud, 9600);
    CHECK_EQ(o.loglevel, LOG_DEBUG);
    CHECK_EQ(o.timer, TIMER_PIT);
    CHECK_EQ(o.pci, 0);
    CHECK_EQ(o.test_fault, FAULT_GP);
    CHECK_EQ(o.test_ticks, 25);
}

/* Choice indexes must line up with the enums the rest of the kernel uses. */
static void options_choices_match_enums(void)
{
    static const struct { const char *line; size_t off; uint32_t want; } c[] = {
        { "console=none", offsetof(struct options, console), CONSOLE_NONE },
        { "console=com1", offsetof(struct options, console), CONSOLE_COM1 },
        { "console='com2'", offsetof(struct options, console), CONSOLE_COM2 },
        { "loglevel=err", offsetof(struct options, loglevel), LOG_ERR },
        { "loglevel=warn", offsetof(struct options, loglevel), LOG_WARN },
        { "loglevel=\"info\"", offsetof(struct options, loglevel), LOG_INFO },
        { "loglevel=debug", offsetof(struct options, loglevel), LOG_DEBUG },
        { "timer=auto", offsetof(struct options, timer), TIMER_AUTO },
        { "timer=apic", offsetof(struct options, timer), TIMER_APIC },
        { "timer=pit", offsetof(struct options, timer), TIMER_PIT },
        { "test_fault=none", offsetof(struct options, test_fault), FAULT_NONE },
        { "test_fault=de", offsetof(struct options, test_fault), FAULT_DE },
        { "test_fault=ud", offsetof(struct options, test_fault), FAULT_UD },
        { "test_fault=gp", offsetof(struct options, test_fault), FAULT_GP },
        { "test_fault=pf", offsetof(struct options, test_fault), FAULT_PF },
        { "test_fault=df", offsetof(struct options, test_fault), FAULT_DF },
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct diag d;
        /* start from a value no choice has, so every row proves a write */
        struct options o;
        options_defaults(&o);
        *(uint32_t *)((char *)&o + c[i].off) = 99;
        memset(&d, 0, sizeof(d));
        options_parse(c[i].line, &o, &d);
        CHECK_EQ(d.n, 0);
        CHECK_EQ(*(uint32_t *)((char *)&o + c[i].off), c[i].want);
    }
}

static void options_bool_pci(void)
{
    struct diag d;
    struct options o = parsed("pci=off", &d);
    CHECK_EQ(o.pci, 0);
    o = parsed("pci=no pci", &d);       /* a bare bool means on */
    CHECK_EQ(o.pci, 1);
    CHECK_EQ(d.n, 0);
    o = parsed("pci=0 pci=maybe", &d);
    CHECK_EQ(o.pci, 0);
    CHECK_EQ(d.n, 1);
    CHECK_STR(d.msg[0], "option pci: 'maybe' is not on or off; ignored");
    o = parsed("pci=", &d);
    CHECK_EQ(o.pci, 1);
    CHECK_EQ(d.n, 1);
}

static void options_unknown_reported_by_name(void)
{
    struct diag d;
    struct options o = parsed("foo=1 console=com2 bar Console=none", &d);
    CHECK_EQ(o.console, CONSOLE_COM2);
    CHECK_EQ(d.n, 3);
    CHECK_STR(d.msg[0], "unknown option 'foo' ignored");
    CHECK_STR(d.msg[1], "unknown option 'bar' ignored");
    CHECK_STR(d.msg[2], "unknown option 'Console' ignored");
}

static void options_baud_divisors_accepted(void)
{
    static const struct { const char *v; uint32_t want; } ok[] = {
        { "50", 50 }, { "300", 300 }, { "1200", 1200 }, { "0x4B0", 1200 },
        { "9600", 9600 }, { "57600", 57600 }, { "115200", 115200 }, { "100", 100 },
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char line[32];
        struct diag d;
        snprintf(line, sizeof(line), "baud=%s", ok[i].v);
        struct options o = parsed(line, &d);
        CHECK_EQ(d.n, 0);
        CHECK_EQ(o.baud, ok[i].want);
    }
}

static void options_baud_rejected_keeps_default(void)
{
    static const struct { const char *line, *msg; } bad[] = {
        { "baud=1000", "option baud: 1000 is not a divisor of 115200; ignored" },
        { "baud=25", "option baud: '25' is not a number from 50 to 115200; ignored" },
        { "baud=230400", "option baud: '230400' is not a number from 50 to 115200; ignored" },
        { "baud=0", "option baud: '0' is not a number from 50 to 115200; ignored" },
        { "baud=fast", "option baud: 'fast' is not a number from 50 to 115200; ignored" },
        { "baud", "option baud: '' is not a number from 50 to 115200; ignored" },
        { "baud=-9600", "option baud: '-9600' is not a number from 50 to 115200; ignored" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct diag d;
        struct options o = parsed(bad[i].line, &d);
        CHECK_EQ(o.baud, 115200);
        CHECK_EQ(d.n, 1);
        CHECK_STR(d.msg[0], bad[i].msg);
    }
}

static void options_bad_choice_keeps_default(void)
{
    struct diag d;
    struct options o = parsed("console=com3 loglevel timer=APIC test_fault=", &d);
    CHECK_EQ(o.console, CONSOLE_COM1);
    CHECK_EQ(o.loglevel, LOG_INFO);
    CHECK_EQ(o.timer, TIMER_AUTO);
    CHECK_EQ(o.test_fault, FAULT_NONE);
    CHECK_EQ(d.n, 4);
    CHECK_STR(d.msg[0], "option console: 'com3' is not one of none|com1|com2; ignored");
    CHECK_STR(d.msg[1], "option loglevel: '' is not one of err|warn|info|debug; ignored");
    CHECK_STR(d.msg[2], "option timer: 'APIC' is not one of auto|apic|pit; ignored");
    CHECK_STR(d.msg[3], "option test_fault: '' is not one of none|de|ud|gp|pf|df|hang; ignored");
}

static void options_test_ticks_range(void)
{
    struct diag d;
    struct options o = parsed("test_ticks=1000", &d);
    CHECK_EQ(o.test_ticks, 1000);
    CHECK_EQ(d.n, 0);
    o = parsed("test_ticks=7 test_ticks=1001", &d);
    CHECK_EQ(o.test_ticks, 7);
    CHECK_EQ(d.n, 1);
    CHECK_STR(d.msg[0], "option test_ticks: '1001' is not a number from 0 to 1000; ignored");
}

static void options_last_one_wins(void)
{
    struct diag d;
    struct options o = parsed("console=com2 timer=pit console=none timer=apic", &d);
    CHECK_EQ(o.console, CONSOLE_NONE);
    CHECK_EQ(o.timer, TIMER_APIC);
    CHECK_EQ(d.n, 0);
}

static void options_null_and_empty_line(void)
{
    struct diag d;
    struct options want, o = parsed(NULL, &d);
    options_defaults(&want);
    CHECK(memcmp(&o, &want, sizeof(o)) == 0);
    CHECK_EQ(d.n, 0);
    o = parsed("   ", &d);
    CHECK(memcmp(&o, &want, sizeof(o)) == 0);
    CHECK_EQ(d.n, 0);
}

static void options_bad_word_does_not_stop_parsing(void)
{
    struct diag d;
    struct options o = parsed("console=com2 =oops pci=off", &d);
    CHECK_EQ(o.console, CONSOLE_COM2);
    CHECK_EQ(o.pci, 0);
    CHECK_EQ(d.n, 1);
    CHECK_CONTAINS(d.msg[0], "empty name");
}

/* The header says malformed options are reported by name; a lexical error
 * must say which word it was, not only what follows it. */
static void options_malformed_word_named_in_report(void)
{
    struct diag d;
    struct options o = parsed("pci=off console=\"com2", &d);
    CHECK_EQ(o.console, CONSOLE_COM1);
    CHECK_EQ(o.pci, 0);
    CHECK_EQ(d.n, 1);
    CHECK_CONTAINS(d.msg[0], "unterminated quote");
    CHECK_CONTAINS(d.msg[0], "console");
}

/* Text inside a quoted value must never take effect as an option, even
 * when the value is rejected for its length. */
static void options_quoted_text_never_applied(void)
{
    char line[1200], val[601];
    snprintf(line, sizeof(line), "x=\"%s pci=off console=none\"", repeat(val, 'v', 600));
    struct diag d;
    struct options o = parsed(line, &d);
    CHECK_EQ(o.pci, 1);
    CHECK_EQ(o.console, CONSOLE_COM1);
    CHECK_EQ(d.n, 1);
    CHECK_CONTAINS(d.msg[0], "value too long");
}

static void options_diag_overflow_bounded(void)
{
    char line[1024] = "";
    for (int i = 0; i < 40; i++) {
        char w[16];
        snprintf(w, sizeof(w), "u%d ", i);
        strcat(line, w);
    }
    strcat(line, "console=none");
    struct diag d;
    struct options o = parsed(line, &d);
    CHECK_EQ(d.n, DIAG_MAX);
    CHECK_STR(d.msg[DIAG_MAX - 1], "unknown option 'u31' ignored");
    CHECK_EQ(d.dropped, 8);
    /* options after the diagnostics are full still apply */
    CHECK_EQ(o.console, CONSOLE_NONE);
}

static void options_format_summary(void)
{
    struct options o;
    char buf[320];
    options_defaults(&o);
    memset(buf, 'Z', sizeof(buf));
    options_format(&o, buf, sizeof(buf));
    static const char defaults[] = "console=com1 baud=115200 loglevel=info timer=auto pci=on "
                                   "test_fault=none test_ticks=0 bench=off cpus=all irq=auto test_msi=off "
                                   "on_fault=halt watchdog=off net_uplink=1 net_itr=20000 net_offload=on";
    CHECK_STR(buf, defaults);

    struct diag d;
    o = parsed("console=none baud=300 loglevel=err timer=apic pci=off test_fault=df "
               "test_ticks=1000 bench=on cpus=3 irq=pic test_msi=on on_fault=reboot watchdog=30 net_offload=off",
               &d);
    options_format(&o, buf, sizeof(buf));
    static const char set[] = "console=none baud=300 loglevel=err timer=apic pci=off "
                              "test_fault=df test_ticks=1000 bench=on cpus=3 irq=pic test_msi=on "
                              "on_fault=reboot watchdog=30 net_uplink=1 net_itr=20000 net_offload=off";
    CHECK_STR(buf, set);
    o = parsed("cpus=2 cpus=all", &d);
    CHECK_EQ(o.cpus, 0);
    CHECK_EQ(d.n, 0);
    o = parsed("cpus=0 cpus=65 irq=ioapic", &d);
    CHECK_EQ(o.cpus, 0);
    CHECK_EQ(d.n, 3);
    CHECK_STR(d.msg[0], "option cpus: '0' is not a number from 1 to 64; ignored");
}

static void options_format_truncates(void)
{
    struct options o;
    options_defaults(&o);
    struct { char buf[20]; char guard[8]; } s;
    memset(&s, 'Z', sizeof(s));
    options_format(&o, s.buf, sizeof(s.buf));
    CHECK_STR(s.buf, "console=com1 baud=1");
    for (size_t i = 0; i < sizeof(s.guard); i++)
        CHECK_EQ(s.guard[i], 'Z');

    char one[1] = { 'Z' };
    options_format(&o, one, sizeof(one));
    CHECK_EQ(one[0], 0);
}

int main(void)
{
    RUN(tokens_bare_and_key_value);
    RUN(tokens_quoted_values);
    RUN(tokens_blank_lines);
    RUN(tokens_name_length_limit);
    RUN(tokens_value_length_limit);
    RUN(tokens_long_quoted_value_skipped_whole);
    RUN(tokens_unterminated_quote);
    RUN(tokens_empty_name);
    RUN(uint_accepts_decimal_and_hex);
    RUN(uint_rejects_garbage_and_overflow);
    RUN(size_accepts_suffixes);
    RUN(size_rejects_garbage);
    RUN(bool_words);
    RUN(diag_bounded);
    RUN(options_default_values);
    RUN(options_every_option_set);
    RUN(options_choices_match_enums);
    RUN(options_bool_pci);
    RUN(options_unknown_reported_by_name);
    RUN(options_baud_divisors_accepted);
    RUN(options_baud_rejected_keeps_default);
    RUN(options_bad_choice_keeps_default);
    RUN(options_test_ticks_range);
    RUN(options_last_one_wins);
    RUN(options_null_and_empty_line);
    RUN(options_bad_word_does_not_stop_parsing);
    RUN(options_malformed_word_named_in_report);
    RUN(options_quoted_text_never_applied);
    RUN(options_diag_overflow_bounded);
    RUN(options_format_summary);
    RUN(options_format_truncates);
    return CHECK_EXIT_STATUS();
}
