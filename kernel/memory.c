#include "kernel/memory.h"
#include "kernel/frames.h"
#include "kernel/heap.h"
#include "kernel/image.h"
#include "kernel/log.h"
#include "kernel/crash_record.h"
#include "kernel/panic.h"

#define HEAP_KIB 8192u

static uint64_t above_4g;       /* available RAM the map lists above 4 GiB */

uint64_t memory_above_4g(void) { return above_4g; }

static int inside_available(const struct boot_info *bi, uint64_t start, uint64_t end)
{
    for (uint32_t i = 0; i < bi->nmmap; i++) {
        const struct boot_mmap_entry *e = &bi->mmap[i];
        if (e->type == MMAP_AVAILABLE && e->base <= start && end <= e->base + e->len)
            return 1;
    }
    return 0;
}

void memory_init(const struct boot_info *bi)
{
    uint64_t avail = 0, above4g = 0;
    for (uint32_t i = 0; i < bi->nmmap; i++) {
        const struct boot_mmap_entry *e = &bi->mmap[i];
        log_info("mem: 0x%08lx%08lx-0x%08lx%08lx %s", (unsigned long)(e->base >> 32),
                 (unsigned long)e->base, (unsigned long)((e->base + e->len - 1) >> 32),
                 (unsigned long)(e->base + e->len - 1), mmap_type_name(e->type));
        if (e->type != MMAP_AVAILABLE)
            continue;
        avail += e->len;
        if (e->base + e->len > 0x100000000ull)
            above4g += e->base + e->len - (e->base > 0x100000000ull ? e->base : 0x100000000ull);
    }
    if (!inside_available(bi, (uint32_t)__image_start, (uint32_t)__image_end))
        panic("the hypervisor image (0x%08lx-0x%08lx) is not in available RAM",
              (unsigned long)(uint32_t)__image_start, (unsigned long)(uint32_t)__image_end);

    struct phys_range reserved[BOOT_MAX_MODULES + 2];
    uint32_t n = 0;
    reserved[n++] = (struct phys_range){ (uint32_t)__image_start, (uint32_t)__image_end };
    for (uint32_t i = 0; i < bi->nmodules; i++)
        reserved[n++] = (struct phys_range){ bi->modules[i].start, bi->modules[i].end };
    uint32_t crash = crash_record_page(bi);
    if (crash)
        reserved[n++] = (struct phys_range){ crash, crash + 4096 };
    frames_init(bi->mmap, bi->nmmap, reserved, n);

    uint32_t heap_kib = HEAP_KIB, heap = 0;
    while (heap_kib >= 256 && !(heap = frames_alloc(heap_kib / 4, 1)))
        heap_kib /= 2;
    if (!heap)
        panic("no memory for the hypervisor heap");
    heap_init((void *)heap, heap_kib * 1024);
    log_info("memory: %lu KiB available in the map (%lu MiB); hypervisor image %lu KiB, heap "
             "%lu KiB at 0x%08lx; %lu KiB free for guests",
             (unsigned long)(avail >> 10), (unsigned long)(avail >> 20),
             (unsigned long)(((uint32_t)__image_end - (uint32_t)__image_start) >> 10),
             (unsigned long)heap_kib, (unsigned long)heap, (unsigned long)frames_free_count() * 4);
    above_4g = above4g;
    if (above4g)
        log_warn("memory: %lu MiB above 4 GiB not used (guest RAM still comes from below 4 GiB)",
                 (unsigned long)(above4g >> 20));
    if (!frames_free_count())
        panic("no free memory left for guests");
}
