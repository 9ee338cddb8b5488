/* The lguest device bus and legacy virtqueues, driver side (lguest-abi.md
 * 8 and 9), the way a Linux 3.10 guest drives them: scan the device page
 * after RAM, reset each device with a status NOTIFY, negotiate features
 * ((offered & wanted) | offered bits 28/29), set up rings at the pfn the
 * host published, kick with NOTIFY(ring GPA), take used entries on the
 * queue's interrupt. */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H
#include "guest/layout.h"

#define VIRTIO_ID_NET      1
#define VIRTIO_ID_BLOCK    2
#define VIRTIO_ID_CONSOLE  3
#define VIRTIO_ID_RNG      4

#define VIRTIO_S_ACK       1
#define VIRTIO_S_DRIVER    2
#define VIRTIO_S_DRIVER_OK 4
#define VIRTIO_S_BROKEN    0x40     /* lgvisor: the host stopped the device (bad vring) */
#define VIRTIO_S_FAILED    0x80
#define VIRTIO_S_FEATURES_OK 0x08   /* virtio 1.0 only */
/* A driven device's status: virtio 1.0 keeps FEATURES_OK set. */
#ifdef LG_GEN4
#define VIRTIO_S_LIVE (VIRTIO_S_ACK | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK | VIRTIO_S_DRIVER_OK)
#else
#define VIRTIO_S_LIVE (VIRTIO_S_ACK | VIRTIO_S_DRIVER | VIRTIO_S_DRIVER_OK)
#endif

#define VIRTIO_F_INDIRECT  28
#define VIRTIO_F_EVENT_IDX 29

#define VDEV_MAX 8
#define VQ_MAX   4

/* The legacy ring (lguest-abi.md 9.1), as it lies in guest memory. */
#define VRING_DESC_F_NEXT       1
#define VRING_DESC_F_WRITE      2
#define VRING_DESC_F_INDIRECT   4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY  1
#define VRING_ALIGN             4096
#define VQ_NUM_MAX              256     /* token[] and the indirect tables are sized for it */

struct vring_desc {
    u64 addr;
    u32 len;
    u16 flags, next;
};

struct vring_avail {
    u16 flags, idx;
    u16 ring[];                     /* num entries, then used_event */
};

struct vring_used_elem {
    u32 id, len;
};

struct vring_used {
    u16 flags, idx;
    struct vring_used_elem ring[];  /* num entries, then avail_event */
};

_Static_assert(sizeof(struct vring_desc) == 16, "vring_desc");
_Static_assert(sizeof(struct vring_used_elem) == 8, "vring_used_elem");

/* Bytes of a ring of num entries: used ring at the next 4096 boundary. */
static inline u32 vring_used_offset(unsigned num) { return (16 * num + 6 + 2 * num + VRING_ALIGN - 1) & ~(VRING_ALIGN - 1u); }
static inline u32 vring_bytes(unsigned num) { return vring_used_offset(num) + 6 + 8 * num; }

struct vq;
typedef void (*vq_callback)(struct vq *q);

/* One virtqueue as the driver sees it. */
struct vq {
    struct vdev *dev;
    unsigned index, num, irq;
    u32 ring_gpa;                   /* pfn * 4096: also the kick value */
    volatile struct vring_desc *desc;
    volatile struct vring_avail *avail;
    volatile struct vring_used *used;
    u16 free_head, num_free, last_used;
    u16 avail_shadow;               /* our copy of avail.idx */
    void *token[256];
    vq_callback callback;           /* runs in interrupt context */
    int indirect, event_idx;        /* negotiated */
    /* additions */
    u16 num_added;                  /* added since the last kick (for the event index rule) */
    int broken;                     /* the used ring named a buffer we never gave */
    u32 indirect_pa[VQ_NUM_MAX];    /* one table page per head, made on first use, kept */
    volatile u16 *used_event, *avail_event;
    u32 kicks;                      /* notifications sent (vq_kick decided one was wanted) */
};

/* One device descriptor on the bus; in the 4.x build one virtio-pci
 * function (desc_gpa is then its BAR0, desc unused). */
struct vdev {
    u8 type, num_vq, feature_len, config_len;
    u32 desc_gpa;                   /* NOTIFY value for status changes */
    volatile u8 *desc;              /* the descriptor in the mapped device page */
    u32 features;                   /* accepted (first 32 bits) */
    struct vq vqs[VQ_MAX];
    /* virtio-pci (LG_GEN4): where the capabilities put the registers */
    u8 slot, irq;
    volatile u8 *common, *notify, *isr, *devcfg;
    u32 notify_mult;
};

/* A segment of a buffer: guest-physical address, length, and whether the
 * device writes it (1) or reads it (0). */
struct vseg {
    u32 pa, len;
    int write;
};

