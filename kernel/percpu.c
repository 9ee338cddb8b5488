/* The CPU table and the big lock (see kernel/lock.h for why one lock). */
#include "kernel/percpu.h"
#include "kernel/lock.h"

struct percpu cpus[MAX_CPUS];
uint32_t ncpus = 1;
bool percpu_ready;

static struct spinlock big;
static volatile uint32_t big_owner = ~0u;   /* the holder's index, for big_lock_held */

void big_lock(void)
{
    spin_lock(&big);
    big_owner = this_cpu()->index;
}

void big_unlock(void)
{
    big_owner = ~0u;
    spin_unlock(&big);
}

bool big_lock_held(void)
{
    return big.locked && big_owner == this_cpu()->index;
}
