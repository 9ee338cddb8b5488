/* A guest's life: built from its GRUB modules (memory from the frame
 * allocator, zeroed; kernel, initrd, boot_params, command line and the
 * initial registers of lguest ABI 1), restarted from scratch on request,
 * and stopped for good, with a reason, when it powers off or misbehaves. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "drivers/u64dec.h"
#include "kernel/lguest/guest.h"
#include "kernel/clock.h"
#include "kernel/sched.h"
#include "arch/x86/paging.h"
#include "kernel/bootinfo.h"
#include "kernel/lguest/bootparams.h"
#include "kernel/frames.h"
#include "kernel/lguest/loader.h"
#include "kernel/lguest/kversion.h"
#include "kernel/log.h"
#include "drivers/ramdisk.h"
#include "drivers/disk_part.h"
#include "virtio/block.h"
#include "virtio/net.h"

/* Pages after RAM for the device page and virtqueue rings (ABI 1.1). */
#define DEVICE_PAGES 64

struct guest guests[MAX_GUESTS];
uint32_t nguests;
extern struct boot_info boot_info;

static struct guest *guest_of_timer(struct timer *t, size_t offset)
{
    return (struct guest *)((char *)t - offset);
}

static void clock_expired(struct timer *t)
{
    guest_raise_irq(guest_of_timer(t, __builtin_offsetof(struct guest, clock)), 0);
}

/* A delayed restart is due: whichever CPU the guest is on sees it at its
 * next pass through the scheduler. */
static void restart_due(struct timer *t)
{
    guest_kick(guest_of_timer(t, __builtin_offsetof(struct guest, restart_timer)));
}

static void poll_expired(struct timer *t)
{
    /* nothing: the interrupt that ran this made the guest exit, and every
     * exit is another chance to deliver */
}

static const struct boot_module *module(int index)
{
    return index >= 0 ? &boot_info.modules[index] : 0;
}

/* Loads everything into memory that reads as zero (ABI 1.3) and sets the
 * entry state (ABI 1.6). Only the pages written here are zeroed now; the
 * rest are zeroed on first use (gmem_settle). */
static int load(struct guest *g)
{
    uint8_t *ram = g->mem.base;
    g->mem.unzeroed = g->unzeroed;
    uint32_t pages = g->mem.size / PAGE_SIZE;
    memset(g->unzeroed, 0, sizeof(g->unzeroed));
    g->zero_cursor = 0;
    g->zero_done = false;
    memset(g->unzeroed, 0xFF, pages / 32 * 4);
    for (uint32_t p = pages / 32 * 32; p < pages; p++)
        g->unzeroed[p / 32] |= 1u << (p % 32);
    const struct boot_module *k = module(g->cfg->kernel);
    const uint8_t *image = (const uint8_t *)k->start;
    struct kernel_load kl;
    /* where it goes first, so those pages are zero before it lands */
    if (load_kernel(image, k->end - k->start, 0, g->ram_size, &kl)) {
        log_err("guest %s: kernel module %d: %s", g->name, g->cfg->kernel, kl.error);
        return -1;
    }
    gmem_settle(&g->mem, kl.start, kl.end - kl.start);
    gmem_settle(&g->mem, 0, LOADER_LOW_RESERVED);
    gmem_settle(&g->mem, g->ram_size, g->mem.size - g->ram_size);     /* devices */
    load_kernel(image, k->end - k->start, ram, g->ram_size, &kl);
    uint32_t initrd_gpa = 0, initrd_len = 0;
    const struct boot_module *rd = module(g->cfg->initrd);
    char err[160];
    if (rd) {
        initrd_len = rd->end - rd->start;
        if (place_initrd(initrd_len, g->ram_size, &kl, &initrd_gpa, err)) {
            log_err("guest %s: initrd module %d: %s", g->name, g->cfg->initrd, err);
            return -1;
        }
        gmem_settle(&g->mem, initrd_gpa, initrd_len);
        memcpy(ram + initrd_gpa, (const void *)rd->start, initrd_len);
    }
    build_boot_params(ram, g->ram_size, initrd_gpa, initrd_len);
    if (write_cmdline(ram, g->ram_size, g->cfg->args, err)) {
        log_err("guest %s: command line: %s", g->name, err);
        return -1;
    }

    memset((void *)g->regs_phys, 0, PAGE_SIZE);
    struct trap_frame *f = g->regs;
    f->cs = GUEST_KERNEL_CS_SEL;
    f->ds = f->es = f->ss = GUEST_KERNEL_DS_SEL;
    f->eip = kl.entry;
    f->eflags = 0x202;
    memset(g->gdt, 0, sizeof(g->gdt));
    g->gdt[12] = 0x00CFBB000000FFFFull;     /* flat code, DPL 1, accessed */
    g->gdt[13] = 0x00CFB3000000FFFFull;     /* flat data, DPL 1, accessed */
    memset(g->idt, 0, sizeof(g->idt));
    memset(g->fpu, 0, sizeof(g->fpu));
    g->fpu[0] = 0x7F;                       /* FCW 0x037F, as after fninit */
    g->fpu[1] = 0x03;
    g->fpu[24] = 0x80;                      /* MXCSR 0x1F80: all masked */
    g->fpu[25] = 0x1F;
    g->ld = 0;
    g->gen = GEN_310;
    g->kernel_address = 0xC0000000u;
    g->image_start = kl.start;
    g->image_end = kl.end;
    g->initrd_gpa = initrd_gpa;
    g->boot_pgdir = 0;
    g->irqs_pending = 0;
    g->halted = false;
    g->ts = false;
    g->ss1 = g->esp1 = g->stack_pages = 0;
    g->line_len = 0;
    g->cons_in.head = g->cons_in.tail = 0;
    vbus_build(g);
    shadow_init(g);
    g->state = GUEST_RUNNING;
    g->started_ns = clock_ns();
    log_info("guest %s: %s loaded, entry 0x%08lx; %lu MiB RAM at host 0x%08lx%s", g->name, kl.kind,
             (unsigned long)kl.entry, (unsigned long)(g->ram_size >> 20), (unsigned long)(uint32_t)g->mem.base,
             rd ? ", initrd" : "");
    return 0;
}