/* Maps the device page, lists the devices (logs one line each), resets
 * every one of them (status 0 + NOTIFY). Returns the number found. */
int vbus_scan(void);
/* The nth device of a type (0 = first), or 0. */
struct vdev *vbus_find(u8 type, int nth);

u32 vdev_offered(struct vdev *d);               /* host feature bits 0..31 */
/* Sets the status byte; with notify, tells the host (LHCALL_NOTIFY).
 * NOTIFY_FEATURES is 3.10's "features final" notification, which the
 * 2.6.32-era build (LG_GEN2632) never sends: it notifies every status
 * write instead. */
#define NOTIFY_FEATURES 2
#ifdef LG_GEN2632
#define LG_GEN 2632
#elif defined(LG_GEN4)
#define LG_GEN 4
#else
#define LG_GEN 310
#endif
void vdev_set_status(struct vdev *d, u8 status, int notify);
u8 vdev_status(struct vdev *d);
void vdev_reset(struct vdev *d);                /* status 0 + NOTIFY */
/* ACK|DRIVER, accepted = (offered & wanted) | (offered & (bits 28,29)),
 * NOTIFY ("features final"), as 3.10 does. Returns the accepted bits. */
u32 vdev_negotiate(struct vdev *d, u32 wanted);
void vdev_config_read(struct vdev *d, unsigned off, void *buf, unsigned len);

/* Maps queue i's ring, lays it out (align 4096), routes its IRQ to cb and
 * unblocks the line. 0 on success. */
int vq_setup(struct vdev *d, unsigned i, vq_callback cb);
/* Adds a buffer of nout device-readable then nin device-writable segments
 * (an indirect table when negotiated and nout + nin > 1). 0, or -1 when
 * the ring has no room. Does not kick. */
int vq_add(struct vq *q, const struct vseg *segs, unsigned nout, unsigned nin, void *token);
/* NOTIFY(ring GPA) unless the host asked not to be kicked (NO_NOTIFY, or
 * the event index rule when EVENT_IDX was negotiated). */
void vq_kick(struct vq *q);
/* The next used buffer's token (and the bytes the device wrote), or 0. */
void *vq_get_used(struct vq *q, u32 *len);
/* Interrupt suppression: NO_INTERRUPT flag and used_event, as 3.10 sets
 * them. vq_enable_cb returns 0 if used entries arrived meanwhile. */
void vq_disable_cb(struct vq *q);
int vq_enable_cb(struct vq *q);

/* ---- additions ---- */

/* Feature bits no driver may accept: bits 28/29 with `virtio=plain` on
 * the command line (so the chain-only, interrupt-every-time paths are
 * exercised), else 0. Set by vbus_scan. */
extern u32 vbus_feature_mask;
extern u32 vbus_page_gpa;                       /* the device page (= RAM size) */
extern unsigned vbus_count;
extern struct vdev vbus_devs[VDEV_MAX];
extern volatile u32 virtio_irqs;                /* queue interrupts handled */

const char *vdev_type_name(u8 type);            /* "net", "block", "console", "type N" */
/* status |= DRIVER_OK, without NOTIFY (3.10 never signals it). */
void vdev_driver_ok(struct vdev *d);
/* The host stopped the device for a bad ring (status bit 0x40). */
static inline int vdev_broken(struct vdev *d) { return (vdev_status(d) & VIRTIO_S_BROKEN) != 0; }
/* Queue i's record from the descriptor: 0 if i >= num_vq. */
int vdev_vq_info(struct vdev *d, unsigned i, unsigned *num, unsigned *irq, u32 *pfn);
/* Writes config bytes (3.10 allows it; the host is not told). */
void vdev_config_write(struct vdev *d, unsigned off, const void *buf, unsigned len);

/* The IRQ line's queue callbacks (from trap_dispatch, interrupts off).
 * On the lguest bus a line belongs to one queue; a virtio-pci function's
 * queues share its line, and the ISR read acknowledges it. */
void vq_interrupt(unsigned line);

/* The virtio-pci transport's part of a queue (vpci.c, LG_GEN4): its size
 * (0: none), and telling the device where the driver put the rings (0, or
 * -1 when the device refused them). */
unsigned vpci_queue_size(struct vdev *d, unsigned i);
int vpci_queue_enable(struct vdev *d, unsigned i, unsigned num, u32 desc, u32 avail, u32 used);
void vpci_kick(struct vq *q);
/* Reads (and so clears) the ISR of the device on line: its bits. */
unsigned vpci_isr(unsigned line);
/* Used entries not yet taken. */
int vq_more_used(struct vq *q);
/* The IRQ line stops reaching the queue (blocked, callback forgotten). */
void vq_release(struct vq *q);

#endif
