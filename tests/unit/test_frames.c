/* sources: kernel/frames.c */
/* The physical frame allocator: which frames start free, and that single
 * frames and aligned runs never overlap and are all accounted for. */
#include <stdint.h>
#include <string.h>
#include "kernel/frames.h"
#include "tests/unit/check.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* frame number -> times handed out, to prove allocations never overlap */
static uint8_t owned[1u << 20];

static void fresh(const struct boot_mmap_entry *map, uint32_t nmap,
                  const struct phys_range *res, uint32_t nres)
{
    memset(owned, 0, sizeof(owned));
    frames_init(map, nmap, res, nres);
}

/* Takes frames until exhaustion; returns how many, checking each is new. */
static uint32_t drain(void)
{
    uint32_t n = 0, f;
    while ((f = frame_alloc()) != 0) {
        CHECK_EQ(f % 4096, 0);
        CHECK_EQ(owned[f / 4096], 0);
        owned[f / 4096]++;
        n++;
        if (n > (1u << 20))             /* allocator handing out frames forever */
            break;
    }
    return n;
}

static int owned_range(uint64_t start, uint64_t end)
{
    for (uint64_t f = start / 4096; f < end / 4096; f++)
        if (owned[f])
            return 1;
    return 0;
}

static void only_available_ram_above_1mib(void)
{
    static const struct boot_mmap_entry map[] = {
        { 0, 0x9FC00, 1 }, { 0x100000, 0x100000, 1 },
    };
    fresh(map, N(map), NULL, 0);
    CHECK_EQ(frames_initial_count(), 256);
    CHECK_EQ(frames_free_count(), 256);
    CHECK_EQ(drain(), 256);
    CHECK(!owned_range(0, 0x100000));
    CHECK(!owned_range(0x200000, 0x300000));
    CHECK_EQ(frames_free_count(), 0);
    CHECK_EQ(frames_initial_count(), 256);
}

/* One available entry straddling 1 MiB: only the part above is used. */
static void low_megabyte_never_free(void)
{
    static const struct boot_mmap_entry map[] = { { 0, 2 * MiB, 1 } };
    fresh(map, N(map), NULL, 0);
    CHECK_EQ(frames_free_count(), 256);
    CHECK_EQ(drain(), 256);
    CHECK(!owned_range(0, MiB));
}

static void other_types_never_free(void)
{
    static const struct boot_mmap_entry map[] = {
        { MiB, MiB, 0 }, { 2 * MiB, MiB, 2 }, { 3 * MiB, MiB, 3 },
        { 4 * MiB, MiB, 4 }, { 5 * MiB, MiB, 5 }, { 6 * MiB, MiB, 77 },
    };
    fresh(map, N(map), NULL, 0);
    CHECK_EQ(frames_free_count(), 0);
    CHECK_EQ(frames_initial_count(), 0);
    CHECK_EQ(frame_alloc(), 0);
    CHECK_EQ(frames_alloc(1, 1), 0);
    fresh(NULL, 0, NULL, 0);
    CHECK_EQ(frames_free_count(), 0);
    CHECK_EQ(frame_alloc(), 0);
}

/* A reserved entry inside an available one wins, whichever comes first. */
static void reserved_map_entry_wins(void)
{
    static const struct boot_mmap_entry before[] = {
        { 0x180000, 0x10000, 2 }, { MiB, 2 * MiB, 1 },
    };
    static const struct boot_mmap_entry after[] = {
        { MiB, 2 * MiB, 1 }, { 0x180800, 0xF000, 4 },   /* unaligned: touches 16 frames */
    };
    fresh(before, N(before), NULL, 0);
    CHECK_EQ(frames_free_count(), 512 - 16);
    CHECK_EQ(drain(), 512 - 16);
    CHECK(!owned_range(0x180000, 0x190000));
    CHECK(owned[0x17F] && owned[0x190]);

    fresh(after, N(after), NULL, 0);
    CHECK_EQ(frames_free_count(), 512 - 16);
    CHECK_EQ(drain(), 512 - 16);
    CHECK(!owned_range(0x180000, 0x190000));
}

