/* The serial console is shared: its input goes either to the hypervisor's
 * monitor or to one guest's virtio console. Ctrl-] moves the focus along
 * monitor -> first guest -> ... -> last guest -> monitor; Ctrl-\ goes
 * straight back to the monitor from anywhere; the monitor's `focus` and
 * `console` commands pick a guest directly. */
#include <stdio.h>
#include "kernel/lguest/guest.h"
#include "kernel/console.h"
#include "kernel/conout.h"
#include "kernel/log.h"
#include "kernel/monitor.h"

#define FOCUS_KEY 0x1D          /* Ctrl-] */
#define MONITOR_KEY 0x1C        /* Ctrl-\ */
#define CTRL_C 0x03

struct guest *console_focus;

static void announce(void)
{
    console_break_line();
    if (console_focus) {
        log_raw("-- console: guest %s (Ctrl-] switches) --\n", console_focus->name);
    } else {
        log_raw("-- console: lgvisor monitor (Ctrl-] switches) --\n");
        monitor_start();
    }
}

void focus_set(struct guest *g)
{
    console_focus = g;
    announce();
}

void focus_init(void)
{
    console_focus = 0;
    for (uint32_t i = 0; i < nguests && !console_focus; i++)
        if (guests[i].state == GUEST_RUNNING)
            console_focus = &guests[i];
    announce();
}

static void focus_next(void)
{
    uint32_t i = console_focus ? (uint32_t)(console_focus - guests) + 1 : 0;
    for (; i < nguests; i++) {
        if (guests[i].state == GUEST_RUNNING || guests[i].restart_pending) {
            focus_set(&guests[i]);
            return;
        }
    }
    focus_set(0);
}

void focus_guest_stopped(struct guest *g)
{
    if (console_focus == g && !g->restart_pending)
        focus_set(0);
}

static bool focus_key(int c) { return c == FOCUS_KEY || c == MONITOR_KEY; }

void focus_poll_input(void)
{
    conout_poll();              /* in case the UART's interrupt is late or not routed */
    char typed[64];             /* handed over in bursts: one receive buffer each */
    uint32_t n = 0;
    int c;
    /* While a listing prints, what is typed waits in the input ring (it
     * is for whoever has the focus after it); only Ctrl-C is taken. */
    while (!console_focus && monitor_log_busy() && (c = console_peekc()) >= 0) {
        if (c != CTRL_C)
            break;
        console_getc();
        monitor_log_cancel();
    }
    while ((console_focus || !monitor_log_busy()) && (c = console_getc()) >= 0) {
        if (!focus_key(c) && console_focus) {
            typed[n++] = (char)c;
            if (n < sizeof(typed))
                continue;
        }
        if (n && console_focus)
            vcons_input(console_focus, typed, n);
        n = 0;
        if (c == FOCUS_KEY)
            focus_next();
        else if (c == MONITOR_KEY && console_focus)
            focus_set(0);
        else if (!console_focus && c != MONITOR_KEY)
            monitor_key(c);
    }
    if (n && console_focus)
        vcons_input(console_focus, typed, n);
    monitor_poll();
}
