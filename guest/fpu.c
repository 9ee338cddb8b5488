#include <string.h>
#include "guest/fpu.h"
#include "guest/hcall.h"
#include "guest/user.h"

volatile u32 fpu_nm_count;
struct proc *fpu_owner;         /* whose state is in the FPU registers */
static int ts;                  /* what we last told the host */
static u8 fresh_state[512] __attribute__((aligned(16)));

static void fxsave(u8 *area) { __asm__ __volatile__("fxsave %0" : "=m"(*(u8(*)[512])area)); }
static void fxrstor(const u8 *area) { __asm__ __volatile__("fxrstor %0" :: "m"(*(const u8(*)[512])area)); }

void fpu_init(void)
{
    /* The image every process starts from: x87 initialised, SSE
     * exceptions masked, round to nearest. */
    hcall(LHCALL_TS, 0, 0, 0);
    u32 mxcsr = 0x1F80;
    __asm__ __volatile__("fninit; ldmxcsr %0" :: "m"(mxcsr));
    fxsave(fresh_state);
    for (unsigned i = 0; i < MAX_PROCS; i++)
        memcpy(procs[i].fx, fresh_state, sizeof fresh_state);
    fpu_owner = 0;
    fpu_set_ts();
}

void fpu_set_ts(void)
{
    ts = 1;
    hcall(LHCALL_TS, 8, 0, 0);
}

void fpu_nm_trap(void)
{
    fpu_nm_count++;
    hcall(LHCALL_TS, 0, 0, 0);
    ts = 0;
    if (fpu_owner == current)
        return;
    if (fpu_owner)
        fxsave(fpu_owner->fx);
    fxrstor(current->fx);
    fpu_owner = current;
}

void fpu_switch(struct proc *next)
{
    if (next != fpu_owner && !ts) {
        ts = 1;
        hcall_async(LHCALL_TS, 8, 0, 0);
    } else if (next == fpu_owner && ts) {
        /* Its registers are still loaded: no need for a trap. */
        ts = 0;
        hcall_async(LHCALL_TS, 0, 0, 0);
    }
}

void fpu_forget(struct proc *p)
{
    if (fpu_owner == p)
        fpu_owner = 0;
    memcpy(p->fx, fresh_state, sizeof fresh_state);
}
