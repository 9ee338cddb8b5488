/* virtio-pci for 4.x lguest guests (see vpci.h). The devices are the lguest
 * bus's (same backends, same queues); only how the driver reaches them
 * differs: configuration space (pci_cfg.c) and the BAR0 registers here.
 * Every register access is checked for offset and width; a wrong one gets
 * a log line and reads 0 / is dropped (the guest goes on), a queue the
 * driver sets up badly breaks that device (DEVICE_NEEDS_RESET), as a bad
 * ring does on the lguest bus. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "virtio/vpci.h"
#include "kernel/lguest/guest.h"
#include "kernel/log.h"

#define S_ACK         0x01
#define S_DRIVER      0x02
#define S_DRIVER_OK   0x04
#define S_FEATURES_OK 0x08
#define NO_VECTOR     0xFFFF
#define F_EMERG_WRITE 2         /* console: emerg_wr in its config */
#define CONSOLE_CFG   12        /* cols, rows, max_nr_ports, emerg_wr */
#define EMERG_WR      8
#define BAR_WINDOW_END 0xF0000000u

static void complain(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void complain(struct guest *g, const char *fmt, ...)
{
    if (g->pci.complaints++ >= VPCI_COMPLAINTS)
        return;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_warn("guest %s: virtio-pci: %s%s", g->name, msg,
             g->pci.complaints == VPCI_COMPLAINTS ? " (further bad accesses not logged)" : "");
}

static struct vdevice *dev_of(struct guest *g, uint32_t slot)
{
    return &g->bus.dev[g->pci.dev_of_slot[slot]];
}

static bool bar_access(struct guest *g, uint32_t slot, bool write, uint32_t off, uint32_t len, uint32_t *val);

static bool window(void *ctx, uint32_t slot, bool write, uint32_t off, uint32_t len, uint32_t *val)
{
    return bar_access(ctx, slot, write, off, len, val);
}

static uint32_t class_of(uint8_t type)
{
    switch (type) {
    case VIRTIO_ID_CONSOLE: return 0x070000;    /* communication */
    case VIRTIO_ID_BLOCK: return 0x018000;      /* other mass storage */
    case VIRTIO_ID_NET: return 0x020000;        /* Ethernet */
    default: return 0xFF0000;                   /* entropy: unassigned class, as QEMU's */
    }
}

/* Device configuration as virtio 1.0 drivers read it: the lguest bus's
 * bytes, and for the console the 12-byte layout with emerg_wr. */
static void modern_config(struct guest *g, struct vdevice *d)
{
    struct vdev_modern *m = &d->modern;
    m->config_len = d->type == VIRTIO_ID_CONSOLE ? CONSOLE_CFG : d->config_len;
    vdev_config_bytes(g, d, m->config, m->config_len);
}

void vpci_attach(struct guest *g)
{
    struct vpci *p = &g->pci;
    memset(p, 0, sizeof(*p));
    vpci_cfg_init(&p->cfg, g->pfn_limit * 4096u, BAR_WINDOW_END, window, g);
    /* the 4.x Launcher's order: the console is always 00:01.0; entropy
     * (rng=on) last, as its --rng */
    static const uint8_t order[] = { VIRTIO_ID_CONSOLE, VIRTIO_ID_BLOCK, VIRTIO_ID_NET, VIRTIO_ID_RNG };
    uint32_t slot = 1, bar = g->ram_size + VPCI_BAR_BASE_PAGES * 4096u;
    char list[160] = "";
    for (uint32_t o = 0; o < sizeof(order); o++)
        for (uint32_t i = 0; i < g->bus.ndev && slot < VPCI_SLOTS; i++) {
            struct vdevice *d = &g->bus.dev[i];
            if (d->type != order[o])
                continue;
            struct vdev_modern *m = &d->modern;
            memset(m, 0, sizeof(*m));
            m->on = true;
            m->slot = (uint8_t)slot;
            m->irq = (uint8_t)slot;     /* one line per function, from 1 (0 is the timer) */
            m->offered_hi = 1u << (VIRTIO_F_VERSION_1 - 32);
            if (d->type == VIRTIO_ID_CONSOLE)
                d->offered |= 1u << F_EMERG_WRITE;
            for (uint32_t q = 0; q < d->nvq; q++) {
                d->vq[q].irq = m->irq;
                m->q[q].size = VQ_NUM;
            }
            modern_config(g, d);
            p->dev_of_slot[slot] = (uint8_t)i;
            vpci_cfg_add(&p->cfg, slot, d->type, class_of(d->type), m->irq, bar + (slot - 1) * VPCI_BAR_SIZE,
                         m->config_len);
            size_t n = strlen(list);
            snprintf(list + n, sizeof(list) - n, "%s00:%02lx.0 %s irq %u", n ? ", " : "", (unsigned long)slot,
                     d->ops->name, m->irq);
            slot++;
        }
    log_info("guest %s: virtio-pci (virtio 1.0): host bridge 00:00.0, %s; BAR0s from 0x%08lx", g->name, list,
             (unsigned long)bar);
}

bool vpci_port_io(struct guest *g, bool in, uint16_t port, uint32_t size, uint32_t *eax)
{
    if (port < PCI_CFG_ADDR_PORT || port > PCI_CFG_DATA_PORT + 3)
        return false;
    g->pci.cfg_accesses++;
    uint32_t v = 0;
    enum vpci_result r;
    if (in) {
        r = vpci_cfg_in(&g->pci.cfg, port, size, &v);
        uint32_t mask = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
        *eax = (*eax & ~mask) | (v & mask);
    } else {
        r = vpci_cfg_out(&g->pci.cfg, port, size, *eax);
    }
    if (r != VPCI_OK)
        complain(g, "%s of %lu byte(s) at port 0x%x, address 0x%08lx: %s", in ? "in" : "out",
                 (unsigned long)size, port, (unsigned long)g->pci.cfg.addr, vpci_result_text(r));
    return true;
}

bool vpci_is_mmio(const struct guest *g, uint32_t gpa)
{
    uint32_t off;
    return g->gen == GEN_4 && vpci_cfg_bar_at(&g->pci.cfg, gpa, &off) >= 0;
}

bool vpci_mmio(struct guest *g, uint32_t gpa, bool write, uint32_t size, uint32_t *val)
{
    uint32_t off;
    int slot = vpci_cfg_bar_at(&g->pci.cfg, gpa, &off);
    if (slot < 0)
        return false;
    g->pci.mmio_accesses++;
    if (!bar_access(g, (uint32_t)slot, write, off, size, val) && !write)
        *val = 0;
    return true;
}

/* ---- the device behind BAR0 ---- */

static void modern_reset(struct guest *g, struct vdevice *d)
{
    if (d->started && d->ops->reset)
        d->ops->reset(g, d);
    d->started = d->broken = false;
    d->features = 0;
    struct vdev_modern *m = &d->modern;
    m->status = m->isr = 0;
    m->dfselect = m->gfselect = m->qselect = 0;
    m->driver[0] = m->driver[1] = 0;
    for (uint32_t q = 0; q < d->nvq; q++) {
        m->q[q] = (struct vqueue_modern){ .size = VQ_NUM };
        memset(&d->vq[q].ring, 0, sizeof(d->vq[q].ring));
    }
    modern_config(g, d);
}

static void modern_start(struct guest *g, struct vdevice *d)
{
    if (d->started || d->broken)
        return;
    d->started = true;
    if (d->ops->start)
        d->ops->start(g, d);
}

static bool features_ok(struct guest *g, struct vdevice *d)
{
    struct vdev_modern *m = &d->modern;
    if (m->driver[0] & ~d->offered || m->driver[1] & ~m->offered_hi) {
        complain(g, "%s: driver accepted features 0x%08lx%08lx that were not offered", d->ops->name,
                 (unsigned long)m->driver[1], (unsigned long)m->driver[0]);
        return false;
    }
    if (!(m->driver[1] & m->offered_hi)) {
        complain(g, "%s: driver did not accept VERSION_1: FEATURES_OK refused", d->ops->name);
        return false;
    }
    d->features = m->driver[0];
    return true;
}

static void set_status(struct guest *g, struct vdevice *d, uint8_t v)
{
    struct vdev_modern *m = &d->modern;
    if (v == 0) {
        modern_reset(g, d);
        return;
    }
    uint8_t was = m->status;
    if ((v & S_FEATURES_OK) && !(was & S_FEATURES_OK) && !features_ok(g, d))
        v &= (uint8_t)~S_FEATURES_OK;   /* the driver reads it back and gives up */
    m->status = (uint8_t)((v & ~VIRTIO_S_BROKEN) | (d->broken ? VIRTIO_S_BROKEN : 0));
    if (v & VIRTIO_S_FAILED) {
        if (d->started && d->ops->reset)
            d->ops->reset(g, d);
        d->started = false;
    } else if ((v & S_DRIVER_OK) && (m->status & S_FEATURES_OK)) {
        modern_start(g, d);
    }
}

/* The selected queue's rings where the driver put them: each part inside
 * guest RAM, aligned as virtio 1.0 requires, with no high half. */
static void enable_queue(struct guest *g, struct vdevice *d, uint32_t q)
{
    struct vqueue_modern *mq = &d->modern.q[q];
    char why[VRING_ERR_MAX];
    uint32_t num = mq->size;
    struct { const char *what; const uint32_t *a; uint32_t align, bytes; } part[3] = {
        { "descriptor table", mq->desc, 16, vring_desc_bytes(num) },
        { "avail ring", mq->avail, 2, vring_avail_bytes(num) },
        { "used ring", mq->used, 4, vring_used_bytes(num) },
    };
    if (!(d->modern.status & S_FEATURES_OK)) {
        snprintf(why, sizeof(why), "queue %lu enabled before FEATURES_OK", (unsigned long)q);
        vdev_broken(g, d, why);
        return;
    }
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t lo = part[i].a[0], hi = part[i].a[1];
        if (hi || lo % part[i].align || part[i].bytes > g->ram_size || lo > g->ram_size - part[i].bytes) {
            snprintf(why, sizeof(why), "queue %lu: %s at 0x%08lx%08lx (%lu bytes) outside RAM or misaligned",
                     (unsigned long)q, part[i].what, (unsigned long)hi, (unsigned long)lo,
                     (unsigned long)part[i].bytes);
            vdev_broken(g, d, why);
            return;
        }
    }
    mq->enabled = true;
    vring_init_split(&d->vq[q].ring, mq->desc[0], mq->avail[0], mq->used[0], num,
                     d->features >> VIRTIO_F_INDIRECT & 1, d->features >> VIRTIO_F_EVENT_IDX & 1);
}

