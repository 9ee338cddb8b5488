/* One guest: everything the hypervisor keeps about it. The guest's own
 * memory is one contiguous run of host frames (struct gmem); its register
 * frame lives in a page of its own that the switcher maps while it runs. */
#ifndef KERNEL_LGUEST_GUEST_H
#define KERNEL_LGUEST_GUEST_H
#include <stdbool.h>
#include <stdint.h>
#include "arch/x86/trap.h"
#include "kernel/history.h"
#include "kernel/lguest/gmem.h"
#include "kernel/lguest/guest_config.h"
#include "kernel/lguest/kversion.h"
#include "kernel/lguest/lguest_abi.h"
#include "kernel/lguest/segments.h"
#include "kernel/lguest/shadow.h"
#include "kernel/timer.h"
#include "virtio/device.h"
#include "virtio/vpci.h"

#define NO_MOVE 0xFFFFFFFFu

#include "kernel/lguest/guest_gen.h"

enum guest_state {
    GUEST_EMPTY,        /* slot unused */
    GUEST_RUNNING,      /* runnable, or halted waiting for an interrupt */
    GUEST_STOPPED,      /* killed or powered off: never runs again */
};

struct guest_stats {
    uint64_t exits, hypercalls, async_calls, reflected, irqs_injected, host_irqs;
    uint64_t pf_resolved, pf_dirty, pf_kernel, pf_reflected, gp_emulated, fpu_switches, syscall_exits;
    uint64_t vmcalls_patched, vmcalls_emulated;     /* 2.6.32 guests' hypercall instruction */
    uint64_t shadow_checked_at_flush, shadow_unparked, shadow_unpark_dropped;  /* FLUSH_TLB(1), shadow.c */
    uint64_t host_cycles, host_samples; /* TSC cycles from an exit to the next entry */
    uint64_t fast_exits;                /* handled without the big lock (fast_exit.c) */
    uint32_t by_vector[256];            /* exits, by the trap that caused them */
    uint32_t by_hcall[LHCALL_COUNT];    /* hypercalls, synchronous or queued */
};

/* A guest's network device (virtio/net.c): frames in and out, and each
 * frame dropped, by why. */
#define NET_BAD_REASONS 12
struct net_stats {
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
    uint64_t rx_ring_full;      /* no receive buffer posted and the backlog full */
    uint64_t rx_not_running;    /* the device was not started, or stopped */
    uint64_t rx_too_small;      /* the guest's receive buffer could not hold the frame */
    uint64_t tx_bad;            /* not an Ethernet frame of 14..1514 bytes */
    uint64_t tx_bad_header;     /* its virtio-net header is refused: all reasons */
    uint64_t tx_bad_why[NET_BAD_REASONS];   /* ... by reason (virtio/net_offload.h, enum vnet_bad) */
    uint64_t tx_csum_hw, tx_csum_sw;        /* partial checksums done by the e1000 / in software */
    uint64_t tx_tso_hw, tx_tso_sw;          /* large segments cut by the e1000 / in software */
    uint64_t rx_csum_passed;    /* frames given with NEEDS_CSUM (it negotiated GUEST_CSUM) */
    uint64_t rx_data_valid;     /* frames given with DATA_VALID (the e1000 checked them) */
    uint64_t rx_csum_done;      /* partial checksums completed for it (no GUEST_CSUM) */
    uint64_t rx_tso_cut;        /* large segments cut for it (no GUEST_TSO4, or no room for it whole) */
    uint64_t rx_tso_passed;     /* large segments given whole (GUEST_TSO4) */
    uint64_t tx_no_uplink;      /* for the wire, but there is no uplink or its link is down */
    uint64_t tx_wire_full;      /* flooded while the e1000's transmit ring was full */
    uint64_t tx_held;           /* times its transmit queue was held for room (not a drop) */
};

/* Serial input for the guest's console, until it posts receive buffers. */
struct cons_input {
    uint8_t buf[4096];
    uint32_t head, tail;
};

/* Why a guest is held off its CPU; each holder lets go of its own bit. */
#define PAUSE_MONITOR 0x01      /* the monitor's pause NAME */
#define PAUSE_DEBUG   0x02      /* stopped in the gdb stub */

/* The last exception the guest took (not a hypercall, not a host
 * interrupt), for the monitor's regs NAME. */
struct last_trap {
    uint32_t vector, error, eip, cr2;   /* cr2 only for a page fault */
    uint64_t at_exit;                   /* stats.exits then */
};

