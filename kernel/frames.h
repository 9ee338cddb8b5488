#ifndef KERNEL_FRAMES_H
#define KERNEL_FRAMES_H
#include <stdint.h>
#include "kernel/bootinfo.h"

struct phys_range { uint64_t start, end; };     /* [start, end) */

/* Free frames = available memory-map RAM below 4 GiB and above 1 MiB, minus
 * the reserved ranges (the image, the heap, the modules). Non-available map
 * entries win over available ones where they overlap. */
void frames_init(const struct boot_mmap_entry *map, uint32_t nmap,
                 const struct phys_range *reserved, uint32_t nreserved);
/* Physical address of a free 4 KiB frame, or 0 when memory is exhausted. */
uint32_t frame_alloc(void);
/* count contiguous frames aligned to align_frames frames, or 0. */
uint32_t frames_alloc(uint32_t count, uint32_t align_frames);
void frames_free(uint32_t phys, uint32_t count);
static inline void frame_free(uint32_t phys) { frames_free(phys, 1); }
uint32_t frames_free_count(void);
uint32_t frames_initial_count(void);

#endif
