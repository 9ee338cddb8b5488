/* Numbers and layouts of the Linux 3.10 lguest guest ABI
 * (lguest-abi.md sections 0, 2.2 and 3) that the hypervisor uses. */
#ifndef KERNEL_LGUEST_ABI_H
#define KERNEL_LGUEST_ABI_H
#include <stdint.h>

enum lhcall {
    LHCALL_FLUSH_ASYNC = 0,
    LHCALL_LGUEST_INIT = 1,
    LHCALL_SHUTDOWN = 2,
    LHCALL_NEW_PGTABLE = 4,
    LHCALL_FLUSH_TLB = 5,
    LHCALL_LOAD_IDT_ENTRY = 6,
    LHCALL_SET_STACK = 7,
    LHCALL_TS = 8,
    LHCALL_SET_CLOCKEVENT = 9,
    LHCALL_HALT = 10,
    LHCALL_SET_PMD = 13,
    LHCALL_SET_PTE = 14,
    LHCALL_SET_PGD = 15,
    LHCALL_LOAD_TLS = 16,
    LHCALL_NOTIFY = 17,
    LHCALL_LOAD_GDT_ENTRY = 18,
    LHCALL_SEND_INTERRUPTS = 19,
    LHCALL_COUNT = 20,
};

#define LGUEST_SHUTDOWN_POWEROFF 1
#define LGUEST_SHUTDOWN_RESTART  2

#define LG_HCALL_VECTOR   0x1F
#define LG_SYSCALL_VECTOR 0x80
#define LG_FIRST_IRQ_VECTOR 0x20
#define LG_IRQS           32
#define LG_ASYNC_SLOTS    64
#define LG_HCALL_DONE     0xFF      /* async slot status: free */

#define GUEST_KERNEL_CS_SEL 0x61
#define GUEST_KERNEL_DS_SEL 0x69

/* struct lguest_data, shared with the guest (ABI 3). Every field may
 * change under the hypervisor's feet while the guest runs; the hypervisor
 * reads it only while the guest is stopped and treats every value as
 * untrusted. The first 0x560 bytes are the same in every generation; the
 * boot-time fields after them moved (lguest_data_tail). */
struct lguest_data {
    uint32_t irq_enabled;           /* 0x000: 0x200 = virtual IF */
    uint32_t blocked_interrupts;    /* 0x004 */
    uint32_t cr2;                   /* 0x008 */
    uint32_t time_sec, time_nsec;   /* 0x00C */
    uint32_t irq_pending;           /* 0x014 */
    uint8_t hcall_status[LG_ASYNC_SLOTS];   /* 0x018 */
    uint32_t hcalls[LG_ASYNC_SLOTS][5];     /* 0x058: nr, a1..a4 */
    uint32_t reserve_mem;           /* 0x558 */
    uint32_t tsc_khz;               /* 0x55C */
};
_Static_assert(sizeof(struct lguest_data) == 0x560, "lguest_data layout");
_Static_assert(__builtin_offsetof(struct lguest_data, hcalls) == 0x58, "lguest_data layout");

/* The fields the guest fills in at build time and the host reads once, at
 * LGUEST_INIT: at 0x560 in 3.10 (whole struct 1392 bytes); 2.6.32 has a
 * host-written pgdir at 0x560 (the initial page tables the host built, which
 * its read_cr3 returns), so they start at 0x564 there (ABI appendix F). */
struct lguest_data_tail {
    uint32_t noirq_start, noirq_end;
    uint32_t kernel_address;
    uint32_t syscall_vec;
};
#define LGUEST_DATA_TAIL_310   0x560
#define LGUEST_DATA_PGDIR_2632 0x560
#define LGUEST_DATA_TAIL_2632  0x564

/* 4.x (4.0 to 4.13): noirq_start/noirq_end became one noirq_iret, the
 * address of the guest's iret (interrupts are held off only with EIP
 * there), so kernel_address is at 0x564, syscall_vec at 0x568 and the
 * struct is 0x56C bytes. A 3.10 guest has syscall_vec 0x80 at 0x56C. */
struct lguest_data_tail4 {
    uint32_t noirq_iret;
    uint32_t kernel_address;
    uint32_t syscall_vec;
};
#define LGUEST_DATA_TAIL_4     0x560
#define LGUEST_DATA_SIZE_4     0x56C
#define LGUEST_DATA_SIZE_310   0x570

#endif
