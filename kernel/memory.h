#ifndef KERNEL_MEMORY_H
#define KERNEL_MEMORY_H
#include "kernel/bootinfo.h"
/* Logs the memory map and hands free RAM to the frame allocator, keeping
 * the image and the modules out, and gives the heap its frames. */
void memory_init(const struct boot_info *bi);
/* Bytes of available RAM the memory map lists above 4 GiB: seen, but not
 * used, since the hypervisor pages without PAE (the monitor's mem). */
uint64_t memory_above_4g(void);
#endif
