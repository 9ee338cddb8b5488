/* Hypercalls (lguest-abi.md section 2): int $0x1f, EAX = number, EBX, ECX,
 * EDX (, ESI) = arguments, nothing returned. The numbers are usable from
 * assembly. */
#ifndef GUEST_HCALL_H
#define GUEST_HCALL_H

#define LHCALL_FLUSH_ASYNC      0
#define LHCALL_LGUEST_INIT      1
#define LHCALL_SHUTDOWN         2
#define LHCALL_NEW_PGTABLE      4
#define LHCALL_FLUSH_TLB        5
#define LHCALL_LOAD_IDT_ENTRY   6
#define LHCALL_SET_STACK        7
#define LHCALL_TS               8
#define LHCALL_SET_CLOCKEVENT   9
#define LHCALL_HALT             10
#define LHCALL_SET_PMD          13
#define LHCALL_SET_PTE          14
#define LHCALL_SET_PGD          15
#define LHCALL_LOAD_TLS         16
#define LHCALL_NOTIFY           17
#define LHCALL_LOAD_GDT_ENTRY   18
#define LHCALL_SEND_INTERRUPTS  19

#define LGUEST_SHUTDOWN_POWEROFF 1
#define LGUEST_SHUTDOWN_RESTART  2

#ifndef __ASSEMBLER__
#include "guest/layout.h"

/* The host promises to preserve every register, but a wrong host should
 * make a test fail, not silently corrupt the compiler's view of the
 * registers: so all four are declared as possibly changed. The register
 * test (tests/hypercalls.c) checks the promise itself. */
/* The 2.6.32-era guest uses KVM's vmcall, which the host patches. */
#ifdef LG_GEN2632
#define HCALL_INSN ".byte 0x0f, 0x01, 0xc1"
#else
#define HCALL_INSN "int $0x1f"
#endif

/* ESI is the fourth argument, which only a PAE guest's SET_PTE uses (the
 * PTE's high word); Linux passes 0 there in every other call. */
static inline void hcall4(u32 nr, u32 a1, u32 a2, u32 a3, u32 a4)
{
    __asm__ __volatile__(HCALL_INSN
                         : "+a"(nr), "+b"(a1), "+c"(a2), "+d"(a3), "+S"(a4)
                         :
                         : "memory");
}

static inline void hcall(u32 nr, u32 a1, u32 a2, u32 a3) { hcall4(nr, a1, a2, a3, 0); }

/* Queues a call in the lguest_data ring (ABI 2.4): it takes effect at the
 * next synchronous hypercall. If the ring is full the call is made
 * synchronously, which drains the ring first and so keeps the order. */
void hcall_async(u32 nr, u32 a1, u32 a2, u32 a3);

/* Makes every queued call take effect now. */
static inline void hcall_flush(void) { hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0); }

/* Slots of the ring still marked queued (status byte not 0xFF). */
unsigned hcall_ring_busy(void);
/* The guest's ring cursor: the next slot it will fill. */
unsigned hcall_ring_cursor(void);
#endif

#endif
