/* PRPs for a request's segments: see nvme_prp.h. */
#include <string.h>
#include "drivers/nvme_prp.h"

uint32_t nvme_prp_build(const struct blk_seg *seg, uint32_t nseg, uint32_t off, uint32_t max, uint64_t *list,
                        uint32_t list_max, uint32_t list_phys, uint64_t *prp1, uint64_t *prp2)
{
    uint32_t i = 0;
    while (i < nseg && off >= seg[i].len)
        off -= seg[i++].len;
    if (i == nseg || max < 512)
        return 0;
    uint32_t addr = seg[i].addr + off, left = seg[i].len - off;
    if (addr & 3)
        return 0;                                   /* PRP1's offset must be dword-aligned */
    uint32_t total = 0, pages = 0, first_len = 0;
    for (;;) {
        if (pages && (addr & (NVME_PAGE - 1)))
            break;                                  /* a later page must start at its beginning */
        uint32_t n = NVME_PAGE - (addr & (NVME_PAGE - 1));
        if (n > left)
            n = left;
        if (n > max - total)
            n = max - total;
        if (pages)
            list[pages - 1] = addr;
        else {
            *prp1 = addr;
            first_len = n;
        }
        pages++;
        total += n;
        addr += n;
        left -= n;
        if (total == max || pages == list_max + 1 || (addr & (NVME_PAGE - 1)))
            break;                                  /* full, or this page does not run to its end */
        if (!left) {
            if (++i == nseg)
                break;
            addr = seg[i].addr;
            left = seg[i].len;
        }
    }
    total &= ~511u;
    if (!total)
        return 0;
    /* the pages whole sectors need */
    pages = total <= first_len ? 1 : 1 + (total - first_len + NVME_PAGE - 1) / NVME_PAGE;
    *prp2 = pages == 1 ? 0 : pages == 2 ? list[0] : list_phys;
    return total;
}

void nvme_seg_copy(const struct blk_seg *seg, uint32_t nseg, uint32_t off, uint8_t *buf, uint32_t len,
                   bool to_segs)
{
    for (uint32_t i = 0; i < nseg && len; i++) {
        if (off >= seg[i].len) {
            off -= seg[i].len;
            continue;
        }
        uint32_t n = seg[i].len - off < len ? seg[i].len - off : len;
        uint8_t *at = (uint8_t *)seg[i].addr + off;
        if (to_segs)
            memcpy(at, buf, n);
        else
            memcpy(buf, at, n);
        buf += n;
        len -= n;
        off = 0;
    }
}