static int allocate(struct guest *g);

int guest_create(struct guest *g, const struct guest_config *cfg, uint32_t id)
{
    memset(g, 0, sizeof(*g));
    g->id = id;
    g->cfg = cfg;
    g->vtime_fresh = true;
    snprintf(g->name, sizeof(g->name), "%s", cfg->name);
    g->ram_size = cfg->mem;
    g->pfn_limit = cfg->mem / PAGE_SIZE + DEVICE_PAGES;
    g->clock.fn = clock_expired;
    g->poll.fn = poll_expired;
    g->restart_timer.fn = restart_due;
    g->state = GUEST_STOPPED;
    g->released = true;
    if (cfg->has_mac)
        memcpy(g->mac, cfg->mac, sizeof(g->mac));
    else
        vnet_default_mac(cfg->name, g->mac);
    const struct boot_module *k = module(cfg->kernel);
    if (kernel_version((const uint8_t *)k->start, k->end - k->start, g->release)) {
        g->expected_gen = kernel_generation(g->release);
        log_info("guest %s: image is Linux %s (%s)", g->name, g->release,
                 g->expected_gen ? g->expected_gen : "a Linux that never had lguest");
    }
    if (cfg->disk >= 0 && !(g->disk = ramdisk_create(module(cfg->disk), g->name))) {
        snprintf(g->stop_reason, sizeof(g->stop_reason), "its disk could not be set up");
        return -1;
    }
    if (cfg->sata[0]) {
        char why[128];
        if (!(g->part = disk_part_claim(cfg->sata, g->name, why, sizeof(why)))) {
            log_err("guest %s: %s; not started", g->name, why);
            snprintf(g->stop_reason, sizeof(g->stop_reason), "its disk is not there: %s", why);
            return -1;
        }
        if (vblk_sata_setup(g))
            return -1;
        log_info("guest %s: disk %s, %s sectors (%s MiB) from LBA %s of %s", g->name, g->part->label,
                 U64(g->part->sectors), U64((g->part->sectors >> 11)),
                 U64(g->part->first), g->part->disk->name);
    }
    if (allocate(g))
        return -1;
    if (load(g)) {
        snprintf(g->stop_reason, sizeof(g->stop_reason), "could not be loaded");
        guest_release(g);
        return -1;
    }
    return 0;
}

/* Memory for RAM, device page and rings, and the register page. */
static int allocate(struct guest *g)
{
    uint32_t phys = frames_alloc(g->pfn_limit, 1);
    uint32_t regs = phys ? frame_alloc() : 0;
    if (!regs) {
        if (phys)
            frames_free(phys, g->pfn_limit);
        log_err("guest %s: not enough memory: %lu MiB wanted, %lu MiB free", g->name,
                (unsigned long)(g->pfn_limit >> 8), (unsigned long)(frames_free_count() >> 8));
        snprintf(g->stop_reason, sizeof(g->stop_reason), "not enough memory");
        return -1;
    }
    g->mem = (struct gmem){ (uint8_t *)phys, g->pfn_limit * PAGE_SIZE, 0, phys };
    g->regs_phys = regs;
    g->regs = (struct trap_frame *)(regs + PAGE_SIZE - sizeof(struct trap_frame));
    g->released = false;
    return 0;
}

