/* The monitor's commands for looking into one guest: pause and unpause
 * it, print its saved registers and last trap, attach the gdb stub. */
#include <stdio.h>
#include <string.h>
#include "kernel/monitor.h"
#include "arch/x86/trap.h"
#include "kernel/gdbstub.h"
#include "kernel/lguest/guest.h"

static struct guest *running_guest(const char *name)
{
    struct guest *g = guest_find(name);
    if (!g)
        printf("no guest named '%s' (see 'guests')\n", name);
    else if (g->state != GUEST_RUNNING)
        printf("guest %s is not running\n", g->name);
    else
        return g;
    return 0;
}

void monitor_pause(const char *arg)
{
    struct guest *g = running_guest(arg);
    if (!g)
        return;
    if (g->paused & PAUSE_MONITOR) {
        printf("guest %s is paused already\n", g->name);
        return;
    }
    guest_pause(g, PAUSE_MONITOR);
    printf("guest %s paused (unpause %s resumes it)\n", g->name, g->name);
}

void monitor_unpause(const char *arg)
{
    struct guest *g = running_guest(arg);
    if (!g)
        return;
    if (!(g->paused & PAUSE_MONITOR)) {
        printf("guest %s is not paused%s\n", g->name,
               g->paused & PAUSE_DEBUG ? " by the monitor (it is stopped in gdb: 'gdb off' lets go)" : "");
        return;
    }
    guest_unpause(g, PAUSE_MONITOR);
    printf("guest %s unpaused%s\n", g->name,
           g->paused & PAUSE_DEBUG ? "; it stays stopped in gdb" : "");
}

/* The frame is the one the switcher saved at the guest's last exit: exact
 * for a guest that is paused or halted, a snapshot for one that runs. */
void monitor_regs(const char *arg)
{
    struct guest *g = guest_find(arg);
    if (!g) {
        printf("no guest named '%s' (see 'guests')\n", arg);
        return;
    }
    if (g->released) {
        printf("guest %s is stopped: its registers are gone (%s)\n", g->name, g->stop_reason);
        return;
    }
    const struct trap_frame *f = g->regs;
    const char *how = g->paused & PAUSE_DEBUG ? "stopped in gdb" : g->paused ? "paused"
                    : g->state != GUEST_RUNNING ? "stopped" : g->halted ? "halted" : "running";
    printf("guest %s (%s, cpu %lu): registers saved at its last exit%s\n", g->name, how,
           (unsigned long)g->cpu, g->paused || g->halted ? "" : " (it has run on since)");
    printf("  eax %08lx  ebx %08lx  ecx %08lx  edx %08lx\n", (unsigned long)f->eax,
           (unsigned long)f->ebx, (unsigned long)f->ecx, (unsigned long)f->edx);
    printf("  esi %08lx  edi %08lx  ebp %08lx  esp %08lx\n", (unsigned long)f->esi,
           (unsigned long)f->edi, (unsigned long)f->ebp, (unsigned long)f->esp);
    printf("  eip %08lx  eflags %08lx  cs %04lx ss %04lx ds %04lx es %04lx fs %04lx gs %04lx\n",
           (unsigned long)f->eip, (unsigned long)f->eflags, (unsigned long)f->cs,
           (unsigned long)f->ss, (unsigned long)f->ds, (unsigned long)f->es, (unsigned long)f->fs,
           (unsigned long)f->gs);
    const struct last_trap *t = &g->last_trap;
    if (!t->at_exit) {
        printf("  last trap: none yet\n");
        return;
    }
    printf("  last trap: %lu (%s) error %08lx at eip %08lx", (unsigned long)t->vector,
           trap_name(t->vector), (unsigned long)t->error, (unsigned long)t->eip);
    if (t->vector == 14)
        printf(" cr2 %08lx", (unsigned long)t->cr2);
    printf(", %lu exits ago\n", (unsigned long)(g->stats.exits - t->at_exit));
}

void monitor_gdb(const char *arg)
{
    if (strcmp(arg, "off") == 0) {
        struct guest *g = gdbstub_guest();
        if (!g) {
            printf("gdb: no guest attached\n");
            return;
        }
        printf("gdb: detaching from guest %s\n", g->name);
        gdbstub_detach();
        return;
    }
    struct guest *g = running_guest(arg);
    if (!g)
        return;
    const char *why = gdbstub_attach(g, false);
    if (why) {
        printf("gdb: cannot attach to guest %s: %s\n", g->name, why);
        return;
    }
    printf("gdb: guest %s attached on %s; connect gdb there (target remote ...): the guest stops\n"
           "     when gdb connects, and 'gdb off' detaches\n", g->name, gdbstub_port());
}
