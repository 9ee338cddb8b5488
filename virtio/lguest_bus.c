/* The lguest device bus (lguest-abi.md 8): one page of device descriptors
 * right after a guest's RAM, the rings after it, and LHCALL_NOTIFY on
 * those addresses for status changes and kicks. The guest may scribble
 * on the whole page; we keep our own copy of everything that matters
 * (types, queue addresses, IRQs) and read only the status byte and the
 * accepted features from it. */
#include <stdio.h>
#include <string.h>
#include "virtio/device.h"
#include "virtio/net.h"
#include "virtio/net_offload.h"
#include "kernel/options.h"
#include "kernel/lguest/guest.h"
#include "kernel/log.h"
#include "drivers/ramdisk.h"
#include "drivers/disk_part.h"

#define PAGE 4096u

struct layout {
    uint8_t type, nvq, config_len;
    uint32_t offered;
    const struct vdev_ops *ops;
};

static uint32_t desc_size(const struct vdevice *d)
{
    return 5 + 8 * d->nvq + 2 * 4 + d->config_len;
}

/* The page is inside guest memory by construction (pfn_limit leaves room
 * for it), so this never fails; it goes through gmem all the same. */
static uint8_t *page(struct guest *g)
{
    return gmem_ptr(&g->mem, g->bus.page_gpa, PAGE);
}

static uint8_t *status_byte(struct guest *g, struct vdevice *d)
{
    return page(g) + d->desc_off + 4;
}

/* The guest's accepted-feature bitmap: after the host's. */
static uint8_t *accepted(struct guest *g, struct vdevice *d)
{
    return page(g) + d->desc_off + 5 + 8 * d->nvq + 4;
}

static uint8_t *config(struct guest *g, struct vdevice *d)
{
    return page(g) + d->desc_off + 5 + 8 * d->nvq + 2 * 4;
}

