/* test=pci_hostile (the 4.x build): virtio-pci used wrongly in every way
 * the host must refuse without stopping us: configuration accesses at bad
 * offsets, sizes and addresses, identity registers written, BAR0 moved
 * over RAM, over another function and out of the BAR window, common
 * configuration registers at the wrong width or where there are none,
 * virtio 1.0 queue sizes and ring addresses out of range. Each refusal is
 * checked from here (what we read back, the device's status); the host's
 * log lines are checked by tests/generation_tests.py. Afterwards the same
 * block device must still do real I/O. Fatal misuse (MMIO outside the
 * BARs, an instruction the host will not decode) is in kill.c. */
#include <stdio.h>
#include <string.h>
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/vblk.h"
#include "guest/virtio.h"
#ifdef LG_GEN4
#include "guest/mmio.h"
#include "guest/pci.h"

#define ALL_ONES 0xFFFFFFFFu
#define CFG(slot, reg) (0x80000000u | (u32)(slot) << 11 | (reg))

static void config_space(struct vdev *blk, struct vdev *con)
{
    unsigned s = blk->slot;
    u32 id = pci_read(s, 0, 4), cmd = pci_read(s, 4, 2);
    /* sizes and offsets that do not fit one dword at the data port */
    u32 a = pci_read_raw(CFG(s, 0), 0xCFD, 4), b = pci_read_raw(CFG(s, 0), 0xCFF, 2);
    pci_write_raw(CFG(s, 4), 0xCFE, 4, 0);
    check(a == ALL_ONES && b == 0xFFFF && pci_read(s, 4, 2) == cmd, "pci_hostile/cfg-unaligned",
          "4 bytes at 0xCFD read 0x%x, 2 at 0xCFF 0x%x; command 0x%x -> 0x%x", (unsigned)a, (unsigned)b,
          (unsigned)cmd, (unsigned)pci_read(s, 4, 2));
    /* addresses naming nothing: reserved bits, bus 1, function 1, an
     * empty slot, the enable bit clear */
    u32 r[5] = { pci_read_raw(CFG(s, 0) | 0x01000001u, 0xCFC, 4), pci_read_raw(CFG(s, 0) | 1u << 16, 0xCFC, 4),
                 pci_read_raw(CFG(s, 0) | 1u << 8, 0xCFC, 4), pci_read(20, 0, 4),
                 pci_read_raw(CFG(s, 0) & ~0x80000000u, 0xCFC, 4) };
    int all = 1;
    for (unsigned i = 0; i < 5; i++)
        all &= r[i] == ALL_ONES;
    check(all, "pci_hostile/cfg-bad-address", "read 0x%x 0x%x 0x%x 0x%x 0x%x (all ones expected)", (unsigned)r[0],
          (unsigned)r[1], (unsigned)r[2], (unsigned)r[3], (unsigned)r[4]);
    pci_write(s, 0, 4, 0x12345678);
    pci_write(s, 8, 4, 0);
    check(pci_read(s, 0, 4) == id && (pci_read(s, 8, 4) >> 8) == 0x018000, "pci_hostile/cfg-id-read-only",
          "id 0x%x -> 0x%x, class 0x%x", (unsigned)id, (unsigned)pci_read(s, 0, 4), (unsigned)pci_read(s, 8, 4));

    /* BAR0 moves the host must refuse: the old address stays */
    u32 bar = pci_read(s, 0x10, 4), other = pci_read(con->slot, 0x10, 4);
    pci_write(s, 0x10, 4, 0x00100000);
    u32 over_ram = pci_read(s, 0x10, 4);
    pci_write(s, 0x10, 4, other);
    u32 over_dev = pci_read(s, 0x10, 4);
    pci_write(s, 0x10, 4, other + 0x800);       /* half over it: the pages overlap */
    u32 over_half = pci_read(s, 0x10, 4);
    pci_write(s, 0x10, 4, 0xFFC00000u);         /* the host's top of the address space */
    u32 over_top = pci_read(s, 0x10, 4);
    check(over_ram == bar, "pci_hostile/bar-over-ram", "BAR0 0x%x -> 0x%x", (unsigned)bar, (unsigned)over_ram);
    check(over_dev == bar && over_half == bar, "pci_hostile/bar-over-device",
          "BAR0 0x%x, other function's 0x%x: now 0x%x / 0x%x", (unsigned)bar, (unsigned)other,
          (unsigned)over_dev, (unsigned)over_half);
    check(over_top == bar, "pci_hostile/bar-outside-window", "BAR0 0x%x -> 0x%x", (unsigned)bar,
          (unsigned)over_top);
    check(mmio_read16(blk->common + 0x12) == blk->num_vq && vdev_status(blk) == VIRTIO_S_ACK,
          "pci_hostile/device-answers", "num_queues %u, status 0x%x at the old BAR",
          mmio_read16(blk->common + 0x12), vdev_status(blk));
}