/* The fields every exit touches come first, so that the exit path, which
 * under emulation pays for each page it touches after a CR3 load, finds
 * them in one or two pages; the bulky and rarely used ones are at the end. */
struct guest {
    enum guest_state state;
    bool halted;
    bool ts;                    /* FPU: virtual CR0.TS */
    bool released;              /* memory returned after it stopped */
    bool restart_pending;       /* stopped, to be started afresh by the scheduler */
    uint32_t cpu;               /* the CPU that runs it (cpus[]) */
    uint32_t move_to;           /* a CPU it is to move to, or NO_MOVE */
    bool woken;                 /* halted, then interrupted: runs before the busy guests */
    uint8_t paused;             /* PAUSE_* bits: not scheduled while any is set */
    bool debugged;              /* the gdb stub is attached: traps 1 and 3 go to it first */
    bool vtime_fresh;           /* new on its CPU: vtime starts at the CPU's clock */
    uint64_t vtime;             /* CPU time scaled by 256/weight: the least runs next */
    uint64_t cpu_ns;            /* CPU time used, exits included, since boot */
    uint64_t started_ns;        /* when it was last started (its uptime) */
    uint64_t cap_start, cap_used;   /* cap=: the current 100 ms window and its use */

    /* registers: the frame in the switcher's regs page while it runs */
    struct trap_frame *regs;
    uint32_t regs_phys;

    /* memory: RAM [0, ram_size), then the device page and rings */
    struct gmem mem;            /* base = host physical address of GPA 0 */
    uint32_t ram_size;
    uint32_t pfn_limit;         /* also the frames it owns */

    /* lguest_data, once LGUEST_INIT has registered it */
    volatile struct lguest_data *ld;
    enum guest_gen gen;
    uint32_t noirq_start, noirq_end, kernel_address;
    uint32_t image_start, image_end;    /* GPAs of the loaded kernel: where vmcall may be patched */
    uint32_t initrd_gpa;                /* 0: none; 2.6.32's first page tables go below it */
    uint32_t boot_pgdir;                /* those tables until it leaves them; else 0 */
    char release[KVERSION_MAX];         /* the image's Linux release, or "" */
    const char *expected_gen;           /* the lguest generation it implies, or NULL */
    uint32_t async_cursor;

    /* interrupts and time */
    uint32_t irqs_pending;      /* bit n = virtual IRQ n raised */
    uint32_t ss1, esp1, stack_pages;
    struct timer clock;         /* SET_CLOCKEVENT */
    struct timer poll;          /* forces an exit while an interrupt waits */

    struct shadow shadow;
    struct guest_stats stats;
    struct last_trap last_trap;

    /* segments and gates, after the fix-ups */
    uint64_t gdt[GUEST_GDT_ENTRIES];
    uint64_t idt[256];

    /* the guest's FPU state when it is not in the FPU */
    uint8_t fpu[512] __attribute__((aligned(16)));

    uint32_t id;
    char name[GUEST_NAME_MAX];
    const struct guest_config *cfg;
    char stop_reason[160];
    uint32_t restarts;
    uint32_t quick_fails;       /* failures in a row soon after a start */
    uint64_t restart_at;        /* a restart_pending guest starts again from then */
    struct timer restart_timer;

    /* console output (early NOTIFY strings and virtio): collected into lines */
    char line[240];
    uint32_t line_len;
    struct history out_history; /* its last 64 KiB of output (console NAME), across restarts */
    struct cons_input cons_in;

    /* devices */
    struct vbus bus;
    struct vpci pci;            /* 4.x guests: the same devices on virtio-pci */
    struct ramdisk *disk;       /* kept across restarts */
    struct disk_part *part;     /* or a SATA partition (disk=), kept too */
    struct vblk_sata *sata;     /* its request slots (virtio/block_sata.c) */
    uint8_t mac[6];
    struct net_stats net_stats;

    uint32_t unzeroed[(GUEST_MEM_MAX / 4096 + 64 + 31) / 32];  /* mem.unzeroed */
    uint32_t zero_cursor;       /* where idle-time zeroing goes on */
    bool zero_done;             /* nothing left for it */
};

extern struct guest guests[MAX_GUESTS];
extern uint32_t nguests;

/* Stops g for good with a reason (printf format), logged with its name.
 * Every check of guest input that fails ends here. */
