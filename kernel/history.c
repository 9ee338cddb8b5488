/* The rings behind `dmesg` and `console NAME` (history.h). Writers never
 * wait: the oldest bytes are overwritten, and a reader that falls behind
 * skips to the oldest whole line still there and counts what it missed. */
#include "kernel/history.h"

void history_put(struct history *h, const char *s, size_t n)
{
    if (!h->buf)
        return;
    for (size_t i = 0; i < n; i++)
        h->buf[(uint32_t)h->written++ & (h->size - 1)] = s[i];
}

static char at(const struct history *h, uint64_t pos) { return h->buf[(uint32_t)pos & (h->size - 1)]; }

/* pos was overwritten: go on after the first line end still held. */
static void catch_up(struct history_reader *r)
{
    const struct history *h = r->h;
    uint64_t oldest = h->written - h->size;
    r->lost += oldest - r->pos;
    r->pos = oldest;
    while (r->pos < r->end && at(h, r->pos) != '\n') {
        r->pos++;
        r->lost++;
    }
    if (r->pos < r->end) {
        r->pos++;
        r->lost++;
    }
}

void history_open(struct history_reader *r, const struct history *h)
{
    r->h = h;
    r->pos = r->lost = 0;
    r->end = h->buf ? h->written : 0;
    if (h->buf && h->written > h->size)
        catch_up(r);
}

size_t history_line(struct history_reader *r, char *out, size_t max)
{
    const struct history *h = r->h;
    if (h->buf && h->written > h->size && r->pos < h->written - h->size)
        catch_up(r);
    size_t n = 0;
    while (r->pos < r->end && n + 1 < max) {
        char c = at(h, r->pos++);
        out[n++] = c;
        if (c == '\n')
            break;
    }
    out[n] = 0;
    return n;
}
