/* sources: drivers/pci_cap.c */
/* The PCI capability walk against fake config spaces: the list found, the
 * status bit and header type respected, and hostile lists (loops, pointers
 * into the header, reserved low bits) ending the walk safely. */
#include <stdint.h>
#include <string.h>
#include "drivers/pci_cap.h"
#include "tests/unit/check.h"

static uint8_t cfg[256];
static int reads;

static uint32_t rd(void *ctx, uint8_t off)
{
    (void)ctx;
    reads++;
    CHECK_EQ(off % 4, 0);
    uint32_t v;
    memcpy(&v, cfg + off, 4);
    return v;
}

/* A type-0 header with the capability bit and the list head at 0x34. */
static void fresh(uint8_t head)
{
    memset(cfg, 0, sizeof(cfg));
    cfg[0x06] = 0x10;                   /* status: capabilities list */
    cfg[0x34] = head;
    reads = 0;
}

static void cap(uint8_t at, uint8_t id, uint8_t next) { cfg[at] = id; cfg[at + 1] = next; }

static void finds_msi_and_msix(void)
{
    fresh(0x40);
    cap(0x40, 0x01, 0x50);              /* power management */
    cap(0x50, 0x05, 0x70);              /* MSI */
    cap(0x70, 0x11, 0x00);              /* MSI-X, last */
    CHECK_EQ(pci_cap_find(rd, 0, 0x05), 0x50);
    CHECK_EQ(pci_cap_find(rd, 0, 0x11), 0x70);
    CHECK_EQ(pci_cap_find(rd, 0, 0x10), 0);
}

static void no_status_bit_no_list(void)
{
    fresh(0x40);
    cap(0x40, 0x05, 0);
    cfg[0x06] = 0;
    CHECK_EQ(pci_cap_find(rd, 0, 0x05), 0);
}

static void cardbus_header_not_walked(void)
{
    fresh(0x40);
    cap(0x40, 0x05, 0);
    cfg[0x0E] = 0x02;
    CHECK_EQ(pci_cap_find(rd, 0, 0x05), 0);
    cfg[0x0E] = 0x81;                   /* a multi-function bridge: walked */
    CHECK_EQ(pci_cap_find(rd, 0, 0x05), 0x40);
}

static void loop_ends(void)
{
    fresh(0x40);
    cap(0x40, 0x01, 0x48);
    cap(0x48, 0x09, 0x40);              /* back to the first */
    CHECK_EQ(pci_cap_find(rd, 0, 0x05), 0);
    CHECK(reads < 60);
    fresh(0xFC);
    cap(0xFC, 0x01, 0xFC);              /* pointing at itself, at the very end */
    CHECK_EQ(pci_cap_find(rd, 0, 0x05), 0);
}

static void pointer_into_header_ends(void)
{
    fresh(0x40);
    cap(0x40, 0x01, 0x10);              /* into the BARs */
    CHECK_EQ(pci_cap_find(rd, 0, 0x05), 0);
    fresh(0x00);
    CHECK_EQ(pci_cap_find(rd, 0, 0x00), 0);     /* an empty list finds nothing, not offset 0 */
}

static void reserved_low_bits_ignored(void)
{
    fresh(0x43);                        /* 0x40 with the two reserved bits set */
    cap(0x40, 0x01, 0x52);
    cap(0x50, 0x05, 0);
    CHECK_EQ(pci_cap_find(rd, 0, 0x05), 0x50);
}

int main(void)
{
    RUN(finds_msi_and_msix);
    RUN(no_status_bit_no_list);
    RUN(cardbus_header_not_walked);
    RUN(loop_ends);
    RUN(pointer_into_header_ends);
    RUN(reserved_low_bits_ignored);
    return CHECK_EXIT_STATUS();
}
