/* The monitor's commands about output: `dmesg` (the hypervisor's log since
 * boot, from its history), `console NAME` (a guest's last output, then its
 * console live) and `loglevel LEVEL`. A listing can be longer than the
 * console queue holds, so it is printed a line at a time as the queue has
 * room (monitor_log_poll, from the scheduler's loop): it never blocks the
 * machine and is never dropped for lack of room. */
#include <stdio.h>
#include <string.h>
#include "kernel/monitor.h"
#include "kernel/conout.h"
#include "kernel/console.h"
#include "kernel/history.h"
#include "kernel/lguest/guest.h"
#include "kernel/log.h"

#define LINE_MAX 512
#define ROOM_KEPT (4 * LINE_MAX)    /* the rest of the queue is the operator's too */

static struct {
    bool active;
    struct history_reader r;
    char tag[GUEST_NAME_MAX + 4];   /* "[name] " before each of a guest's lines */
    bool line_start;                /* the next piece begins a line */
    struct guest *then_focus;       /* console NAME: goes live when done */
} list;

static struct guest *find(const char *name)
{
    for (uint32_t i = 0; i < nguests; i++)
        if (strcmp(guests[i].name, name) == 0)
            return &guests[i];
    printf("no guest named '%s' (see 'guests')\n", name);
    return 0;
}

bool monitor_log_busy(void) { return list.active; }

static void finish(void)
{
    list.active = false;
    if (!list.line_start)           /* a guest's unfinished line (its prompt) */
        console_reply("\n", 1);
    struct guest *g = list.then_focus;
    list.then_focus = 0;
    if (list.r.lost)
        printf("-- %lu bytes were overwritten before they could be printed --\n",
               (unsigned long)list.r.lost);
    if (g && g->state == GUEST_RUNNING)
        focus_set(g);
    else if (g)
        printf("guest %s is not running; that was its last output\n", g->name);
    fflush(stdout);
}

bool monitor_log_poll(void)
{
    if (!list.active)
        return false;
    char buf[LINE_MAX + sizeof(list.tag)];
    while (conout_room() > ROOM_KEPT + sizeof(buf)) {
        size_t t = list.line_start ? strlen(list.tag) : 0;
        memcpy(buf, list.tag, t);
        size_t n = history_line(&list.r, buf + t, LINE_MAX);
        if (!n) {
            finish();
            return false;
        }
        list.line_start = buf[t + n - 1] == '\n';
        console_reply(buf, t + n);
    }
    return true;
}

void monitor_log_cancel(void)
{
    list.r.pos = list.r.end;
    printf("\n-- interrupted --\n");
    fflush(stdout);
}

static void start(const struct history *h, const char *tag, struct guest *then_focus)
{
    fflush(stdout);
    list.active = true;
    list.line_start = true;
    snprintf(list.tag, sizeof(list.tag), "%s", tag);
    list.then_focus = then_focus;
    history_open(&list.r, h);
    list.r.lost = 0;                /* the header said it; finish counts only what follows */
}

void cmd_dmesg(void)
{
    struct history_reader peek;
    history_open(&peek, &log_history);
    printf("-- dmesg: the log since boot, %lu KiB%s", (unsigned long)((peek.end - peek.pos) >> 10),
           peek.lost ? "" : " --\n");
    if (peek.lost)
        printf("; the first %lu KiB were overwritten (it keeps the last %lu KiB) --\n",
               (unsigned long)(peek.lost >> 10), (unsigned long)(log_history.size >> 10));
    uint64_t dropped = conout_dropped();
    if (dropped)
        printf("-- %lu lines were dropped on the serial line since boot; all are here --\n",
               (unsigned long)dropped);
    start(&log_history, "", 0);
}

void cmd_console(const char *name)
{
    struct guest *g = find(name);
    if (!g)
        return;
    struct history_reader peek;
    history_open(&peek, &g->out_history);
    printf("-- console %s: its last %lu bytes of output", g->name, (unsigned long)(peek.end - peek.pos));
    if (peek.lost)
        printf(" (%lu earlier bytes not kept)", (unsigned long)peek.lost);
    printf(" --\n");
    char tag[sizeof(list.tag)];
    snprintf(tag, sizeof(tag), "[%s] ", g->name);
    start(&g->out_history, tag, g);
}

void cmd_loglevel(const char *arg)
{
    int level = log_level_parse(arg);
    if (level < 0) {
        printf("loglevel: '%s' is not one of error, warning, info, debug (now %s)\n", arg,
               log_level_name(log_level));
        return;
    }
    log_level = level;
    printf("loglevel: %s (messages up to %s are shown from now on)\n", log_level_name(level),
           log_level_name(level));
}
