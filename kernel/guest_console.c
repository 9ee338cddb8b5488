/* A guest's early console: LHCALL_NOTIFY with the address of a string in
 * RAM prints it (lguest ABI 8.5). Output is gathered into lines, so guests
 * writing at once never interleave mid-line, and each line is printed as
 * "[name] text" with anything unprintable replaced. */
#include "kernel/guest.h"
#include "kernel/log.h"

#define NOTIFY_MAX 1024

void guest_console_flush(struct guest *g)
{
    if (g->line_len)
        log_raw("[%s] %.*s\n", g->name, (int)g->line_len, g->line);
    g->line_len = 0;
}

void guest_console_write(struct guest *g, const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            if (!g->line_len)
                g->line[g->line_len++] = ' ';
            guest_console_flush(g);
            continue;
        }
        if (c == '\r')
            continue;
        g->line[g->line_len++] = (c == '\t' || (c >= 0x20 && c < 0x7F)) ? (char)c : '?';
        if (g->line_len == sizeof(g->line))
            guest_console_flush(g);
    }
}

void guest_notify(struct guest *g, uint32_t gpa)
{
    if (gpa == 0)
        return;
    if (gpa >= g->ram_size) {
        if (gpa < g->mem.size)
            return;         /* the device page and rings: no devices yet */
        guest_kill(g, "bad notify address 0x%08lx", (unsigned long)gpa);
        return;
    }
    char buf[NOTIFY_MAX];
    gmem_read_str(&g->mem, gpa, buf, sizeof(buf));
    uint32_t n = 0;
    while (buf[n])
        n++;
    guest_console_write(g, buf, n);
}