/* Only whole frames of available RAM are handed out. */
static void partial_available_frames_not_used(void)
{
    static const struct boot_mmap_entry map[] = { { 0x100800, 0x3000, 1 } };
    fresh(map, N(map), NULL, 0);
    CHECK_EQ(frames_free_count(), 2);
    uint32_t a = frame_alloc(), b = frame_alloc();
    CHECK_EQ(a, 0x101000);
    CHECK_EQ(b, 0x102000);
    CHECK_EQ(frame_alloc(), 0);

    /* less than a frame, not frame-aligned: nothing at all */
    static const struct boot_mmap_entry tiny[] = { { 0x200001, 0xFFF, 1 } };
    fresh(tiny, N(tiny), NULL, 0);
    CHECK_EQ(frames_free_count(), 0);
    CHECK_EQ(frame_alloc(), 0);
}

/* Every frame a reserved range touches is kept, even partly covered ones. */
static void reserved_ranges_excluded(void)
{
    static const struct boot_mmap_entry map[] = { { MiB, MiB, 1 } };
    static const struct phys_range res[] = {
        { 0x100000, 0x120000 },         /* image: 32 frames */
        { 0x140800, 0x141001 },         /* module: partly covers 0x140 and 0x141 */
        { 0x150000, 0x150000 },         /* empty */
        { 0x170000, 0x160000 },         /* backwards: empty */
        { 0x1FFFFF, 0x200000 },         /* last byte of the last frame */
    };
    fresh(map, N(map), res, N(res));
    CHECK_EQ(frames_free_count(), 256 - 32 - 2 - 1);
    CHECK_EQ(frames_initial_count(), 256 - 32 - 2 - 1);
    CHECK_EQ(drain(), 256 - 35);
    CHECK(!owned_range(0x100000, 0x120000));
    CHECK(!owned[0x140] && !owned[0x141] && !owned[0x1FF]);
    CHECK(owned[0x13F] && owned[0x142] && owned[0x150] && owned[0x165] && owned[0x1FE]);
}

/* A QEMU-like map with the image and a module, as memory_init passes them. */
static void realistic_layout(void)
{
    static const struct boot_mmap_entry map[] = {
        { 0, 0x9FC00, 1 }, { 0x9FC00, 0x400, 2 }, { 0xF0000, 0x10000, 2 },
        { 0x100000, 0x7EE0000, 1 }, { 0x7FE0000, 0x20000, 2 }, { 0xFFFC0000, 0x40000, 2 },
    };
    static const struct phys_range res[] = {
        { 0x100000, 0x180000 }, { 0x200000, 0x280123 },
    };
    fresh(map, N(map), res, N(res));
    uint32_t want = 0x7EE0 - 0x80 - 0x81;
    CHECK_EQ(frames_initial_count(), want);
    CHECK_EQ(frames_free_count(), want);
    CHECK_EQ(drain(), want);
    CHECK(!owned_range(0, 0x180000));
    CHECK(!owned_range(0x200000, 0x281000));
    CHECK(!owned_range(0x7FE0000, 4 * GiB));
    CHECK(owned[0x180] && owned[0x281] && owned[0x7FDF]);
}

/* A reserved range may reach past 4 GiB; it still covers what is below. */
static void reserved_range_covers_everything(void)
{
    static const struct boot_mmap_entry map[] = { { MiB, MiB, 1 } };
    static const struct phys_range res[] = { { 0, 8 * GiB } };
    fresh(map, N(map), res, N(res));
    CHECK_EQ(frames_free_count(), 0);
    CHECK_EQ(frame_alloc(), 0);
    CHECK_EQ(frames_alloc(1, 1), 0);
}

static void single_frames_distinct_until_exhausted(void)
{
    static const struct boot_mmap_entry map[] = { { 16 * MiB, 64 * 4096, 1 } };
    fresh(map, N(map), NULL, 0);
    for (uint32_t i = 0; i < 64; i++) {
        uint32_t f = frame_alloc();
        CHECK(f >= 16 * MiB && f < 16 * MiB + 64 * 4096);
        CHECK_EQ(f % 4096, 0);
        CHECK_EQ(owned[f / 4096], 0);
        owned[f / 4096] = 1;
        CHECK_EQ(frames_free_count(), 63 - i);
    }
    CHECK_EQ(frame_alloc(), 0);
    CHECK_EQ(frame_alloc(), 0);
    CHECK_EQ(frames_free_count(), 0);
    CHECK_EQ(frames_initial_count(), 64);
}