static void put_le(uint8_t *p, uint32_t v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Device-specific config space: written at build and again on reset,
 * since the guest may write it. */
void vdev_config_bytes(struct guest *g, const struct vdevice *d, uint8_t *c, uint32_t len)
{
    memset(c, 0, len);
    if (d->type == VIRTIO_ID_NET) {
        memcpy(c, g->mac, 6);
        put_le(c + 6, vnet_link_up() ? 1 : 0, 2);   /* VIRTIO_NET_S_LINK_UP: the uplink's */
    } else if (d->type == VIRTIO_ID_BLOCK) {
        uint64_t sectors = g->disk ? g->disk->size / 512 : g->part ? g->part->sectors : 0;
        put_le(c, (uint32_t)sectors, 4);
        put_le(c + 4, (uint32_t)(sectors >> 32), 4);
        put_le(c + 12, VQ_NUM - 2, 4);              /* seg_max: header and status need two */
    }
}

static void write_config(struct guest *g, struct vdevice *d)
{
    vdev_config_bytes(g, d, config(g, d), d->config_len);
}

uint32_t vbus_build(struct guest *g)
{
    static const struct layout net = {
        VIRTIO_ID_NET, 2, 8,
        (1u << 5) | (1u << 16) | (1u << VIRTIO_F_INDIRECT) | (1u << VIRTIO_F_EVENT_IDX), &vnet_ops };
    static const struct layout blk = {
        VIRTIO_ID_BLOCK, 1, 16,
        (1u << 2) | (1u << 9) | (1u << VIRTIO_F_INDIRECT) | (1u << VIRTIO_F_EVENT_IDX), &vblk_ops };
    static const struct layout cons = {
        VIRTIO_ID_CONSOLE, 2, 0, (1u << VIRTIO_F_INDIRECT) | (1u << VIRTIO_F_EVENT_IDX), &vcons_ops };
    static const struct layout rng = { VIRTIO_ID_RNG, 1, 0, (1u << VIRTIO_F_INDIRECT) | (1u << VIRTIO_F_EVENT_IDX),
                                       &vrng_ops };
    const struct layout *want[4];
    uint32_t n = 0;
    /* the reference Launcher's order: network, block, then the console;
     * entropy (only with rng=on) after it, so the others keep their IRQs */
    if (g->cfg->net)
        want[n++] = &net;
    if (g->disk || g->part)
        want[n++] = &blk;
    want[n++] = &cons;
    if (g->cfg->rng)
        want[n++] = &rng;

    struct vbus *bus = &g->bus;
    memset(bus, 0, sizeof(*bus));
    bus->page_gpa = g->ram_size;
    uint32_t ring_pages = (vring_size(VQ_NUM) + PAGE - 1) / PAGE;
    uint32_t next_ring = bus->page_gpa + PAGE, off = 0, irq = 1;
    uint8_t *p = page(g);
    for (uint32_t i = 0; i < n; i++) {
        struct vdevice *d = &bus->dev[i];
        d->type = want[i]->type;
        d->nvq = want[i]->nvq;
        d->config_len = want[i]->config_len;
        d->offered = want[i]->offered;
        if (d->type == VIRTIO_ID_NET && opt.net_offload)
            d->offered |= VNET_OFFERED_OFFLOADS;
        d->ops = want[i]->ops;
        d->desc_off = off;
        uint8_t *desc = p + off;
        desc[0] = d->type;
        desc[1] = d->nvq;
        desc[2] = 4;                                /* feature bytes per bitmap */
        desc[3] = d->config_len;
        for (uint32_t q = 0; q < d->nvq; q++) {
            d->vq[q].gpa = next_ring;
            d->vq[q].irq = irq++;
            put_le(desc + 5 + 8 * q, VQ_NUM, 2);
            put_le(desc + 5 + 8 * q + 2, d->vq[q].irq, 2);
            put_le(desc + 5 + 8 * q + 4, next_ring / PAGE, 4);
            next_ring += ring_pages * PAGE;
        }
        put_le(desc + 5 + 8 * d->nvq, d->offered, 4);
        write_config(g, d);
        off += desc_size(d);
    }
    bus->ndev = n;
    return (next_ring - bus->page_gpa) / PAGE;
}

static void reset(struct guest *g, struct vdevice *d)
{
    if (d->started && d->ops->reset)
        d->ops->reset(g, d);
    d->started = d->broken = false;
    d->features = 0;
    /* the guest reuses its rings without clearing them and expects both
     * indexes to start from 0 again */
    for (uint32_t q = 0; q < d->nvq; q++) {
        memset(gmem_ptr(&g->mem, d->vq[q].gpa, vring_size(VQ_NUM)), 0, vring_size(VQ_NUM));
        memset(&d->vq[q].ring, 0, sizeof(d->vq[q].ring));
    }
    memset(accepted(g, d), 0, 4);
    write_config(g, d);
}

void vbus_config_changed(struct guest *g, uint8_t type)
{
    for (uint32_t i = 0; i < g->bus.ndev; i++)
        if (g->bus.dev[i].type == type)
            write_config(g, &g->bus.dev[i]);
}

void vbus_teardown(struct guest *g)
{
    for (uint32_t i = 0; i < g->bus.ndev; i++) {
        struct vdevice *d = &g->bus.dev[i];
        if (d->started && d->ops->reset)
            d->ops->reset(g, d);
        d->started = false;
    }
}

void vdev_broken(struct guest *g, struct vdevice *d, const char *why)
{
    if (d->broken)
        return;
    log_err("guest %s: virtio %s: %s; device stopped until reset", g->name, d->ops->name, why);
    d->broken = true;
    if (d->modern.on) {             /* virtio 1.0 DEVICE_NEEDS_RESET, with a config interrupt */
        d->modern.status |= VIRTIO_S_BROKEN;
        d->modern.isr |= 2;
        guest_raise_irq(g, d->modern.irq);
    } else {
        *status_byte(g, d) |= VIRTIO_S_BROKEN;
    }
}

static void start(struct guest *g, struct vdevice *d)
{
    uint32_t features = 0;
    memcpy(&features, accepted(g, d), 4);
    if (features & ~d->offered) {
        char why[64];
        snprintf(why, sizeof(why), "accepted features 0x%08lx that were not offered",
                 (unsigned long)features);
        vdev_broken(g, d, why);
        return;
    }
    d->features = features;
    for (uint32_t q = 0; q < d->nvq; q++)
        vring_init(&d->vq[q].ring, d->vq[q].gpa, VQ_NUM, features >> VIRTIO_F_INDIRECT & 1,
                   features >> VIRTIO_F_EVENT_IDX & 1);
    d->started = true;
    if (d->ops->start)
        d->ops->start(g, d);
}

static void status_changed(struct guest *g, struct vdevice *d)
{
    uint8_t status = *status_byte(g, d);
    if (status == 0)
        reset(g, d);
    else if (status & VIRTIO_S_FAILED) {
        if (d->started && d->ops->reset)
            d->ops->reset(g, d);
        d->started = false;
    } else if (!d->started && !d->broken && (g->gen != GEN_2632 || status & VIRTIO_S_DRIVER_OK))
        start(g, d);
    /* a second "features final" without a reset changes nothing; a 2.6.32
     * guest notifies every status write, so its ACKNOWLEDGE and DRIVER come
     * before it has written the features it accepts: it starts at
     * DRIVER_OK, or at its first kick (probing happens before DRIVER_OK) */
}

bool vbus_notify(struct guest *g, uint32_t gpa)
{
    struct vbus *bus = &g->bus;
    for (uint32_t i = 0; i < bus->ndev; i++) {
        struct vdevice *d = &bus->dev[i];
        if (gpa == bus->page_gpa + d->desc_off) {
            status_changed(g, d);
            return true;
        }
        for (uint32_t q = 0; q < d->nvq; q++) {
            if (gpa != d->vq[q].gpa)
                continue;
            if (d->broken)
                return true;
            if (!d->started && g->gen == GEN_2632)
                start(g, d);
            if (!d->started)
                vdev_broken(g, d, "queue kicked before the device was started");
            else if (!d->broken)
                d->ops->kick(g, d, q);
            return true;
        }
    }
    return false;
}

struct vdevice *vbus_active(struct guest *g, uint8_t type)
{
    for (uint32_t i = 0; i < g->bus.ndev; i++) {
        struct vdevice *d = &g->bus.dev[i];
        if (d->type == type)
            return d->started && !d->broken ? d : 0;
    }
    return 0;
}

int vdev_pop(struct guest *g, struct vdevice *d, uint32_t queue, struct vring_req *r)
{
    if (d->broken || !d->started)
        return 0;
    char err[VRING_ERR_MAX];
    int got = vring_pop(&g->mem, &d->vq[queue].ring, r, err);
    if (got < 0) {
        char why[VRING_ERR_MAX + 16];
        snprintf(why, sizeof(why), "queue %lu: %s", (unsigned long)queue, err);
        vdev_broken(g, d, why);
    }
    return got;
}

void vdev_push(struct guest *g, struct vdevice *d, uint32_t queue, uint16_t head, uint32_t len)
{
    vring_push(&g->mem, &d->vq[queue].ring, head, len);
}

void vdev_signal(struct guest *g, struct vdevice *d, uint32_t queue)
{
    if (vring_should_interrupt(&g->mem, &d->vq[queue].ring)) {
        d->modern.isr |= 1;         /* virtio-pci's ISR: read by the driver, cleared by the read */
        guest_raise_irq(g, d->vq[queue].irq);
    }
}

bool vdev_has_avail(struct guest *g, struct vdevice *d, uint32_t queue)
{
    return d->started && !d->broken && vring_has_avail(&g->mem, &d->vq[queue].ring);
}
