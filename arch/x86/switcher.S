/* The switcher: the code that moves the CPU between the hypervisor and a
 * guest. It is assembled here but runs only from its copy at SWITCHER_VA,
 * mapped at the same address in the hypervisor's and every guest's address
 * space, because the instant CR3 changes the code doing it must be mapped
 * on both sides. Everything it touches is in the switcher pages: the guest's
 * register frame (SWITCHER_REGS_VA) and the tables page (host CR3 and ESP).
 *
 * Entry: switch_to_guest(cr3) saves the hypervisor's callee-saved registers
 * on its stack and that stack pointer in the tables page, loads the guest's
 * shadow page directory, points ESP at the guest's frame and pops it: the
 * final iret drops to ring 1 or 3. The frame sits at the top of its page so
 * that a fault while popping it still has stack below to push onto.
 *
 * Exit: every vector's stub pushes an error code where the CPU did not, and
 * the vector. A trap from ring 0 is the hypervisor's own and goes on to its
 * trap handler. A trap from the guest arrived on the TSS ring-0 stack, which
 * ends at the top of the guest's frame, so pushing the general and segment
 * registers completes the frame in place; then host CR3 and ESP come back and
 * switch_to_guest returns SWITCH_EXIT to its caller. */
#include "arch/x86/selectors.h"
#include "arch/x86/switcher.h"
#include "arch/x86/trap_stub.h"
#include "asm-offsets.h"

#define SWITCHER_FRAME_VA (SWITCHER_REGS_VA + 0x1000 - TF_SIZE)
#define SW(sym) (SWITCHER_VA + ((sym) - switcher_start))

    .section .rodata.switcher, "a"
    .align 4096
    .global switcher_start, switcher_end
switcher_start:

/* uint32_t switch_to_guest(uint32_t cr3), cdecl, IF clear. */
    .global switch_to_guest
switch_to_guest:
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl 20(%esp), %eax
    movl %esp, SWITCHER_TABLES_VA + TBL_HOST_ESP
    movl %eax, %cr3
    movl $SWITCHER_FRAME_VA, %esp
    .global switcher_entry_window
switcher_entry_window:              /* a fault from here to the iret is the guest's state */
    popl %gs
    popl %fs
    popl %es
    popl %ds
    popal
    addl $8, %esp                   /* vector, error code */
    iret
    .global switcher_entry_window_end
switcher_entry_window_end:

trap_from_hypervisor:
    cmpl $2, (%esp)
    je drop_nmi                     /* NMIs are dropped (lguest ABI 4.6) */
    cmpl $1, (%esp)
    je drop_debug
    cmpl $SW(switcher_entry_window), TF_EIP_FROM_VECTOR(%esp)
    jb 1f
    cmpl $SW(switcher_entry_window_end), TF_EIP_FROM_VECTOR(%esp)
    jb entry_fault
1:  jmp *SW(host_trap_entry)

/* A debug trap in ring 0 is never the hypervisor's (it uses no debug
 * registers or TF); a guest's TF held over "mov ss; int $0x1f" can deliver
 * one on the switcher's first instruction, still on the guest's CR3, where
 * no hypervisor handler is mapped. Forget it right here. */
drop_debug:
    andl $~0x100, TF_EIP_FROM_VECTOR + 8(%esp)     /* the saved EFLAGS: TF off */
drop_nmi:
    addl $8, %esp
    iret

/* The guest's saved state could not be loaded. The fault frame sits on the
 * regs page; the guest is finished anyway, so simply go home. */
entry_fault:
    movl $SWITCH_ENTRY_FAULT, %ecx
    jmp go_home

trap_common:
    testb $3, TF_CS_FROM_VECTOR(%esp)
    jz trap_from_hypervisor
    pushal
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    xorl %ecx, %ecx                 /* SWITCH_EXIT */
go_home:                            /* ecx: what switch_to_guest returns */
    movl $SEL_HOST_DS, %eax
    movl %eax, %ds
    movl %eax, %es
    movl SWITCHER_TABLES_VA + TBL_HOST_CR3, %eax
    movl %eax, %cr3
    movl SWITCHER_TABLES_VA + TBL_HOST_ESP, %esp
    movl %ecx, %eax
    cld                             /* the guest may have left DF set */
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

    .align 4
host_trap_entry:
    .long trap_common_host

    .set i, 0
    .rept 256
    trap_stub switcher_vector_, %i, trap_common, 4
    .set i, i + 1
    .endr
switcher_end:

    .macro stub_offset n
    .long switcher_vector_\n - switcher_start
    .endm
    .section .rodata
    .align 4
    .global switcher_stub_offsets, switcher_entry_offset
switcher_entry_offset:
    .long switch_to_guest - switcher_start
switcher_stub_offsets:
    .set i, 0
    .rept 256
    stub_offset %i
    .set i, i + 1
    .endr
