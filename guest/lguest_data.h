/* struct lguest_data: the page shared with the host (lguest-abi.md
 * section 3, 1392 bytes). The offsets are #defines so the assembly (boot
 * entry, iret routine) uses the same numbers the C struct is checked
 * against. */
#ifndef GUEST_LGUEST_DATA_H
#define GUEST_LGUEST_DATA_H

#define LGD_IRQ_ENABLED     0x000
#define LGD_BLOCKED         0x004
#define LGD_CR2             0x008
#define LGD_TIME_SEC        0x00C
#define LGD_TIME_NSEC       0x010
#define LGD_IRQ_PENDING     0x014
#define LGD_HCALL_STATUS    0x018
#define LGD_HCALLS          0x058
#define LGD_RESERVE_MEM     0x558
#define LGD_TSC_KHZ         0x55C
/* LG_GEN2632 builds the 2.6.32-era guest (lgtest-2632.elf): a host-written
 * pgdir sits at 0x560 and the rest moves up by 4 (ABI appendix F). */
#ifdef LG_GEN2632
#define LGD_PGDIR           0x560
#define LGD_TAIL            0x564
#else
#define LGD_TAIL            0x560
#endif
/* LG_GEN4 builds the 4.x guest (lgtest-4.elf): one noirq_iret (the
 * address of the iret itself) instead of the noirq range, so
 * kernel_address and syscall_vec sit 4 bytes lower (ABI appendix F). */
#ifdef LG_GEN4
#define LGD_NOIRQ_IRET      (LGD_TAIL + 0x0)
#define LGD_KERNEL_ADDRESS  (LGD_TAIL + 0x4)
#define LGD_SYSCALL_VEC     (LGD_TAIL + 0x8)
#define LGD_SIZE            (LGD_TAIL + 0xC)
#else
#define LGD_NOIRQ_START     (LGD_TAIL + 0x0)
#define LGD_NOIRQ_END       (LGD_TAIL + 0x4)
#define LGD_KERNEL_ADDRESS  (LGD_TAIL + 0x8)
#define LGD_SYSCALL_VEC     (LGD_TAIL + 0xC)
#define LGD_SIZE            (LGD_TAIL + 0x10)
#endif

#define LHCALL_RING_SIZE    64
#define HCALL_STATUS_FREE   0xFF
#define HCALL_STATUS_QUEUED 0x00

#ifndef __ASSEMBLER__
#include <stddef.h>
#include "guest/layout.h"

struct hcall_args {
    u32 arg0;               /* the call number */
    u32 arg1, arg2, arg3, arg4;
};

struct lguest_data {
    /* The guest's virtual EFLAGS.IF: only bit 9 means anything, the iret
     * routine stores whole EFLAGS images here. */
    volatile u32 irq_enabled;
    volatile u32 blocked_interrupts;
    volatile u32 cr2;
    volatile u32 time_sec;
    volatile u32 time_nsec;
    volatile u32 irq_pending;
    volatile u8 hcall_status[LHCALL_RING_SIZE];
    struct hcall_args hcalls[LHCALL_RING_SIZE];
    volatile u32 reserve_mem;
    volatile u32 tsc_khz;
#ifdef LG_GEN2632
    volatile u32 pgdir;     /* the host's first page tables; then what we load */
#endif
#ifdef LG_GEN4
    u32 noirq_iret;
#else
    u32 noirq_start;
    u32 noirq_end;
#endif
    u32 kernel_address;
    u32 syscall_vec;
};

_Static_assert(offsetof(struct lguest_data, irq_enabled) == LGD_IRQ_ENABLED, "irq_enabled");
_Static_assert(offsetof(struct lguest_data, blocked_interrupts) == LGD_BLOCKED, "blocked");
_Static_assert(offsetof(struct lguest_data, cr2) == LGD_CR2, "cr2");
_Static_assert(offsetof(struct lguest_data, time_sec) == LGD_TIME_SEC, "time.tv_sec");
_Static_assert(offsetof(struct lguest_data, time_nsec) == LGD_TIME_NSEC, "time.tv_nsec");
_Static_assert(offsetof(struct lguest_data, irq_pending) == LGD_IRQ_PENDING, "irq_pending");
_Static_assert(offsetof(struct lguest_data, hcall_status) == LGD_HCALL_STATUS, "hcall_status");
_Static_assert(offsetof(struct lguest_data, hcalls) == LGD_HCALLS, "hcalls");
_Static_assert(sizeof(struct hcall_args) == 20, "hcall slot");
_Static_assert(offsetof(struct lguest_data, reserve_mem) == LGD_RESERVE_MEM, "reserve_mem");
_Static_assert(offsetof(struct lguest_data, tsc_khz) == LGD_TSC_KHZ, "tsc_khz");
#ifdef LG_GEN4
_Static_assert(offsetof(struct lguest_data, noirq_iret) == LGD_NOIRQ_IRET, "noirq_iret");
#else
_Static_assert(offsetof(struct lguest_data, noirq_start) == LGD_NOIRQ_START, "noirq_start");
_Static_assert(offsetof(struct lguest_data, noirq_end) == LGD_NOIRQ_END, "noirq_end");
#endif
_Static_assert(offsetof(struct lguest_data, kernel_address) == LGD_KERNEL_ADDRESS, "kernel_address");
_Static_assert(offsetof(struct lguest_data, syscall_vec) == LGD_SYSCALL_VEC, "syscall_vec");
_Static_assert(sizeof(struct lguest_data) == LGD_SIZE, "1392 bytes (2.6.32: 1396, 4.x: 1388)");

extern struct lguest_data lguest_data;
#endif

#endif