static void freed_frames_come_back(void)
{
    static const struct boot_mmap_entry map[] = { { MiB, MiB, 1 } };
    fresh(map, N(map), NULL, 0);
    CHECK_EQ(drain(), 256);
    /* below where the allocator last found a frame: it must look back */
    frame_free(0x100000);
    CHECK_EQ(frames_free_count(), 1);
    CHECK_EQ(frame_alloc(), 0x100000);
    CHECK_EQ(frame_alloc(), 0);

    frames_free(0x180000, 4);
    CHECK_EQ(frames_free_count(), 4);
    /* freeing a free frame again changes nothing */
    frames_free(0x180000, 2);
    CHECK_EQ(frames_free_count(), 4);
    CHECK_EQ(frames_alloc(4, 4), 0x180000);
    CHECK_EQ(frames_free_count(), 0);
    CHECK_EQ(frame_alloc(), 0);
}

static void free_beyond_usable_memory_ignored(void)
{
    static const struct boot_mmap_entry map[] = { { MiB, MiB, 1 } };
    fresh(map, N(map), NULL, 0);
    frames_free(0x200000, 16);          /* above the last usable frame */
    frames_free(0xFFFFF000u, 1);
    CHECK_EQ(frames_free_count(), 256);
    CHECK_EQ(drain(), 256);
    CHECK(!owned_range(0x200000, 0x210000));
    /* the tail past the end is ignored, the head inside is freed */
    frames_free(0x1FE000, 100);
    CHECK_EQ(frames_free_count(), 2);
}

static void runs_aligned_and_contiguous(void)
{
    static const struct boot_mmap_entry map[] = { { 0x101000, 4 * MiB - 0x1000, 1 } };
    fresh(map, N(map), NULL, 0);
    uint32_t free0 = frames_free_count();
    CHECK_EQ(free0, 1023);
    CHECK_EQ(frames_alloc(4, 4), 0x104000);     /* 0x101 rounds up to 0x104 */
    CHECK_EQ(frames_alloc(1, 256), 0x200000);
    CHECK_EQ(frames_alloc(16, 16), 0x110000);
    CHECK_EQ(frames_alloc(3, 0), 0x101000);     /* align 0 means 1 */
    CHECK_EQ(frames_alloc(1, 1), 0x108000);
    CHECK_EQ(frames_free_count(), free0 - 4 - 1 - 16 - 3 - 1);
    CHECK_EQ(frames_alloc(512, 512), 0);        /* 0x200 is taken, 0x400 is past the end */
    CHECK_EQ(frames_alloc(256, 256), 0x300000);
}

static void runs_skip_used_frames(void)
{
    static const struct boot_mmap_entry map[] = { { MiB, MiB, 1 } };
    static const struct phys_range res[] = { { 0x104000, 0x105000 } };
    fresh(map, N(map), res, N(res));
    CHECK_EQ(frames_alloc(8, 1), 0x105000);
    CHECK_EQ(frames_alloc(4, 1), 0x100000);     /* the gap before the hole fits 4 */
    uint32_t f = frame_alloc();
    CHECK(f >= 0x10D000);
    CHECK_EQ(frames_alloc(2, 1), f + 0x1000);
}

static void runs_fail_when_nothing_fits(void)
{
    static const struct boot_mmap_entry map[] = {
        { MiB, 8 * 4096, 1 }, { MiB + 9 * 4096, 8 * 4096, 1 },
    };
    fresh(map, N(map), NULL, 0);
    CHECK_EQ(frames_free_count(), 16);
    CHECK_EQ(frames_alloc(9, 1), 0);
    CHECK_EQ(frames_alloc(0, 1), 0);
    CHECK_EQ(frames_alloc(1u << 20, 1), 0);
    CHECK_EQ(frames_alloc(0xFFFFFFFFu, 1), 0);
    CHECK_EQ(frames_alloc(2, 16), 0x100000);
    CHECK_EQ(frames_alloc(2, 16), 0);           /* 0x110 is 16-aligned but the last frame */
    CHECK_EQ(frames_free_count(), 14);
    CHECK_EQ(frames_alloc(8, 1), 0x109000);
    CHECK_EQ(frames_alloc(6, 1), 0x102000);
    CHECK_EQ(frames_alloc(1, 1), 0);
    CHECK_EQ(frames_free_count(), 0);
}

/* Adjacent or overlapping available entries make one stretch of RAM. */
static void available_entries_merge(void)
{
    static const struct boot_mmap_entry map[] = {
        { MiB, 512 * KiB, 1 }, { MiB + 512 * KiB, 512 * KiB, 1 }, { MiB, MiB, 1 },
    };
    fresh(map, N(map), NULL, 0);
    CHECK_EQ(frames_free_count(), 256);
    CHECK_EQ(frames_alloc(256, 1), 0x100000);
    CHECK_EQ(frames_free_count(), 0);
}

