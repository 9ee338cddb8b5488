/* The CPU table and the big lock (see kernel/lock.h for why one lock). */
#include "kernel/percpu.h"
#include "kernel/lock.h"
#include "arch/x86/x86.h"

struct percpu cpus[MAX_CPUS];
uint32_t ncpus = 1;
bool percpu_ready;

static struct spinlock big;
static volatile uint32_t big_owner = ~0u;   /* the holder's index, for big_lock_held */

void big_lock(void)
{
    if (!spin_trylock(&big)) {
        uint64_t t = rdtsc();
        spin_lock(&big);
        this_cpu()->lock_wait += rdtsc() - t;
    }
    big_owner = this_cpu()->index;
    this_cpu()->lock_since = rdtsc();
}

void big_unlock(void)
{
    struct percpu *c = this_cpu();
    c->lock_held += rdtsc() - c->lock_since;
    big_owner = ~0u;
    spin_unlock(&big);
}

bool big_lock_held(void)
{
    return big.locked && big_owner == this_cpu()->index;
}
