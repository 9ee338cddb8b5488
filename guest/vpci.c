/* virtio-pci (virtio 1.0), driver side, the way a Linux 4.x lguest guest
 * finds and drives its devices (drivers/virtio/virtio_pci_modern.c over
 * the PCI core): scan bus 0 through 0xCF8/0xCFC, skip the host bridge,
 * take each 0x1AF4:0x1040+type function, size BAR0, walk the vendor
 * capabilities for the common, notify, ISR and device configuration
 * windows, and from then on reach every register by MMIO in BAR0 (which
 * the host emulates instruction by instruction: guest/mmio.h).
 * Negotiation is virtio 1.0's: ACKNOWLEDGE, DRIVER, both feature words
 * with VERSION_1, FEATURES_OK read back, queues through the common
 * configuration, DRIVER_OK; a kick is a 16-bit write of the queue index
 * to the notify window. Same calls as the lguest bus (vbus.c), so the
 * console, block and net drivers run unchanged on either. */
#ifdef LG_GEN4
#include <stdio.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/mmio.h"
#include "guest/pci.h"
#include "guest/test.h"
#include "guest/virtio.h"

#define VIRTIO_VENDOR   0x1AF4
#define VIRTIO_PCI_BASE 0x1040
#define PCI_SLOTS       32
#define BAR_KMAP_FIRST  940             /* KMAP slots for BAR0 pages, below dev_map's */
#define BAR_KMAP_SLOTS  (DEV_KMAP_FIRST - BAR_KMAP_FIRST)
#define FEATURES_RING   ((1u << VIRTIO_F_INDIRECT) | (1u << VIRTIO_F_EVENT_IDX))
#define F_VERSION_1_HI  1u              /* bit 32 */
#define S_FEATURES_OK   0x08

/* struct virtio_pci_common_cfg (virtio 1.0 4.1.4.3) */
#define C_DFSELECT  0x00
#define C_DF        0x04
#define C_GFSELECT  0x08
#define C_GF        0x0C
#define C_NUMQ      0x12
#define C_STATUS    0x14
#define C_CFGGEN    0x15
#define C_QSELECT   0x16
#define C_QSIZE     0x18
#define C_QENABLE   0x1C
#define C_QNOTIFY   0x1E
#define C_QDESC     0x20
#define C_QAVAIL    0x28
#define C_QUSED     0x30

enum { CAP_COMMON = 1, CAP_NOTIFY, CAP_ISR, CAP_DEVICE, CAP_PCI };

unsigned vpci_bar_kmaps;                /* BAR pages mapped so far */
static u16 queue_notify_off[VDEV_MAX][VQ_MAX];

static volatile u8 *common(struct vdev *d, unsigned off) { return d->common + off; }

/* BAR0 is one page here (the host's); more would take more slots. */
static volatile u8 *bar_map(u32 pa, u32 size)
{
    if (size != PAGE_SIZE || vpci_bar_kmaps >= BAR_KMAP_SLOTS)
        return 0;
    return (volatile u8 *)kmap(BAR_KMAP_FIRST + vpci_bar_kmaps++, pa, PTE_W);
}

/* The PCI core's BAR sizing: all ones, read back, restore. */
static u32 bar_size(unsigned slot, u32 *base)
{
    u32 flags = irq_save();
    u32 was = pci_read(slot, 0x10, 4);
    pci_write(slot, 0x10, 4, 0xFFFFFFFFu);
    u32 mask = pci_read(slot, 0x10, 4);
    pci_write(slot, 0x10, 4, was);
    irq_restore(flags);
    *base = was & ~0xFu;
    return (was & 1) || !(mask & ~0xFu) ? 0 : ~(mask & ~0xFu) + 1;
}

