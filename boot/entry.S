/* lgvisor's first instructions. GRUB (multiboot2) or QEMU -kernel
 * (multiboot1) enters here in 32-bit protected mode, paging off, with
 * EAX = loader magic and EBX = physical address of the boot information. */

#define MB2_MAGIC     0xE85250D6
#define MB1_MAGIC     0x1BADB002
#define MB1_FLAGS     0x00000003        /* page-aligned modules, memory info */
#define BOOT_STACK    16384

    .section .multiboot, "a"
    .align 8
mb2_header:
    .long MB2_MAGIC
    .long 0                             /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + (mb2_header_end - mb2_header))
    .align 8
mb2_info_request:                       /* the tags we cannot boot without */
    .short 1, 0
    .long mb2_info_request_end - mb2_info_request
    .long 1                             /* command line */
    .long 3                             /* modules */
    .long 6                             /* memory map */
mb2_info_request_end:
    .align 8
    .short 6, 0                         /* page-align modules */
    .long 8
    .align 8
    .short 0, 0                         /* end */
    .long 8
mb2_header_end:

    .align 4
mb1_header:                             /* for QEMU -kernel: fast test boots */
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long -(MB1_MAGIC + MB1_FLAGS)

    .section .text.entry, "ax"
    .global _start
_start:
    cli
    cld
    movl %eax, %edi
    movl %ebx, %esi
    rdtsc                               /* time zero of the boot log */
    movl %eax, boot_tsc
    movl %edx, boot_tsc + 4
    pushl $2                            /* clean EFLAGS: no AC, NT, TF, IOPL */
    popfl
    movl $__bss_start, %edx             /* loaders zero BSS; do not rely on it */
1:  movl $0, (%edx)
    addl $4, %edx
    cmpl $__bss_end, %edx
    jb 1b
    movl $boot_stack + BOOT_STACK, %esp
    xorl %ebp, %ebp                     /* ends the stack walk */
    pushl %esi
    pushl %edi
    call kmain
2:  cli
    hlt
    jmp 2b

    .data
    .align 8
    .global boot_tsc
boot_tsc:
    .quad 0

    .section .bss.pagealigned, "aw", @nobits
    .align 4096
    .global boot_stack
boot_stack:
    .skip BOOT_STACK
