/* The lguest device bus (lguest-abi.md 8.1-8.3): descriptors packed from
 * the start of the device page right after RAM, a status byte per device
 * that the host hears about only through NOTIFY(descriptor GPA), two
 * feature bitmaps and the config space. The order of operations is Linux
 * 3.10's (lguest_device.c + virtio.c): reset with NOTIFY when the device
 * is registered, ACKNOWLEDGE, DRIVER when a driver probes, the accepted
 * bitmap + NOTIFY ("features final, start"), then the driver's rings and
 * buffers, DRIVER_OK without NOTIFY. */
#include <stdio.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/hcall.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/virtio.h"

#define DESC_HDR        5               /* type, num_vq, feature_len, config_len, status */
#define VQ_RECORD       8
#define FEATURES_3_10   ((1u << VIRTIO_F_INDIRECT) | (1u << VIRTIO_F_EVENT_IDX))

u32 vbus_feature_mask;
u32 vbus_page_gpa;
unsigned vbus_count;
struct vdev vbus_devs[VDEV_MAX];

const char *vdev_type_name(u8 type)
{
    static char other[16];
    switch (type) {
    case VIRTIO_ID_NET: return "net";
    case VIRTIO_ID_BLOCK: return "block";
    case VIRTIO_ID_CONSOLE: return "console";
    case VIRTIO_ID_RNG: return "entropy";
    }
    snprintf(other, sizeof other, "type %u", type);
    return other;
}

/* The 4.x build has no lguest bus: guest/vpci.c provides the same calls
 * over virtio-pci. */
#ifndef LG_GEN4

/* Offsets inside a descriptor (the table in lguest-abi.md 8.2). */
static unsigned host_features_off(struct vdev *d) { return DESC_HDR + VQ_RECORD * d->num_vq; }
static unsigned guest_features_off(struct vdev *d) { return host_features_off(d) + d->feature_len; }
static unsigned config_off(struct vdev *d) { return host_features_off(d) + 2u * d->feature_len; }

int vdev_vq_info(struct vdev *d, unsigned i, unsigned *num, unsigned *irq, u32 *pfn)
{
    if (i >= d->num_vq)
        return 0;
    /* Unaligned inside the page: copy it out byte by byte, as 3.10 does. */
    u8 r[VQ_RECORD];
    for (unsigned k = 0; k < VQ_RECORD; k++)
        r[k] = d->desc[DESC_HDR + VQ_RECORD * i + k];
    *num = r[0] | r[1] << 8;
    *irq = r[2] | r[3] << 8;
    *pfn = r[4] | r[5] << 8 | r[6] << 16 | (u32)r[7] << 24;
    return 1;
}

int vbus_scan(void)
{
    char v[16];
    vbus_feature_mask = boot_option("virtio", v, sizeof v) && strcmp(v, "plain") == 0 ? FEATURES_3_10 : 0;
    vbus_page_gpa = ram_bytes;
    volatile u8 *page = dev_map(vbus_page_gpa, PAGE_SIZE);
    if (!page)
        panic("cannot map the device page at 0x%x", (unsigned)vbus_page_gpa);

    vbus_count = 0;
    unsigned off = 0;
    while (off + DESC_HDR <= PAGE_SIZE && page[off] != 0) {
        struct vdev *d = &vbus_devs[vbus_count];
        memset(d, 0, sizeof *d);
        d->type = page[off];
        d->num_vq = page[off + 1];
        d->feature_len = page[off + 2];
        d->config_len = page[off + 3];
        d->desc_gpa = vbus_page_gpa + off;
        d->desc = page + off;
        unsigned size = config_off(d) + d->config_len;
        if (off + size > PAGE_SIZE) {
            printf("virtio: descriptor at offset %u (%u bytes) runs off the device page; scan stops\n", off,
                   size);
            break;
        }
        for (unsigned i = 0; i < VQ_MAX; i++)
            d->vqs[i].dev = d;
        printf("virtio: %s at 0x%x: %u queue(s)", vdev_type_name(d->type), (unsigned)d->desc_gpa, d->num_vq);
        for (unsigned i = 0; i < d->num_vq; i++) {
            unsigned num, irq;
            u32 pfn;
            vdev_vq_info(d, i, &num, &irq, &pfn);
            printf(" [num %u irq %u ring 0x%x]", num, irq, (unsigned)(pfn << PAGE_SHIFT));
        }
        printf(", features 0x%x, config %u bytes\n", (unsigned)vdev_offered(d), d->config_len);
        /* Registration: reset, then ACKNOWLEDGE (no NOTIFY). */
        vdev_reset(d);
        vdev_set_status(d, VIRTIO_S_ACK, 0);
        off += size;
        if (++vbus_count == VDEV_MAX) {
            if (off + DESC_HDR <= PAGE_SIZE && page[off] != 0)
                printf("virtio: more than %u devices, the rest ignored\n", VDEV_MAX);
            break;
        }
    }
    if (vbus_feature_mask)
        printf("virtio: virtio=plain: features 28/29 (INDIRECT, EVENT_IDX) refused\n");
    return (int)vbus_count;
}