static int probe(unsigned slot, struct vdev *d)
{
    u32 base, size = bar_size(slot, &base);
    if (!size) {
        printf("virtio-pci: 00:%02x.0 has no memory BAR0\n", slot);
        return -1;
    }
    pci_write(slot, 0x04, 2, pci_read(slot, 0x04, 2) | 0x6);   /* memory space, bus master */
    volatile u8 *bar = bar_map(base, size);
    if (!bar) {
        printf("virtio-pci: 00:%02x.0: BAR0 of %u bytes at 0x%x not mappable\n", slot, (unsigned)size,
               (unsigned)base);
        return -1;
    }
    u32 off[6] = { 0 }, len[6] = { 0 };
    int seen[6] = { 0 };
    unsigned n = 0;
    for (unsigned at = pci_read(slot, 0x34, 1); at >= 0x40 && n < 48; at = pci_read(slot, at + 1, 1), n++) {
        if (pci_read(slot, at, 1) != 0x09)
            continue;
        unsigned type = pci_read(slot, at + 3, 1);
        if (type < CAP_COMMON || type > CAP_PCI || seen[type] || pci_read(slot, at + 4, 1) != 0)
            continue;                   /* the first of each kind in BAR0, as Linux */
        seen[type] = 1;
        off[type] = pci_read(slot, at + 8, 4);
        len[type] = pci_read(slot, at + 12, 4);
        if (type == CAP_NOTIFY)
            d->notify_mult = pci_read(slot, at + 16, 4);
    }
    for (unsigned t = CAP_COMMON; t <= CAP_ISR; t++)
        if (!seen[t] || off[t] >= size || len[t] > size - off[t]) {
            printf("virtio-pci: 00:%02x.0: capability %u missing or outside BAR0\n", slot, t);
            return -1;
        }
    d->slot = (u8)slot;
    d->irq = (u8)pci_read(slot, 0x3C, 1);
    d->desc_gpa = base;
    d->common = bar + off[CAP_COMMON];
    d->notify = bar + off[CAP_NOTIFY];
    d->isr = bar + off[CAP_ISR];
    d->devcfg = seen[CAP_DEVICE] ? bar + off[CAP_DEVICE] : 0;
    d->config_len = seen[CAP_DEVICE] ? (u8)(len[CAP_DEVICE] > 255 ? 255 : len[CAP_DEVICE]) : 0;
    d->num_vq = (u8)mmio_read16(common(d, C_NUMQ));
    d->feature_len = 8;
    return 0;
}