static void registers(struct vdev *blk)
{
    u32 wide = mmio_read32(blk->common + 0x14);     /* device_status is one byte */
    u32 none = mmio_read32(blk->common + 0x800);    /* inside BAR0, no register */
    mmio_write32(blk->common + 0x04, 0);            /* device_feature is read-only */
    check(wide == 0 && none == 0 && vdev_status(blk) == VIRTIO_S_ACK && vdev_offered(blk) != 0,
          "pci_hostile/register-misuse", "wide 0x%x, none 0x%x, status 0x%x", (unsigned)wide, (unsigned)none,
          vdev_status(blk));
}

/* Negotiated, queue 0 selected: ready for a bad queue setup. */
static void fresh(struct vdev *blk)
{
    vdev_reset(blk);
    vdev_set_status(blk, VIRTIO_S_ACK, 0);
    vdev_negotiate(blk, 0);
    mmio_write16(blk->common + 0x16, 0);
}

static int broken_then_reset(struct vdev *blk)
{
    int was = (vdev_status(blk) & VIRTIO_S_BROKEN) != 0;
    vdev_reset(blk);
    return was && vdev_status(blk) == 0;
}

static void queue_set(struct vdev *blk, u32 desc, u32 desc_hi, u32 avail, u32 used)
{
    mmio_write32(blk->common + 0x20, desc);
    mmio_write32(blk->common + 0x24, desc_hi);
    mmio_write32(blk->common + 0x28, avail);
    mmio_write32(blk->common + 0x2C, 0);
    mmio_write32(blk->common + 0x30, used);
    mmio_write32(blk->common + 0x34, 0);
    mmio_write16(blk->common + 0x1C, 1);
}

static void queues(struct vdev *blk)
{
    static const u16 sizes[] = { 0, 3, 512, 0xFFFF };
    int ok = 1;
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        fresh(blk);
        mmio_write16(blk->common + 0x18, sizes[i]);
        if (!broken_then_reset(blk)) {
            ok = 0;
            printf("pci_hostile: queue size %u was taken\n", sizes[i]);
        }
    }
    check(ok, "pci_hostile/queue-size", "a bad queue size did not break the device");

    u32 ring = pages_alloc(3);
    struct { const char *what; u32 desc, hi, avail, used; } bad[] = {
        { "desc beyond RAM", ram_bytes + 0x100000, 0, ring + 4096, ring + 8192 },
        { "used at the end of RAM", ring, 0, ring + 4096, ram_bytes - 8 },
        { "desc with a high half", ring, 1, ring + 4096, ring + 8192 },
        { "desc misaligned", ring + 8, 0, ring + 4096, ring + 8192 },
        { "used misaligned", ring, 0, ring + 4096, ring + 8192 + 2 },
        { "avail wrapping", ring, 0, 0xFFFFFF00u, ring + 8192 },
    };
    ok = 1;
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        fresh(blk);
        mmio_write16(blk->common + 0x18, 256);
        queue_set(blk, bad[i].desc, bad[i].hi, bad[i].avail, bad[i].used);
        if (!broken_then_reset(blk)) {
            ok = 0;
            printf("pci_hostile: queue with %s was taken\n", bad[i].what);
        }
    }
    check(ok, "pci_hostile/queue-address", "a bad ring address did not break the device");
    /* enabling before FEATURES_OK */
    vdev_reset(blk);
    vdev_set_status(blk, VIRTIO_S_ACK | VIRTIO_S_DRIVER, 0);
    mmio_write16(blk->common + 0x16, 0);
    queue_set(blk, ring, 0, ring + 4096, ring + 8192);
    check(broken_then_reset(blk), "pci_hostile/queue-before-features", "taken before FEATURES_OK");
    pages_free(ring, 3);
}
#endif

void test_pci_hostile(void)
{
#ifndef LG_GEN4
    fail("pci_hostile/build", "virtio-pci needs the 4.x build (lgtest-4.elf)");
#else
    vbus_scan();
    struct vdev *blk = vbus_find(VIRTIO_ID_BLOCK, 0), *con = vbus_find(VIRTIO_ID_CONSOLE, 0);
    check(blk && con, "pci_hostile/devices", "block %s, console %s", blk ? "found" : "missing",
          con ? "found" : "missing");
    if (!blk || !con)
        return;
    config_space(blk, con);
    registers(blk);
    queues(blk);
    /* after all that, the device does real work */
    static u8 sector[VBLK_SECTOR] __attribute__((aligned(VBLK_SECTOR)));  /* vblk takes whole, aligned sectors */
    int a = vblk_attach(), r = a == 0 ? vblk_read(0, sector, VBLK_SECTOR) : a;
    check(a == 0 && r == 0 && vdev_status(blk) == VIRTIO_S_LIVE, "pci_hostile/block-works-after",
          "attach %d, read %d, status 0x%x", a, r, vdev_status(blk));
#endif
}
