/* The frame trap_common (traps.S) builds: what the host or the CPU pushed
 * (lguest-abi.md 4.5), the stub's vector and error code, and the
 * registers. user_esp/user_ss exist only when cs says CPL 3. */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H
#include <stddef.h>
#include "guest/layout.h"

struct trap_frame {
    u32 edi, esi, ebp, esp_dummy, ebx, edx, ecx, eax;   /* pushal */
    u32 gs, fs, es, ds;             /* upper halves undefined */
    u32 vector, error;
    u32 eip, cs, eflags;
    u32 user_esp, user_ss;
};

_Static_assert(offsetof(struct trap_frame, vector) == 48, "matches trap_common");
_Static_assert(offsetof(struct trap_frame, eip) == 56, "matches trap_common");

static inline int frame_from_user(const struct trap_frame *f) { return (f->cs & 3) == 3; }
/* Where the interrupted kernel code's ESP was: just above EFLAGS. */
static inline u32 frame_kernel_esp(const struct trap_frame *f) { return (u32)&f->user_esp; }

extern char trap_stubs[], alt_int3_stub[], proc_first_entry[];
static inline u32 trap_stub(unsigned vector) { return (u32)trap_stubs + 16 * vector; }

void switch_stacks(u32 *save_esp, u32 new_esp);
void trap_dispatch(struct trap_frame *f);
void ret_to_user_prepare(struct trap_frame *f);

#endif