static void quiesce(struct guest *g)
{
    if (!g->released)
        vbus_teardown(g);
    timer_cancel(&g->clock);
    timer_cancel(&g->poll);
    vcpu_forget(g);
    shadow_release(g);
}

void guest_restart(struct guest *g)
{
    quiesce(g);
    g->restart_pending = false;
    g->restarts++;
    g->vtime_fresh = true;
    if (g->released && allocate(g)) {
        log_err("guest %s: cannot restart: %s", g->name, g->stop_reason);
        return;
    }
    memset(&g->stats, 0, sizeof(g->stats));
    if (load(g)) {
        g->state = GUEST_RUNNING;
        guest_stop(g, "restart failed");
    }
}

void guest_request_restart(struct guest *g, const char *reason)
{
    guest_stop(g, reason);
    timer_cancel(&g->restart_timer);
    g->quick_fails = 0;
    g->restart_at = 0;
    g->restart_pending = true;
    guest_kick(g);          /* it may have stopped already: its CPU could be asleep */
}

/* A guest that keeps failing right after its start is restarted later
 * each time (restart_delay, doubling, at most 10 s), and left stopped after
 * restart_limit such failures in a row, so that a crash loop costs the
 * machine little and says so once. */
#define BACKOFF_MAX_NS 10000000000ull

void guest_restart_later(struct guest *g)
{
    uint64_t now = clock_ns();
    bool quick = now - g->started_ns < GUEST_QUICK_FAIL_NS;
    g->quick_fails = quick ? g->quick_fails + 1 : 0;
    uint32_t limit = g->cfg->restart_limit;
    if (limit && g->quick_fails > limit) {
        log_err("guest %s: failed %lu times in a row within %lu s of starting; left stopped "
                "(restart_limit=%lu; 'restart %s' starts it again)", g->name,
                (unsigned long)g->quick_fails, (unsigned long)(GUEST_QUICK_FAIL_NS / 1000000000u),
                (unsigned long)limit, g->name);
        g->restart_pending = false;
        return;
    }
    uint64_t delay = 0;
    if (g->quick_fails && g->cfg->restart_delay) {
        delay = (uint64_t)g->cfg->restart_delay * 1000000u << (g->quick_fails > 20 ? 20 : g->quick_fails - 1);
        if (delay > BACKOFF_MAX_NS)
            delay = BACKOFF_MAX_NS;
        log_info("guest %s: restarting in %lu ms (quick failure %lu%s%lu)", g->name,
                 (unsigned long)(delay / 1000000), (unsigned long)g->quick_fails,
                 limit ? " of at most " : "", (unsigned long)limit);
        g->restart_at = now + delay;
        timer_arm(&g->restart_timer, g->restart_at);
    } else {
        g->restart_at = 0;
    }
    g->restart_pending = true;
}

void guest_stop(struct guest *g, const char *reason)
{
    if (g->state != GUEST_RUNNING)
        return;
    guest_console_flush(g);
    g->state = GUEST_STOPPED;
    snprintf(g->stop_reason, sizeof(g->stop_reason), "%s", reason);
    timer_cancel(&g->clock);
    timer_cancel(&g->poll);
    guest_kick(g);          /* its CPU leaves it and releases or restarts it */
}

void guest_kill(struct guest *g, const char *fmt, ...)
{
    if (g->state != GUEST_RUNNING)
        return;
    char reason[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    guest_console_flush(g);
    log_err("guest %s: stopped: %s", g->name, reason);
    guest_stop(g, reason);
    if (g->cfg->restart_on_kill) {
        log_info("guest %s: restarting (on_kill=restart)", g->name);
        guest_restart_later(g);
    }
}

/* Memory goes back only once nothing can touch it any more: the caller is
 * the scheduler, outside any of the guest's exits. */
void guest_release(struct guest *g)
{
    if (g->released)
        return;
    quiesce(g);
    frames_free((uint32_t)g->mem.base, g->pfn_limit);
    frame_free(g->regs_phys);
    g->mem = (struct gmem){ 0, 0, 0, 0 };
    g->ld = 0;
    g->released = true;
}
