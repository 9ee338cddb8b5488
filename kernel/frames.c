/* The physical frame allocator: one bit per 4 KiB frame below 4 GiB (128 KiB
 * of bitmap), set = in use. Single frames come from a rotating hint; runs
 * for guest memory are found by a scan, which is rare (guest creation). */
#include <string.h>
#include "kernel/frames.h"

#define MAX_FRAMES (1u << 20)
#define LOW_LIMIT_FRAME 256             /* keep the first MiB to firmware */
static uint32_t bitmap[MAX_FRAMES / 32];
static uint32_t limit;                  /* one past the highest usable frame */
static uint32_t hint;                   /* word index to search from */
static uint32_t nfree, ninitial;

static int used(uint32_t f) { return (bitmap[f / 32] >> (f % 32)) & 1; }
static void set_used(uint32_t f) { bitmap[f / 32] |= 1u << (f % 32); }
static void set_free(uint32_t f) { bitmap[f / 32] &= ~(1u << (f % 32)); }

static void clamp(uint64_t *start, uint64_t *end)
{
    if (*end > (uint64_t)MAX_FRAMES * 4096)
        *end = (uint64_t)MAX_FRAMES * 4096;
    if (*start > *end)
        *start = *end;
}

static void mark(uint64_t start, uint64_t end, int in_use)
{
    clamp(&start, &end);
    /* free only whole frames inside the range; reserve every frame touched */
    uint64_t first = in_use ? start / 4096 : (start + 4095) / 4096;
    uint64_t last = in_use ? (end + 4095) / 4096 : end / 4096;
    for (uint64_t f = first; f < last && f < MAX_FRAMES; f++) {
        if (in_use) {
            set_used((uint32_t)f);
        } else if (f >= LOW_LIMIT_FRAME) {
            set_free((uint32_t)f);
            if (f + 1 > limit)
                limit = (uint32_t)f + 1;
        }
    }
}

void frames_init(const struct boot_mmap_entry *map, uint32_t nmap,
                 const struct phys_range *reserved, uint32_t nreserved)
{
    memset(bitmap, 0xFF, sizeof(bitmap));
    limit = 0;
    hint = 0;
    for (uint32_t i = 0; i < nmap; i++)
        if (map[i].type == MMAP_AVAILABLE)
            mark(map[i].base, map[i].base + map[i].len, 0);
    for (uint32_t i = 0; i < nmap; i++)
        if (map[i].type != MMAP_AVAILABLE)
            mark(map[i].base, map[i].base + map[i].len, 1);
    for (uint32_t i = 0; i < nreserved; i++)
        mark(reserved[i].start, reserved[i].end, 1);
    nfree = 0;
    for (uint32_t f = 0; f < limit; f++)
        nfree += !used(f);
    ninitial = nfree;
}

uint32_t frame_alloc(void)
{
    uint32_t words = (limit + 31) / 32;
    for (uint32_t n = 0; n < words; n++) {
        uint32_t w = (hint + n) % words;
        if (bitmap[w] != 0xFFFFFFFFu) {
            uint32_t f = w * 32 + (uint32_t)__builtin_ctz(~bitmap[w]);
            if (f >= limit)
                continue;
            set_used(f);
            nfree--;
            hint = w;
            return f * 4096;
        }
    }
    return 0;
}

uint32_t frames_alloc(uint32_t count, uint32_t align)
{
    if (count == 0 || count > limit || align > limit)
        return 0;
    if (align == 0)
        align = 1;
    for (uint32_t f = 0; f + count <= limit; ) {
        f = (f + align - 1) / align * align;
        uint32_t run = 0;
        while (run < count && f + run < limit && !used(f + run))
            run++;
        if (run == count) {
            for (uint32_t i = 0; i < count; i++)
                set_used(f + i);
            nfree -= count;
            return f * 4096;
        }
        f += run + 1;
    }
    return 0;
}

void frames_free(uint32_t phys, uint32_t count)
{
    uint32_t f = phys / 4096;
    for (uint32_t i = 0; i < count && f + i < limit; i++) {
        /* never hand the first MiB (or frame 0, "no memory") to the pool */
        if (f + i >= LOW_LIMIT_FRAME && used(f + i)) {
            set_free(f + i);
            nfree++;
        }
    }
}

uint32_t frames_free_count(void) { return nfree; }
uint32_t frames_initial_count(void) { return ninitial; }