struct vdev *vbus_find(u8 type, int nth)
{
    for (unsigned i = 0; i < vbus_count; i++)
        if (vbus_devs[i].type == type && nth-- == 0)
            return &vbus_devs[i];
    return 0;
}

u32 vdev_offered(struct vdev *d)
{
    /* 3.10 looks at no more than the first 32 bits. */
    u32 bits = 0;
    unsigned base = host_features_off(d);
    for (unsigned i = 0; i < d->feature_len && i < 4; i++)
        bits |= (u32)d->desc[base + i] << (8 * i);
    return bits;
}

void vdev_set_status(struct vdev *d, u8 status, int notify)
{
    d->desc[4] = status;
    barrier();
    /* 2.6.32 notifies every status write, and nothing else */
    if (LG_GEN == 2632 ? notify != NOTIFY_FEATURES : notify)
        hcall(LHCALL_NOTIFY, d->desc_gpa, 0, 0);
}

u8 vdev_status(struct vdev *d) { return d->desc[4]; }

void vdev_reset(struct vdev *d)
{
    for (unsigned i = 0; i < VQ_MAX; i++)
        if (d->vqs[i].ring_gpa)
            vq_release(&d->vqs[i]);
    d->features = 0;
    vdev_set_status(d, 0, 1);
}

u32 vdev_negotiate(struct vdev *d, u32 wanted)
{
    vdev_set_status(d, VIRTIO_S_ACK | VIRTIO_S_DRIVER, 0);
    u32 offered = vdev_offered(d);
    u32 accepted = ((offered & wanted) | (offered & FEATURES_3_10)) & ~vbus_feature_mask;
    /* Clear the whole accepted bitmap, then set what fits (3.10). */
    unsigned base = guest_features_off(d);
    for (unsigned i = 0; i < d->feature_len; i++)
        d->desc[base + i] = i < 4 ? (u8)(accepted >> (8 * i)) : 0;
    if (d->feature_len < 4)
        accepted &= d->feature_len ? (1u << (8 * d->feature_len)) - 1 : 0;
    d->features = accepted;
    vdev_set_status(d, vdev_status(d), NOTIFY_FEATURES);
    return accepted;
}

void vdev_driver_ok(struct vdev *d) { vdev_set_status(d, vdev_status(d) | VIRTIO_S_DRIVER_OK, 0); }

void vdev_config_read(struct vdev *d, unsigned off, void *buf, unsigned len)
{
    /* 3.10 BUGs on a field beyond config_len: a driver bug, so stop. */
    if (off + len > d->config_len)
        panic("virtio %s: config read %u+%u beyond %u bytes", vdev_type_name(d->type), off, len, d->config_len);
    for (unsigned i = 0; i < len; i++)
        ((u8 *)buf)[i] = d->desc[config_off(d) + off + i];
}

void vdev_config_write(struct vdev *d, unsigned off, const void *buf, unsigned len)
{
    if (off + len > d->config_len)
        panic("virtio %s: config write %u+%u beyond %u bytes", vdev_type_name(d->type), off, len, d->config_len);
    for (unsigned i = 0; i < len; i++)
        d->desc[config_off(d) + off + i] = ((const u8 *)buf)[i];
}

#endif /* !LG_GEN4 */
