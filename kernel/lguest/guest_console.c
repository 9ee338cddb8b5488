/* Guests' console output, from the early console (LHCALL_NOTIFY with the
 * address of a string in RAM, lguest ABI 8.5) and from the virtio
 * console. Output is gathered into lines printed as "[name] text", so
 * guests writing at once never interleave mid-line and anything
 * unprintable is replaced. The guest with the input focus also gets its
 * unfinished line shown at the end of each burst (a prompt, an echo);
 * whoever prints next first ends that line. Everything a guest prints is
 * also kept in its own history, for the monitor's `console NAME`. */
#include "kernel/lguest/guest.h"
#include "kernel/frames.h"
#include "kernel/log.h"
#include "kernel/monitor.h"

#define NOTIFY_MAX 1024
#define HISTORY_FRAMES 16           /* 64 KiB */

static struct guest *open_line;     /* whose line is partly on the terminal */

void console_break_line(void)
{
    monitor_break_prompt();
    if (!open_line)
        return;
    open_line = 0;
    log_raw("\n");
}

static void show(struct guest *g, bool end)
{
    if (open_line == g) {
        log_raw("%.*s%s", (int)g->line_len, g->line, end ? "\n" : "");
    } else {
        console_break_line();
        /* an empty line still shows its tag: a blank line is output too */
        log_raw("[%s] %.*s%s", g->name, (int)(g->line_len || !end ? g->line_len : 1),
                g->line_len ? g->line : " ", end ? "\n" : "");
    }
    open_line = end ? 0 : g;
    g->line_len = 0;
}

void guest_console_flush(struct guest *g)
{
    if (g->line_len || open_line == g)
        show(g, true);
}

void guest_console_output_done(struct guest *g)
{
    if (g == console_focus && g->line_len)
        show(g, false);
}

/* Taken from the frame allocator at the guest's first output, once; a
 * guest that finds no memory for it just has no history. */
static void keep(struct guest *g, char c)
{
    struct history *h = &g->out_history;
    if (!h->size) {
        h->size = HISTORY_FRAMES * 4096;
        h->buf = (char *)frames_alloc(HISTORY_FRAMES, 1);
    }
    history_put(h, &c, 1);
}

void guest_console_write(struct guest *g, const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            keep(g, '\n');
            show(g, true);
            continue;
        }
        if (c == '\r')
            continue;
        /* the guest at the keyboard may drive the terminal (escape
         * sequences of a shell or an editor); the others only print text */
        bool shown = c == '\t' || c == 0x08 || (c >= 0x20 && c < 0x7F) || (c == 0x1B && g == console_focus);
        g->line[g->line_len++] = shown ? (char)c : '?';
        keep(g, g->line[g->line_len - 1]);
        if (g->line_len == sizeof(g->line))
            show(g, g != console_focus);
    }
}

void guest_notify(struct guest *g, uint32_t gpa)
{
    if (gpa == 0)
        return;
    if (gpa >= g->mem.size) {
        guest_kill(g, "bad notify address 0x%08lx", (unsigned long)gpa);
        return;
    }
    /* lguest treats any other address below pfn_limit, even in the
     * device area, as an early console string: so do we */
    if (gpa >= g->ram_size && vbus_notify(g, gpa))
        return;
    char buf[NOTIFY_MAX];
    gmem_read_str(&g->mem, gpa, buf, sizeof(buf));
    uint32_t n = 0;
    while (buf[n])
        n++;
    guest_console_write(g, buf, n);
    guest_console_output_done(g);
}
