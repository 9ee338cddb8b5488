/* The PCI capability list, walked over any config-space reader (the real
 * one in pci.c, fake ones in the unit tests). */
#ifndef DRIVERS_PCI_CAP_H
#define DRIVERS_PCI_CAP_H
#include <stdint.h>

/* Reads the config dword at off (a multiple of 4). */
typedef uint32_t (*pci_cfg_read_fn)(void *ctx, uint8_t off);

/* The offset of the first capability with this id, or 0. Every pointer is
 * checked: its reserved low bits dropped, one into the header (< 0x40)
 * ends the list, and at most 48 steps are taken, so a looping list ends. */
uint8_t pci_cap_find(pci_cfg_read_fn rd, void *ctx, uint8_t id);

#endif
