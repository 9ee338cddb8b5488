/* The asynchronous hypercall ring (lguest-abi.md 2.4). */
#include "guest/hcall.h"
#include "guest/irq.h"

static unsigned cursor;     /* our next slot; the host keeps its own */

void hcall_async(u32 nr, u32 a1, u32 a2, u32 a3)
{
    u32 flags = irq_save();
    if (lguest_data.hcall_status[cursor] != HCALL_STATUS_FREE) {
        /* Full: a direct call drains the ring before it runs, so this
         * call still happens after everything queued before it. */
        hcall(nr, a1, a2, a3);
    } else {
        struct hcall_args *slot = &lguest_data.hcalls[cursor];
        slot->arg0 = nr;
        slot->arg1 = a1;
        slot->arg2 = a2;
        slot->arg3 = a3;
        slot->arg4 = 0;
        /* The host must see the arguments before the status says "queued";
         * x86 keeps stores in order, the compiler must too. */
        barrier();
        lguest_data.hcall_status[cursor] = HCALL_STATUS_QUEUED;
        cursor = (cursor + 1) % LHCALL_RING_SIZE;
    }
    irq_restore(flags);
}

unsigned hcall_ring_busy(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < LHCALL_RING_SIZE; i++)
        n += lguest_data.hcall_status[i] != HCALL_STATUS_FREE;
    return n;
}

unsigned hcall_ring_cursor(void) { return cursor; }
