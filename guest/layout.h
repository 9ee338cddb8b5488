/* lgtest's fixed numbers: where things live in guest-physical and virtual
 * memory, and the selectors of the lguest ABI (lguest-abi.md sections 0, 5,
 * 6.2). Shared by C and assembly, so only #defines outside the C block. */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

/* Like a Linux vmlinux: linked at PAGE_OFFSET + 1 MiB, loaded at 1 MiB.
 * Everything the kernel touches after boot goes through the direct map at
 * KERNEL_BASE, which is also the kernel_address announced in lguest_data. */
#define KERNEL_BASE         0xC0000000
#define KERNEL_PHYS         0x00100000
#define PAGE_SIZE           4096
#define PAGE_SHIFT          12

/* The host owns everything from 4 GiB - reserve_mem up; we assume the
 * 4 MiB the brief promises and check it after LGUEST_INIT. */
#define HOST_RESERVED_MIN   0xFFC00000
#define EXPECTED_RESERVE    0x00400000

/* RAM beyond this would not fit the direct map below our own windows. */
#define MAX_RAM             (768u << 20)

/* Kernel windows above the direct map (which ends at 0xF0000000 at most).
 * Each is one page table made at boot, before any process directory
 * exists, so every address space shares it (the kernel half must be the
 * same everywhere: ABI 6.3). */
#define KMAP_VA             0xFA000000  /* single pages mapped by tests */
#define KMAP_PDE            (KMAP_VA >> 22)
#define DEMAND_VA           0xFA400000  /* filled by our own #PF handler */
#define DEMAND_PDE          (DEMAND_VA >> 22)
#define SPARE_VA            0xFA800000  /* left empty: paging tests add it */
#define SPARE_PDE           (SPARE_VA >> 22)

/* User address space (below KERNEL_BASE). The user image (guest/user/) is
 * linked at USER_TEXT_VA and USER_DATA_VA; its code pages are shared, its
 * data copied per process. */
#define USER_TEXT_VA        0x00400000
#define USER_DATA_VA        0x00800000
#define USER_SCRATCH_VA     0x10000000  /* per-test mappings */
#define USER_STACK_TOP      0x40000000
#define USER_STACK_PAGES    4

/* Kernel stacks are THREAD_SIZE like Linux: two pages, which is also what
 * SET_STACK is told. */
#define KSTACK_SIZE         8192
#define KSTACK_PAGES        2

/* GDT indexes and selectors (ABI 0, 5.1). */
#define GDT_ENTRIES         32
#define GDT_TLS_FIRST       6
#define GDT_KERNEL_CS       12
#define GDT_KERNEL_DS       13
#define GDT_USER_CS         14
#define GDT_USER_DS         15
#define GDT_TEST            20          /* free slot the segment tests use */
#define SEL_KERNEL_CS       0x61
#define SEL_KERNEL_DS       0x69
#define SEL_USER_CS         0x73
#define SEL_USER_DS         0x7B
#define SEL_TLS0            0x33
#define SEL_TLS1            0x3B
#define SEL_TLS2            0x43

/* Vectors (ABI 4.1). */
#define VEC_HYPERCALL       0x1F
#define VEC_IRQ0            0x20
#define VEC_SYSCALL         0x80
#define NR_IRQS             32
/* Not a CPU vector: the alternative int3 stub the IDT test installs says
 * so in its frame. */
#define VEC_ALT_INT3        0x103

#define EFLAGS_IF           0x200

#ifndef __ASSEMBLER__
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define __pa(v) ((u32)(uintptr_t)(v) - KERNEL_BASE)
#define __va(p) ((void *)(uintptr_t)((u32)(p) + KERNEL_BASE))
#define barrier() __asm__ __volatile__("" ::: "memory")
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#endif
