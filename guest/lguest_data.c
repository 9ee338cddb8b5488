/* The one lguest_data, a static part of the kernel image as the ABI
 * requires (section 3): its GPA goes to LGUEST_INIT from the boot code. */
#include "guest/lguest_data.h"

/* Labels in traps.S around the irq_enabled store, pop and iret of the
 * return path: the host delivers no interrupt between them. */
extern char lg_noirq_start[], lg_noirq_end[];
/* 4.x: only the iret itself (the host holds interrupts off there). */
extern char lg_noirq_iret[];

__attribute__((aligned(PAGE_SIZE), section(".data.page_aligned")))
struct lguest_data lguest_data = {
    /* The timer line stays blocked until timer_init has set it up. */
    .blocked_interrupts = 1u << 0,
    .hcall_status = { [0 ... LHCALL_RING_SIZE - 1] = HCALL_STATUS_FREE },
#ifdef LG_GEN4
    .noirq_iret = (u32)lg_noirq_iret,
#else
    .noirq_start = (u32)lg_noirq_start,
    .noirq_end = (u32)lg_noirq_end,
#endif
    .kernel_address = KERNEL_BASE,
    .syscall_vec = VEC_SYSCALL,
};
