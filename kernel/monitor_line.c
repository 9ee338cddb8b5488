/* The line the operator types at the monitor's prompt. Asynchronous output
 * (a log line, a guest's line) never lands inside it: the prompt line is
 * ended first (monitor_break_prompt, called before such output), and
 * monitor_poll draws "lgvisor> " and the text typed so far again once the
 * output is out. The prompt waits while a listing (dmesg, console NAME) is
 * still being printed. */
#include <stdio.h>
#include "kernel/monitor.h"
#include "kernel/console.h"
#include "kernel/lguest/guest.h"

static char line[128];
static size_t line_n;
static bool prompt_open;    /* the terminal's last line is the prompt and the typed text */
static bool broken;         /* asynchronous output ended it: draw it again */

void monitor_start(void)
{
    if (monitor_log_busy())
        return;
    printf("lgvisor> %.*s", (int)line_n, line);
    fflush(stdout);
    prompt_open = true;
    broken = false;
}

void monitor_break_prompt(void)
{
    if (!prompt_open)
        return;
    fflush(stdout);         /* the echo so far goes first */
    prompt_open = false;
    broken = true;
    console_reply("\n", 1);
}

void monitor_poll(void)
{
    if (monitor_log_busy()) {
        if (monitor_log_poll())
            return;
        broken = true;      /* the listing is done: now the prompt */
    }
    if (broken && !console_focus)
        monitor_start();
}

void monitor_key(int c)
{
    if (c == '\r' || c == '\n') {
        prompt_open = false;
        printf("\n");
        line[line_n] = 0;
        line_n = 0;
        monitor_execute(line);
        if (!console_focus)
            monitor_start();
    } else if ((c == 0x7F || c == 0x08) && line_n > 0) {
        line_n--;
        printf("\b \b");
    } else if (c >= 0x20 && c < 0x7F && line_n + 1 < sizeof(line)) {
        line[line_n++] = (char)c;
        putchar(c);
    }
    fflush(stdout);
}