int vbus_scan(void)
{
    char v[16];
    vbus_feature_mask = boot_option("virtio", v, sizeof v) && strcmp(v, "plain") == 0 ? FEATURES_RING : 0;
    vbus_page_gpa = 0;
    vbus_count = 0;
    vpci_bar_kmaps = 0;
    u32 bridge = pci_read(0, 0, 4);
    printf("virtio-pci: 00:00.0 %04x:%04x class %06x\n", (unsigned)(bridge & 0xFFFF), (unsigned)(bridge >> 16),
           (unsigned)(pci_read(0, 8, 4) >> 8));
    for (unsigned slot = 1; slot < PCI_SLOTS && vbus_count < VDEV_MAX; slot++) {
        u32 id = pci_read(slot, 0, 4);
        if ((id & 0xFFFF) == 0xFFFF)
            continue;
        unsigned dev_id = id >> 16;
        if ((id & 0xFFFF) != VIRTIO_VENDOR || dev_id < VIRTIO_PCI_BASE + 1 || dev_id > VIRTIO_PCI_BASE + 0x3F) {
            printf("virtio-pci: 00:%02x.0 %04x:%04x is not a virtio 1.0 device\n", slot, (unsigned)(id & 0xFFFF),
                   dev_id);
            continue;
        }
        struct vdev *d = &vbus_devs[vbus_count];
        memset(d, 0, sizeof *d);
        d->type = (u8)(dev_id - VIRTIO_PCI_BASE);
        for (unsigned i = 0; i < VQ_MAX; i++)
            d->vqs[i].dev = d;
        if (probe(slot, d) != 0)
            continue;
        printf("virtio-pci: 00:%02x.0 %s: BAR0 0x%x irq %u, %u queue(s) [", slot, vdev_type_name(d->type),
               (unsigned)d->desc_gpa, d->irq, d->num_vq);
        for (unsigned i = 0; i < d->num_vq && i < VQ_MAX; i++)
            printf("%s%u", i ? " " : "", vpci_queue_size(d, i));
        printf("], features 0x%x, config %u bytes\n", (unsigned)vdev_offered(d), d->config_len);
        vdev_reset(d);
        vdev_set_status(d, VIRTIO_S_ACK, 0);
        vbus_count++;
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
    mmio_write32(common(d, C_DFSELECT), 0);
    return mmio_read32(common(d, C_DF));
}

static u32 offered_hi(struct vdev *d)
{
    mmio_write32(common(d, C_DFSELECT), 1);
    return mmio_read32(common(d, C_DF));
}

void vdev_set_status(struct vdev *d, u8 status, int notify) { mmio_write8(common(d, C_STATUS), status); }

u8 vdev_status(struct vdev *d) { return mmio_read8(common(d, C_STATUS)); }

void vdev_reset(struct vdev *d)
{
    for (unsigned i = 0; i < VQ_MAX; i++)
        if (d->vqs[i].ring_gpa)
            vq_release(&d->vqs[i]);
    d->features = 0;
    vdev_set_status(d, 0, 1);
    /* virtio 1.0: the reset is done when status reads 0 again */
    for (unsigned tries = 0; vdev_status(d) != 0 && tries < 1000; tries++)
        ;
}

u32 vdev_negotiate(struct vdev *d, u32 wanted)
{
    vdev_set_status(d, VIRTIO_S_ACK | VIRTIO_S_DRIVER, 0);
    u32 offered = vdev_offered(d), hi = offered_hi(d);
    u32 accepted = ((offered & wanted) | (offered & FEATURES_RING)) & ~vbus_feature_mask;
    if (!(hi & F_VERSION_1_HI)) {
        printf("virtio-pci %s: device does not offer VERSION_1\n", vdev_type_name(d->type));
        vdev_set_status(d, vdev_status(d) | VIRTIO_S_FAILED, 0);
        return 0;
    }
    mmio_write32(common(d, C_GFSELECT), 0);
    mmio_write32(common(d, C_GF), accepted);
    mmio_write32(common(d, C_GFSELECT), 1);
    mmio_write32(common(d, C_GF), F_VERSION_1_HI);
    vdev_set_status(d, vdev_status(d) | S_FEATURES_OK, 0);
    if (!(vdev_status(d) & S_FEATURES_OK)) {
        printf("virtio-pci %s: FEATURES_OK not kept: features refused\n", vdev_type_name(d->type));
        vdev_set_status(d, vdev_status(d) | VIRTIO_S_FAILED, 0);
        return 0;
    }
    d->features = accepted;
    return accepted;
}

void vdev_driver_ok(struct vdev *d) { vdev_set_status(d, vdev_status(d) | VIRTIO_S_DRIVER_OK, 0); }

/* Field by field at its own width, as Linux's virtio_cread does, and again
 * if config_generation moved meanwhile. */
static void config_copy(struct vdev *d, unsigned off, u8 *buf, unsigned len, int write)
{
    if (!d->devcfg || off + len > d->config_len)
        panic("virtio-pci %s: config %s %u+%u beyond %u bytes", vdev_type_name(d->type), write ? "write" : "read",
              off, len, d->config_len);
    for (unsigned tries = 0; tries < 8; tries++) {
        u8 gen = mmio_read8(common(d, C_CFGGEN));
        for (unsigned i = 0; i < len;) {
            unsigned w = (len - i >= 4 && (off + i) % 4 == 0) ? 4 : (len - i >= 2 && (off + i) % 2 == 0) ? 2 : 1;
            volatile u8 *p = d->devcfg + off + i;
            if (write) {
                u32 v = 0;
                memcpy(&v, buf + i, w);
                if (w == 4)
                    mmio_write32(p, v);
                else if (w == 2)
                    mmio_write16(p, (u16)v);
                else
                    mmio_write8(p, (u8)v);
            } else {
                u32 v = w == 4 ? mmio_read32(p) : w == 2 ? mmio_read16(p) : mmio_read8(p);
                memcpy(buf + i, &v, w);
            }
            i += w;
        }
        if (write || mmio_read8(common(d, C_CFGGEN)) == gen)
            return;
    }
}

void vdev_config_read(struct vdev *d, unsigned off, void *buf, unsigned len) { config_copy(d, off, buf, len, 0); }

void vdev_config_write(struct vdev *d, unsigned off, const void *buf, unsigned len)
{
    config_copy(d, off, (u8 *)buf, len, 1);
}

int vdev_vq_info(struct vdev *d, unsigned i, unsigned *num, unsigned *irq, u32 *pfn)
{
    if (i >= d->num_vq)
        return 0;
    *num = vpci_queue_size(d, i);
    *irq = d->irq;
    *pfn = d->vqs[i < VQ_MAX ? i : 0].ring_gpa >> PAGE_SHIFT;   /* the driver's own ring, once set up */
    return 1;
}

unsigned vpci_queue_size(struct vdev *d, unsigned i)
{
    mmio_write16(common(d, C_QSELECT), (u16)i);
    return mmio_read16(common(d, C_QSIZE));
}

int vpci_queue_enable(struct vdev *d, unsigned i, unsigned num, u32 desc, u32 avail, u32 used)
{
    mmio_write16(common(d, C_QSELECT), (u16)i);
    if (mmio_read16(common(d, C_QENABLE)))
        return -1;                      /* Linux: "already enabled": a bug either side */
    mmio_write16(common(d, C_QSIZE), (u16)num);
    mmio_write32(common(d, C_QDESC), desc);
    mmio_write32(common(d, C_QDESC + 4), 0);
    mmio_write32(common(d, C_QAVAIL), avail);
    mmio_write32(common(d, C_QAVAIL + 4), 0);
    mmio_write32(common(d, C_QUSED), used);
    mmio_write32(common(d, C_QUSED + 4), 0);
    if (i < VQ_MAX)
        queue_notify_off[d - vbus_devs][i] = mmio_read16(common(d, C_QNOTIFY));
    mmio_write16(common(d, C_QENABLE), 1);
    return mmio_read16(common(d, C_QENABLE)) == 1 && !vdev_broken(d) ? 0 : -1;
}

void vpci_kick(struct vq *q)
{
    struct vdev *d = q->dev;
    u32 at = queue_notify_off[d - vbus_devs][q->index] * d->notify_mult;
    mmio_write16(d->notify + at, (u16)q->index);
}

unsigned vpci_isr(unsigned line)
{
    for (unsigned i = 0; i < vbus_count; i++)
        if (vbus_devs[i].irq == line)
            return mmio_read8(vbus_devs[i].isr);
    return 0;
}
#endif