void guest_kill(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool guest_alive(const struct guest *g) { return g->state == GUEST_RUNNING; }

/* guest_boot.c: build a guest from its configuration, and start it again */
int guest_create(struct guest *g, const struct guest_config *cfg, uint32_t id);
/* Starts g afresh from its modules (called by the scheduler, outside any
 * exit of g, once g has stopped with restart_pending). */
void guest_restart(struct guest *g);
void guest_release(struct guest *g);
/* Stops g without calling it an error (power off). */
void guest_stop(struct guest *g, const char *reason);
/* Stops g (if it runs) and has the scheduler start it afresh. */
void guest_request_restart(struct guest *g, const char *reason);
/* g has just stopped by failing or rebooting itself: a restart, delayed if
 * it keeps doing so soon after starting, or none past its restart_limit. */
void guest_restart_later(struct guest *g);

/* run.c: run g until it stops, halts or its slice ends */
void guest_run(struct guest *g);

/* hypercalls.c */
void hypercall(struct guest *g);
/* notify.c: NOTIFY with a guest address */
void guest_notify(struct guest *g, uint32_t gpa);
void guest_console_write(struct guest *g, const char *s, uint32_t n);
void guest_console_flush(struct guest *g);
/* After a burst of output: the focused guest's unfinished line (a shell
 * prompt, an echo) goes to the terminal now rather than at its newline. */
void guest_console_output_done(struct guest *g);
/* Ends a guest's partly shown line, or the monitor's prompt line, before
 * anything else is printed. */
void console_break_line(void);
/* virtio/console.c: bytes typed while g has the input focus. */
void vcons_input(struct guest *g, const char *s, uint32_t n);

/* focus.c: which guest the serial input goes to (NULL: the monitor). */
extern struct guest *console_focus;
void focus_init(void);
void focus_poll_input(void);
void focus_set(struct guest *g);
void focus_guest_stopped(struct guest *g);

/* interrupts.c */
void guest_raise_irq(struct guest *g, uint32_t irq);
void guest_deliver_interrupts(struct guest *g);
bool guest_has_deliverable_irq(struct guest *g);
/* Pushes a trap frame on the guest's stack and points it at its handler
 * for vector (ABI 4.5). Returns false if the guest was killed. */
bool guest_reflect(struct guest *g, uint32_t vector, bool has_error, uint32_t error);
/* The same for a page fault, without the big lock, when it needs nothing
 * but the shadow (interrupts.c); false, having changed nothing, otherwise. */
bool guest_reflect_pf_fast(struct guest *g, uint32_t err, uint32_t cr2);
void guest_set_time(struct guest *g);

/* traps.c: everything after a guest exit */
void guest_handle_exit(struct guest *g);
/* Without the big lock (fast_exit.c): handles g's exit if it is one of the
 * few that need nothing but g itself (true), else changes nothing (false). */
bool guest_exit_fast(struct guest *g);
/* After a fast exit: g can be entered again without the lock first. */
struct percpu;
bool guest_fast_again(struct guest *g, struct percpu *c);

/* vcpu.c: loading a guest's descriptor tables and FPU onto the CPU */
void vcpu_init(void);
void vcpu_load(struct guest *g);
void vcpu_gdt_changed(struct guest *g, uint32_t first, uint32_t count);
void vcpu_idt_changed(struct guest *g, uint32_t vector);
void vcpu_stack_changed(struct guest *g);
void vcpu_fpu_prepare(struct guest *g);
bool vcpu_fpu_trap(struct guest *g);
void vcpu_forget(struct guest *g);
/* Saves g's FPU registers from this CPU before g runs on another. */
void vcpu_unload(struct guest *g);
/* g's gates changed in a way vcpu_load computes (a debugger attached or
 * left): every CPU loads them afresh next time. Only while g is off CPU. */
void vcpu_reload(struct guest *g);

/* pause.c: holding a guest off its CPU with its state kept exactly */
void guest_pause(struct guest *g, uint8_t why);
void guest_unpause(struct guest *g, uint8_t why);
/* No CPU is running g now (it may be paused, halted, or just waiting). */
bool guest_off_cpu(const struct guest *g);
/* The guest named name, or NULL. */
struct guest *guest_find(const char *name);

/* gvirt.c: guest-virtual to guest-physical for the debugger, through the
 * guest's current tables, changing nothing; false when not mapped. */
bool gvirt_to_gpa(const struct guest *g, uint32_t va, uint32_t *gpa);

/* sched.c: runs the guests and the console; never returns */
void sched_loop(void) __attribute__((noreturn));
uint32_t guests_running(void);

#endif
