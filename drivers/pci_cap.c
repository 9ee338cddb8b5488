/* The list starts at the pointer in 0x34 when status bit 4 says there is
 * one, for header types 0 and 1 (a CardBus bridge keeps its list at 0x14);
 * each entry is id (byte 0) and next (byte 1). A device's config space is
 * as untrusted as any firmware table. */
#include "drivers/pci_cap.h"

#define PCI_STATUS_CAPS (1u << 20)      /* status bit 4, in the dword at 0x04 */
#define PCI_CAP_PTR 0x34
#define PCI_CAP_MAX_STEPS 48            /* (256 - 64) / 4 entries fit at most */

uint8_t pci_cap_find(pci_cfg_read_fn rd, void *ctx, uint8_t id)
{
    if (!(rd(ctx, 0x04) & PCI_STATUS_CAPS))
        return 0;
    uint8_t hdr = (rd(ctx, 0x0C) >> 16) & 0x7F;
    if (hdr != 0 && hdr != 1)
        return 0;
    uint8_t ptr = rd(ctx, PCI_CAP_PTR) & 0xFF;
    for (int steps = 0; steps < PCI_CAP_MAX_STEPS; steps++) {
        ptr &= 0xFC;
        if (ptr < 0x40)
            return 0;
        uint32_t v = rd(ctx, ptr);
        if ((v & 0xFF) == id)
            return ptr;
        ptr = (v >> 8) & 0xFF;
    }
    return 0;
}
