/* Trap and interrupt entry, the return path with lguest's no-interrupt
 * window, and the kernel stack switch. Every vector has a 16-byte stub at
 * trap_stubs + 16 * vector that makes the frame uniform (error code or a
 * 0 in its place, then the vector) before trap_common builds a
 * struct trap_frame (trap.h) and calls trap_dispatch. */
#include "guest/layout.h"
#include "guest/lguest_data.h"

    .text
    .balign 16
    .globl trap_stubs
trap_stubs:
    vector = 0
    .rept 256
    .balign 16
    /* Exactly these carry an error code from the host (ABI 4.1). */
    .if vector == 8 || (vector >= 10 && vector <= 14) || vector == 17
    .else
    pushl $0
    .endif
    pushl $vector
    jmp trap_common
    vector = vector + 1
    .endr

    /* The handler tests/hypercalls.c puts on vector 3 to see that
     * LOAD_IDT_ENTRY takes effect. */
    .balign 16
    .globl alt_int3_stub
alt_int3_stub:
    pushl $0
    pushl $VEC_ALT_INT3
    jmp trap_common

trap_common:
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    pushal
    movl $SEL_KERNEL_DS, %eax
    movl %eax, %ds
    movl %eax, %es
    cld
    pushl %esp                      /* struct trap_frame * */
    call trap_dispatch
    addl $4, %esp
    .globl trap_return
trap_return:
    popal
    popl %gs
    popl %fs
    popl %es
    popl %ds
    addl $8, %esp                   /* vector, error code */

    /* The iret routine: the EFLAGS being returned to become the virtual
     * interrupt flag. Between the store and the iret an interrupt would
     * run on a stack whose frame we have already committed to, after we
     * decided nothing was pending: so the host delivers none from
     * lg_noirq_start up to lg_noirq_end (ABI 3). SS because DS may hold a
     * user selector by now. */
    pushl %eax
    movl 12(%esp), %eax             /* eax, eip, cs, eflags */
    .globl lg_noirq_start
lg_noirq_start:
    movl %eax, %ss:lguest_data + LGD_IRQ_ENABLED
    popl %eax
    .globl lg_noirq_iret            /* 4.x's noirq_iret: just the iret */
lg_noirq_iret:
    iret
    .globl lg_noirq_end
lg_noirq_end:

/* A new process's first run: switch_stacks "returns" here with the
 * process's initial trap frame right above, built by user.c. */
    .globl proc_first_entry
proc_first_entry:
    pushl %esp
    call ret_to_user_prepare
    addl $4, %esp
    jmp trap_return

/* void switch_stacks(u32 *save_esp, u32 new_esp): the callee-saved
 * registers stay on the old stack, which is all a context needs; the
 * address space, kernel stack for the host and TLS were switched by the
 * caller. */
    .globl switch_stacks
switch_stacks:
    movl 4(%esp), %eax
    movl 8(%esp), %edx
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl %esp, (%eax)
    movl %edx, %esp
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

    .section .note.GNU-stack, "", @progbits
