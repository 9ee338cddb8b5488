/* Where an application processor starts: a start-up IPI drops it in real
 * mode at the first byte of the page this code was copied to (below 1 MiB,
 * see smp.c). It moves to 32-bit protected mode on a flat GDT of its own,
 * turns paging on with its CPU's page directory and jumps to ap_main with
 * the stack and CPU index the boot CPU left in the data block at the end.
 * The code runs at whatever page it was copied to: %ebx holds that base. */
#include "arch/x86/ap_start.h"

    .section .rodata.ap_start, "a"
    .global ap_start_begin, ap_start_end
    .code16
ap_start_begin:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    movzwl %ax, %ebx
    shll $4, %ebx                               /* linear base of this page */
    leal (gdt - ap_start_begin)(%ebx), %eax
    movl %eax, (gdtr - ap_start_begin + 2)
    leal (pm32 - ap_start_begin)(%ebx), %eax
    movl %eax, (farptr - ap_start_begin)
    lgdtl (gdtr - ap_start_begin)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl *(farptr - ap_start_begin)

    .code32
pm32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl AP_DATA_CR4(%ebx), %eax
    movl %eax, %cr4                             /* PAE before CR3: CR3 names a PDPT */
    movl AP_DATA_EFER(%ebx), %eax
    testl %eax, %eax
    jz 1f
    movl $0xC0000080, %ecx                      /* NXE before paging: entries carry XD */
    xorl %edx, %edx
    wrmsr
1:
    movl AP_DATA_CR3(%ebx), %eax
    movl %eax, %cr3
    movl AP_DATA_CR0(%ebx), %eax
    movl %eax, %cr0                             /* paging on: this page is identity-mapped */
    movl AP_DATA_ESP(%ebx), %esp
    pushl AP_DATA_INDEX(%ebx)
    pushl $0                                    /* ap_main never returns */
    jmp *AP_DATA_ENTRY(%ebx)

    .align 8
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF                    /* 0x08: flat 32-bit code */
    .quad 0x00CF92000000FFFF                    /* 0x10: flat data */
gdtr:
    .word 3 * 8 - 1
    .long 0
farptr:
    .long 0
    .word 0x08
ap_start_end:
