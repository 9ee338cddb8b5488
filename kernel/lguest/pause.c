/* Pausing a guest: the scheduler does not pick a guest with a pause bit
 * set (sched.c, ready) and its run loop leaves it at the next exit
 * (run.c), so its registers, memory, pending interrupts and timers stay
 * exactly as they were; unpausing only lets the scheduler have it again.
 * Two holders, each with its own bit: the monitor (pause NAME) and the gdb
 * stub (a guest stopped in the debugger), so neither can release the
 * other's hold. */
#include <string.h>
#include "kernel/lguest/guest.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"

void guest_pause(struct guest *g, uint8_t why)
{
    g->paused |= why;
    guest_kick(g);          /* a guest running on another CPU exits now */
}

void guest_unpause(struct guest *g, uint8_t why)
{
    if (!(g->paused & why))
        return;
    g->paused &= (uint8_t)~why;
    if (!g->paused)
        guest_kick(g);      /* its CPU may be idle in hlt */
}

/* Every CPU's current guest is read under the big lock, which a CPU lets
 * go of only inside a guest or in hlt: a guest that is nobody's current is
 * not running and cannot start while we hold the lock. */
bool guest_off_cpu(const struct guest *g)
{
    for (uint32_t i = 0; i < ncpus; i++)
        if (cpus[i].current == g)
            return false;
    return true;
}

struct guest *guest_find(const char *name)
{
    for (uint32_t i = 0; i < nguests; i++)
        if (strcmp(guests[i].name, name) == 0)
            return &guests[i];
    return 0;
}