static void notify(struct guest *g, struct vdevice *d, uint32_t q)
{
    g->pci.notifies++;
    if (q >= d->nvq) {
        complain(g, "%s: notify of queue %lu (it has %u)", d->ops->name, (unsigned long)q, d->nvq);
        return;
    }
    if (d->broken)
        return;
    /* Linux may fill a queue and kick before DRIVER_OK (drivers that
     * probe through their queues): once the features are final and the
     * queue is live the device starts. */
    if (!d->started && (d->modern.status & S_FEATURES_OK) && d->modern.q[q].enabled)
        modern_start(g, d);
    if (!d->started)
        vdev_broken(g, d, "queue kicked before the device was started");
    else
        d->ops->kick(g, d, q);
}

/* Register widths in the common configuration (virtio 1.0 4.1.4.3). */
static uint32_t common_width(uint32_t off)
{
    if (off < 0x10)
        return 4;
    if (off < 0x14)
        return 2;                       /* msix_config, num_queues */
    if (off < 0x16)
        return 1;                       /* device_status, config_generation */
    if (off < 0x20)
        return 2;                       /* queue_select .. queue_notify_off */
    return 4;                           /* the queue addresses, in 32-bit halves */
}

static uint32_t *queue_addr(struct vqueue_modern *mq, uint32_t off)
{
    uint32_t *part = off < 0x28 ? mq->desc : off < 0x30 ? mq->avail : mq->used;
    return &part[(off & 4) ? 1 : 0];
}

