/* User-mode instructions that trap. Each probe copies its ESP to EBX
 * first, so the kernel can compare the user ESP in the trap frame with the
 * ESP at the faulting instruction; the _insn labels are the EIPs the
 * frames must show. A probe that is killed never returns. */
#include "guest/layout.h"
#include "guest/syscall_abi.h"

    .text
    .globl u_pf_read, u_pf_read_insn
u_pf_read:                          /* not present, read: error code 4 */
    movl %esp, %ebx
    movl $0x10, %ecx
u_pf_read_insn:
    movl (%ecx), %eax
    ret

    .globl u_pf_write_ro, u_pf_write_ro_insn
u_pf_write_ro:                      /* present, write, user: error code 7 */
    movl %esp, %ebx
    movl $USER_TEXT_VA, %ecx
    movl (%ecx), %edx               /* the read makes the page present for the host too */
u_pf_write_ro_insn:
    movl %eax, (%ecx)
    ret

    .globl u_pf_kernel, u_pf_kernel_insn
u_pf_kernel:                        /* present, read, user: error code 5 */
    movl %esp, %ebx
    movl $(KERNEL_BASE + KERNEL_PHYS), %ecx
u_pf_kernel_insn:
    movl (%ecx), %eax
    ret

    .globl u_int1f, u_int1f_insn
u_int1f:                            /* the hypercall gate has DPL 1: #GP(0x1f*8+2) */
    movl %esp, %ebx
    movl $0, %eax
u_int1f_insn:
    int $0x1f
    ret

    .globl u_int3, u_int3_after
u_int3:                             /* DPL-3 gate: a trap, then we go on */
    movl %esp, %ebx
    int3
u_int3_after:
    movl $7, %eax
    ret

    .globl u_ud2, u_ud2_insn
u_ud2:
    movl %esp, %ebx
u_ud2_insn:
    ud2
    ret

    /* 2.6.32's hypercall instruction from user mode: never a hypercall,
     * never patched; the guest gets its #UD. */
    .globl u_vmcall, u_vmcall_insn
u_vmcall:
    movl %esp, %ebx
    movl $17, %eax
u_vmcall_insn:
    .byte 0x0f, 0x01, 0xc1
    ret

    .globl u_div0, u_div0_insn
u_div0:
    movl %esp, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    movl $5, %eax
u_div0_insn:
    divl %ecx
    ret

    .globl u_cli, u_cli_insn
u_cli:                              /* emulated only at CPL 1: #GP(0) here */
    movl %esp, %ebx
u_cli_insn:
    cli
    ret

    .globl u_inb, u_inb_insn
u_inb:
    movl %esp, %ebx
u_inb_insn:
    inb $0x60, %al
    ret

    .globl u_hlt, u_hlt_insn
u_hlt:
    movl %esp, %ebx
u_hlt_insn:
    hlt
    ret

/* u32 u_regs_syscall(void): a system call with known values in every
 * register; returns a bit per register that came back changed (bit 0: the
 * result in EAX was not 0). */
    .globl u_regs_syscall
u_regs_syscall:
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl $0x11111111, %ebx
    movl $0x22222222, %ecx
    movl $0x33333333, %edx
    movl $0x44444444, %esi
    movl $0x55555555, %edi
    movl $0x66666666, %ebp
    movl $SYS_NOP, %eax
    int $0x80
    pushl $0
    cmpl $0, %eax
    je 1f
    orl $1, (%esp)
1:  cmpl $0x11111111, %ebx
    je 1f
    orl $2, (%esp)
1:  cmpl $0x22222222, %ecx
    je 1f
    orl $4, (%esp)
1:  cmpl $0x33333333, %edx
    je 1f
    orl $8, (%esp)
1:  cmpl $0x44444444, %esi
    je 1f
    orl $16, (%esp)
1:  cmpl $0x55555555, %edi
    je 1f
    orl $32, (%esp)
1:  cmpl $0x66666666, %ebp
    je 1f
    orl $64, (%esp)
1:  popl %eax
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

    .section .note.GNU-stack, "", @progbits
