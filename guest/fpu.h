/* Lazy FPU switching (lguest-abi.md 4.9): a process switch sets the
 * virtual CR0.TS (LHCALL_TS), the next FPU/SSE instruction raises #NM in
 * the guest, and the handler clears TS and swaps fxsave images. */
#ifndef GUEST_FPU_H
#define GUEST_FPU_H
#include "guest/layout.h"

struct proc;

extern volatile u32 fpu_nm_count;
extern struct proc *fpu_owner;

void fpu_init(void);
void fpu_nm_trap(void);
/* Queues the TS change a switch to next needs (async ring). */
void fpu_switch(struct proc *next);
/* p's FPU state is gone (it exited). */
void fpu_forget(struct proc *p);
/* Sets TS synchronously, as after a switch, so the next use traps. */
void fpu_set_ts(void);

#endif
