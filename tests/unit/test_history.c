/* sources: kernel/history.c */
/* The rings behind dmesg and console NAME: lines back in order, a wrapped
 * ring starts at its oldest whole line and says how much it lost, a reader
 * overtaken by new output skips ahead and counts it, long lines come in
 * pieces, and a history without memory reads as empty. */
#include <stdint.h>
#include "kernel/history.h"
#include "tests/unit/check.h"

static char mem[64];

static struct history fresh(void)
{
    memset(mem, 0, sizeof(mem));
    return (struct history){ mem, sizeof(mem), 0 };
}

static void put(struct history *h, const char *s) { history_put(h, s, strlen(s)); }

static void lines_in_order(void)
{
    struct history h = fresh();
    put(&h, "one\n");
    put(&h, "two\nthr");
    struct history_reader r;
    char out[32];
    history_open(&r, &h);
    CHECK_EQ(history_line(&r, out, sizeof(out)), 4);
    CHECK(strcmp(out, "one\n") == 0);
    CHECK_EQ(history_line(&r, out, sizeof(out)), 4);
    CHECK(strcmp(out, "two\n") == 0);
    CHECK_EQ(history_line(&r, out, sizeof(out)), 3);    /* the unfinished line */
    CHECK(strcmp(out, "thr") == 0);
    CHECK_EQ(history_line(&r, out, sizeof(out)), 0);
    CHECK_EQ(r.lost, 0);
}

static void wrapped_starts_at_a_whole_line(void)
{
    struct history h = fresh();
    for (int i = 0; i < 10; i++)
        put(&h, "line-nine\n");                 /* 100 bytes into 64 */
    struct history_reader r;
    char out[32];
    history_open(&r, &h);
    CHECK_EQ(r.lost, 40);                       /* 36 overwritten, then the cut line's 4 */
    size_t n, total = 0;
    while ((n = history_line(&r, out, sizeof(out)))) {
        CHECK(strcmp(out, "line-nine\n") == 0);
        total += n;
    }
    CHECK_EQ(total, 60);
}

static void overtaken_reader_skips(void)
{
    struct history h = fresh();
    put(&h, "aaaaaaa\nbbbbbbb\n");
    struct history_reader r;
    char out[32];
    history_open(&r, &h);
    CHECK_EQ(history_line(&r, out, sizeof(out)), 8);
    for (int i = 0; i < 8; i++)
        put(&h, "cccccccc\n");                  /* 72 more: b is overwritten */
    size_t n = history_line(&r, out, sizeof(out));
    CHECK(r.lost > 0);
    CHECK(n == 0 || out[n - 1] == '\n');        /* never the tail of a cut line */
}

static void long_line_in_pieces(void)
{
    struct history h = fresh();
    put(&h, "0123456789abcdef\n");
    struct history_reader r;
    char out[8];
    history_open(&r, &h);
    CHECK_EQ(history_line(&r, out, sizeof(out)), 7);
    CHECK(strcmp(out, "0123456") == 0);
    CHECK_EQ(history_line(&r, out, sizeof(out)), 7);
    CHECK_EQ(history_line(&r, out, sizeof(out)), 3);
    CHECK(strcmp(out, "ef\n") == 0);
}

static void no_memory_is_empty(void)
{
    struct history h = { 0, 65536, 0 };
    put(&h, "lost\n");
    struct history_reader r;
    char out[8];
    history_open(&r, &h);
    CHECK_EQ(history_line(&r, out, sizeof(out)), 0);
}

int main(void)
{
    RUN(lines_in_order);
    RUN(wrapped_starts_at_a_whole_line);
    RUN(overtaken_reader_skips);
    RUN(long_line_in_pieces);
    RUN(no_memory_is_empty);
    return CHECK_EXIT_STATUS();
}
