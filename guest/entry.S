/* Boot entry, the counterpart of Linux's head_32.S + lguest_entry for an
 * lguest guest (lguest-abi.md 1.5-1.7). The host starts us at CPL 1 at the
 * PHYSICAL address of lgtest_start (the ELF entry), paging on with an
 * identity map, no IDT: any fault here kills the guest. Until NEW_PGTABLE
 * switches to our own tables only physical addresses work, hence PA(). */
#include "guest/layout.h"
#include "guest/lguest_data.h"
#include "guest/hcall.h"

#define PA(sym)             ((sym) - KERNEL_BASE)
#define BP_CMD_LINE_PTR     0x228
#define BP_E820_SIZE_LO     (0x2D0 + 8)     /* e820_map[0].size, a u64 */
#define BP_E820_SIZE_HI     (0x2D0 + 12)
#define PDE_FLAGS           0x067           /* P RW US A D: all the host allows */
#define PTE_FLAGS           0x063           /* P RW A D: no fault just to set A/D */

    .section .text.entry, "ax"
    .globl lgtest_start
lgtest_start:
    cld
    movl $PA(boot_stack_top), %esp

    /* BSS first (ESI, the boot_params GPA, is not touched). The loader
     * zero-fills it too, but a restart must not depend on that. */
    movl $PA(__bss_start), %edi
    movl $PA(__bss_end), %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb

    /* boot_params (4096 bytes at ESI) and the command line. */
    movl $PA(boot_params), %edi
    movl $1024, %ecx
    rep movsl
    movl PA(boot_params) + BP_CMD_LINE_PTR, %esi
    testl %esi, %esi
    jz 1f
    movl $PA(boot_cmdline), %edi
    movl $2047, %ecx                /* the last byte stays NUL */
    rep movsb
1:
    /* RAM size from e820 entry 0 (the only one an lguest guest reads),
     * capped so the direct map stays below our kernel windows. */
    movl PA(boot_params) + BP_E820_SIZE_LO, %eax
    cmpl $0, PA(boot_params) + BP_E820_SIZE_HI
    jne 2f
    cmpl $MAX_RAM, %eax
    jbe 3f
2:  movl $MAX_RAM, %eax
3:  andl $~(PAGE_SIZE - 1), %eax
    movl %eax, PA(ram_bytes)

#ifdef LG_PAE
    /* PAE (as head_32.S for HIGHMEM64G): 8-byte PTEs after the image, 512
     * per table, the tail of the last cleared; then one page middle
     * directory naming them; the PDPT's entries 0 (identity) and 3
     * (KERNEL_BASE) both name it, with only P set. High words are 0. */
    movl $PA(__kernel_end), %edi
    shrl $PAGE_SHIFT, %eax
    movl %eax, %ebx                 /* RAM pages */
    xorl %ecx, %ecx
    movl $PTE_FLAGS, %eax
4:  cmpl %ebx, %ecx
    jae 5f
    movl %eax, (%edi,%ecx,8)
    movl $0, 4(%edi,%ecx,8)
    addl $PAGE_SIZE, %eax
    incl %ecx
    jmp 4b
5:  testl $511, %ecx
    jz 6f
    movl $0, (%edi,%ecx,8)
    movl $0, 4(%edi,%ecx,8)
    incl %ecx
    jmp 5b
6:  shrl $9, %ecx                   /* number of page tables */
    movl %ecx, PA(boot_pt_count)
    movl %ecx, %edx
    shll $PAGE_SHIFT, %edx
    addl %edi, %edx                 /* the PMD page */
    pushl %edi
    pushl %ecx
    movl %edx, %edi
    movl $1024, %ecx
    xorl %eax, %eax
    rep stosl
    popl %ecx
    popl %edi
    leal PDE_FLAGS(%edi), %eax
    xorl %esi, %esi
7:  movl %eax, (%edx,%esi,8)
    addl $PAGE_SIZE, %eax
    incl %esi
    cmpl %ecx, %esi
    jb 7b
    leal 1(%edx), %eax
    movl %eax, PA(boot_pgdir)
    movl %eax, PA(boot_pgdir) + 24
    addl $PAGE_SIZE, %edx
    movl %edx, PA(boot_free_pa)     /* first page nobody uses yet */
