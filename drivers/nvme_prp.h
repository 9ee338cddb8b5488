/* NVMe data pointers (PRPs) for a request's buffer, pure logic (tests/
 * unit/test_nvme_prp.c). A command's data is a list of memory pages: the
 * first may start anywhere dword-aligned, every later one starts at a
 * page boundary, and every one but the last runs to its page's end. PRP1
 * is the first; PRP2 the second, or the physical address of a list of the
 * rest when there are more than two. A guest's scatter list need not fit
 * that (a sector split over two pieces that are not page-aligned): such a
 * request becomes several commands, and a stretch that cannot be
 * expressed at all goes through a bounce page. */
#ifndef DRIVERS_NVME_PRP_H
#define DRIVERS_NVME_PRP_H
#include <stdbool.h>
#include <stdint.h>
#include "drivers/blkdev.h"

#define NVME_PAGE 4096u

/* The next command of a request: from byte off of its segments, at most
 * max bytes (a multiple of 512), as far as PRPs express it with at most
 * list_max entries in list (whose physical address is list_phys). Returns
 * its length, a multiple of 512, with *prp1 and *prp2 (and list) filled;
 * 0 when not even one sector from off can be expressed (bounce it). */
uint32_t nvme_prp_build(const struct blk_seg *seg, uint32_t nseg, uint32_t off, uint32_t max, uint64_t *list,
                        uint32_t list_max, uint32_t list_phys, uint64_t *prp1, uint64_t *prp2);
/* Copies len bytes between the segments' bytes [off, off + len) and buf:
 * into the segments when to_segs, else out of them. */
void nvme_seg_copy(const struct blk_seg *seg, uint32_t nseg, uint32_t off, uint8_t *buf, uint32_t len,
                   bool to_segs);

#endif