static bool common_read(struct guest *g, struct vdevice *d, uint32_t off, uint32_t *val)
{
    struct vdev_modern *m = &d->modern;
    struct vqueue_modern *mq = m->qselect < d->nvq ? &m->q[m->qselect] : 0;
    switch (off) {
    case 0x00: *val = m->dfselect; return true;
    case 0x04: *val = m->dfselect == 0 ? d->offered : m->dfselect == 1 ? m->offered_hi : 0; return true;
    case 0x08: *val = m->gfselect; return true;
    case 0x0C: *val = m->gfselect < 2 ? m->driver[m->gfselect] : 0; return true;
    case 0x10: *val = NO_VECTOR; return true;
    case 0x12: *val = d->nvq; return true;
    case 0x14: *val = m->status; return true;
    case 0x15: *val = m->config_gen; return true;
    case 0x16: *val = m->qselect; return true;
    case 0x18: *val = mq ? mq->size : 0; return true;   /* 0: no such queue */
    case 0x1A: *val = NO_VECTOR; return true;
    case 0x1C: *val = mq ? mq->enabled : 0; return true;
    case 0x1E: *val = 0; return true;                   /* every queue notifies at the same place */
    default:
        *val = mq ? *queue_addr(mq, off) : 0;
        return true;
    }
}