/* Singles and runs mixed until memory is gone: nothing overlaps, nothing
 * is lost, and the counts agree at every step. */
static void mixed_allocations_account_for_everything(void)
{
    static const struct boot_mmap_entry map[] = {
        { MiB, 3 * MiB, 1 }, { 0x180000, 0x3000, 2 }, { 5 * MiB, 2 * MiB + 0x800, 1 },
    };
    static const struct phys_range res[] = { { 0x300000, 0x300400 } };
    fresh(map, N(map), res, N(res));
    uint32_t total = frames_free_count(), taken = 0;
    CHECK_EQ(total, 768 - 3 - 1 + 512);
    for (uint32_t i = 0; taken < total && i < 10000; i++) {
        uint32_t count = (i % 3 == 0) ? 1 : 1 + i % 7, align = 1u << (i % 4);
        uint32_t f = count == 1 ? frame_alloc() : frames_alloc(count, align);
        if (!f) {
            if (count == 1)
                break;
            continue;
        }
        if (count > 1)
            CHECK_EQ(f / 4096 % align, 0);
        for (uint32_t k = 0; k < count; k++) {
            CHECK_EQ(owned[f / 4096 + k], 0);
            owned[f / 4096 + k] = 1;
        }
        taken += count;
        CHECK_EQ(frames_free_count(), total - taken);
    }
    CHECK_EQ(taken, total);
    CHECK_EQ(frame_alloc(), 0);
    CHECK(!owned_range(0x180000, 0x183000));
    CHECK(!owned[0x300]);
    CHECK(!owned_range(4 * MiB, 5 * MiB));
    CHECK(!owned[0x700]);                       /* the half frame at 7 MiB */
    CHECK_EQ(frames_initial_count(), total);
}

static void memory_above_4gib_ignored(void)
{
    static const struct boot_mmap_entry high[] = { { 4 * GiB, 4 * GiB, 1 } };
    fresh(high, N(high), NULL, 0);
    CHECK_EQ(frames_free_count(), 0);
    CHECK_EQ(frame_alloc(), 0);

    static const struct boot_mmap_entry straddle[] = {
        { 4 * GiB - MiB, 2 * MiB, 1 }, { 4 * GiB + MiB, MiB, 2 },
    };
    static const struct phys_range res[] = { { 4 * GiB, 5 * GiB } };
    fresh(straddle, N(straddle), res, N(res));
    CHECK_EQ(frames_free_count(), 256);
    /* the run found at 0xFFF00 reaches the last frame below 4 GiB, one short */
    CHECK_EQ(frames_alloc(257, 256), 0);
    CHECK_EQ(frames_alloc(256, 256), 0xFFF00000u);
    CHECK_EQ(frames_free_count(), 0);
    frames_free(0xFFFFF000u, 1);
    CHECK_EQ(frame_alloc(), 0xFFFFF000u);
}

/* Re-initialising forgets the previous map and every allocation made. */
static void reinit_starts_over(void)
{
    static const struct boot_mmap_entry a[] = { { MiB, MiB, 1 } };
    static const struct boot_mmap_entry b[] = { { 8 * MiB, 16 * 4096, 1 } };
    fresh(a, N(a), NULL, 0);
    CHECK_EQ(drain(), 256);
    fresh(b, N(b), NULL, 0);
    CHECK_EQ(frames_initial_count(), 16);
    CHECK_EQ(frames_free_count(), 16);
    CHECK_EQ(drain(), 16);
    CHECK(!owned_range(MiB, 2 * MiB));
    fresh(a, N(a), NULL, 0);
    CHECK_EQ(frames_free_count(), 256);
    CHECK_EQ(frame_alloc(), 0x100000);
}

int main(void)
{
    RUN(only_available_ram_above_1mib);
    RUN(low_megabyte_never_free);
    RUN(other_types_never_free);
    RUN(reserved_map_entry_wins);
    RUN(partial_available_frames_not_used);
    RUN(reserved_ranges_excluded);
    RUN(realistic_layout);
    RUN(reserved_range_covers_everything);
    RUN(single_frames_distinct_until_exhausted);
    RUN(freed_frames_come_back);
    RUN(free_beyond_usable_memory_ignored);
    RUN(runs_aligned_and_contiguous);
    RUN(runs_skip_used_frames);
    RUN(runs_fail_when_nothing_fits);
    RUN(available_entries_merge);
    RUN(mixed_allocations_account_for_everything);
    RUN(memory_above_4gib_ignored);
    RUN(reinit_starts_over);
    return CHECK_EXIT_STATUS();
}