#else
    /* Page tables go in the pages right after the image: one PTE per RAM
     * page, the tail of the last table cleared. */
    movl $PA(__kernel_end), %edi
    shrl $PAGE_SHIFT, %eax
    movl %eax, %ebx                 /* RAM pages */
    xorl %ecx, %ecx
    movl $PTE_FLAGS, %eax
4:  cmpl %ebx, %ecx
    jae 5f
    movl %eax, (%edi,%ecx,4)
    addl $PAGE_SIZE, %eax
    incl %ecx
    jmp 4b
5:  testl $1023, %ecx
    jz 6f
    movl $0, (%edi,%ecx,4)
    incl %ecx
    jmp 5b
6:  shrl $10, %ecx                  /* number of page tables */

    /* The same tables twice: identity (so this code keeps running after
     * NEW_PGTABLE) and at KERNEL_BASE (where the C kernel runs). The
     * directory is in BSS, so all other entries are already zero. */
    movl $PA(boot_pgdir), %esi
    leal PDE_FLAGS(%edi), %eax
    xorl %edx, %edx
7:  movl %eax, (%esi,%edx,4)
    movl %eax, (KERNEL_BASE >> 22) * 4(%esi,%edx,4)
    addl $PAGE_SIZE, %eax
    incl %edx
    cmpl %ecx, %edx
    jb 7b
    movl %ecx, PA(boot_pt_count)
    shll $PAGE_SHIFT, %ecx
    addl %edi, %ecx
    movl %ecx, PA(boot_free_pa)     /* first page nobody uses yet */

#endif

    /* The two hypercalls of lguest_entry: register lguest_data, then
     * leave the host's identity mode for our tables. */
#ifdef LG_GEN2632
    /* 2.6.32: vmcall, and the host has built tables that map RAM at
     * KERNEL_BASE too: the virtual read of lguest_data.pgdir proves both
     * (no IDT yet: a fault there would stop us). Then our own tables, as
     * 2.6.32 moves to swapper_pg_dir. */
    movl $LHCALL_LGUEST_INIT, %eax
    movl $PA(lguest_data), %ebx
    .byte 0x0f, 0x01, 0xc1
    movl lguest_data + LGD_PGDIR, %eax
    testl %eax, %eax
    jz 9f
    movl %eax, host_boot_pgdir
    movl $PA(boot_pgdir), %ebx
    movl %ebx, lguest_data + LGD_PGDIR
    movl $LHCALL_NEW_PGTABLE, %eax
    .byte 0x0f, 0x01, 0xc1
#else
    movl $LHCALL_LGUEST_INIT, %eax
    movl $PA(lguest_data), %ebx
    int $0x1f
    movl $LHCALL_NEW_PGTABLE, %eax
    movl $PA(boot_pgdir), %ebx
    int $0x1f
#endif

    /* Now the virtual addresses work: same stack, seen from above. */
    movl $boot_stack_top, %esp
    xorl %ebp, %ebp
    movl $kernel_main, %eax
    call *%eax
8:  jmp 8b
#ifdef LG_GEN2632
9:  movl $LHCALL_SHUTDOWN, %eax
    movl $PA(no_pgdir), %ebx
    movl $LGUEST_SHUTDOWN_POWEROFF, %ecx
    .byte 0x0f, 0x01, 0xc1
    jmp 9b
no_pgdir:
    .asciz "lgtest: the host wrote no pgdir into lguest_data (2.6.32 ABI)"
#endif

    .section .bss.page_aligned, "aw", @nobits
    .balign PAGE_SIZE
    .globl boot_pgdir
boot_pgdir:
    .skip PAGE_SIZE
    .globl boot_params
boot_params:
    .skip PAGE_SIZE
    .globl boot_stack, boot_stack_top
    .balign KSTACK_SIZE
boot_stack:
    .skip KSTACK_SIZE
boot_stack_top:

    .section .bss, "aw", @nobits
    .balign 4
    .globl boot_cmdline, ram_bytes, boot_pt_count, boot_free_pa
boot_cmdline:
    .skip 2048
ram_bytes:
    .skip 4
boot_pt_count:
    .skip 4
boot_free_pa:
    .skip 4
#ifdef LG_GEN2632
    .globl host_boot_pgdir
host_boot_pgdir:
    .skip 4
#endif

    .section .note.GNU-stack, "", @progbits