static bool common_write(struct guest *g, struct vdevice *d, uint32_t off, uint32_t val)
{
    struct vdev_modern *m = &d->modern;
    struct vqueue_modern *mq = m->qselect < d->nvq ? &m->q[m->qselect] : 0;
    switch (off) {
    case 0x00: m->dfselect = val; return true;
    case 0x08: m->gfselect = val; return true;
    case 0x0C:
        if (m->gfselect >= 2 || (m->status & S_FEATURES_OK)) {
            complain(g, "%s: driver features written %s", d->ops->name,
                     m->gfselect >= 2 ? "with a select past 1" : "after FEATURES_OK");
            return false;
        }
        m->driver[m->gfselect] = val;
        return true;
    case 0x10: case 0x1A:
        return true;                    /* MSI-X vectors: there is no MSI-X, INTx it is */
    case 0x14: set_status(g, d, (uint8_t)val); return true;
    case 0x16: m->qselect = (uint16_t)val; return true;
    case 0x04: case 0x12: case 0x15: case 0x1E:
        complain(g, "%s: write to read-only register 0x%02lx", d->ops->name, (unsigned long)off);
        return false;
    }
    if (!mq) {
        complain(g, "%s: queue register 0x%02lx written with queue %u selected (it has %u)", d->ops->name,
                 (unsigned long)off, m->qselect, d->nvq);
        return false;
    }
    if (mq->enabled) {
        complain(g, "%s: queue %u changed while enabled", d->ops->name, m->qselect);
        return false;
    }
    if (off == 0x18) {
        if (val == 0 || val > VQ_NUM || (val & (val - 1))) {
            char why[VRING_ERR_MAX];
            snprintf(why, sizeof(why), "queue %u: size %lu (a power of two up to %u)", m->qselect,
                     (unsigned long)val, VQ_NUM);
            vdev_broken(g, d, why);
            return true;
        }
        mq->size = (uint16_t)val;
    } else if (off == 0x1C) {
        if (val != 1) {
            complain(g, "%s: queue_enable written with %lu", d->ops->name, (unsigned long)val);
            return false;
        }
        enable_queue(g, d, m->qselect);
    } else {
        *queue_addr(mq, off) = val;
    }
    return true;
}

static bool bar_access(struct guest *g, uint32_t slot, bool write, uint32_t off, uint32_t len, uint32_t *val)
{
    if (!guest_alive(g) || slot == 0 || slot >= VPCI_SLOTS)
        return false;
    struct vdevice *d = dev_of(g, slot);
    struct vdev_modern *m = &d->modern;
    const char *bad = 0;
    if (off + len <= VPCI_COMMON_OFF + VPCI_COMMON_LEN) {
        if (len != common_width(off) || off % len)
            bad = "wrong width for the common configuration register";
        else if (write)
            return common_write(g, d, off, *val);
        else
            return common_read(g, d, off, val);
    } else if (off == VPCI_NOTIFY_OFF) {
        if (len != 2)
            bad = "notify is 16 bits";
        else if (!write)
            *val = 0;
        else
            notify(g, d, *val & 0xFFFF);
    } else if (off == VPCI_ISR_OFF) {
        if (len != 1 || write)
            bad = "ISR is read as one byte";
        else {
            *val = m->isr;              /* reading it is the acknowledgement */
            m->isr = 0;
        }
    } else if (off >= VPCI_DEVCFG_OFF && off - VPCI_DEVCFG_OFF + len <= m->config_len) {
        uint32_t c = off - VPCI_DEVCFG_OFF;
        if (c % len)
            bad = "unaligned device configuration access";
        else if (write && d->type == VIRTIO_ID_CONSOLE && c == EMERG_WR && len == 4) {
            char ch = (char)*val;       /* the early console: a byte at a time */
            guest_console_write(g, &ch, 1);
        } else if (write) {
            bad = "device configuration is read-only";
        } else {
            *val = 0;
            memcpy(val, m->config + c, len);
        }
    } else {
        bad = "no register there";
    }
    if (bad) {
        complain(g, "%s: %lu-byte %s at BAR0+0x%03lx of 00:%02lx.0: %s", d->ops->name, (unsigned long)len,
                 write ? "write" : "read", (unsigned long)off, (unsigned long)slot, bad);
        return false;
    }
    return true;
}
