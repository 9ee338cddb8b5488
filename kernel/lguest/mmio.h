/* A 4.x guest kernel's access to a virtio-pci BAR: the page fault on the
 * never-mapped page is completed by decoding the instruction and doing
 * the register access (virtio/vpci.c). */
#ifndef KERNEL_LGUEST_MMIO_H
#define KERNEL_LGUEST_MMIO_H
#include <stdint.h>

struct guest;

/* va: the faulting address (shadow_fault said SHADOW_MMIO). Steps EIP past
 * the instruction, or stops the guest with the reason. */
void guest_mmio(struct guest *g, uint32_t va);

#endif
