/* Kernel-mode instructions that trap on purpose. Each probe records its
 * ESP right before the faulting instruction (probe_esp): a kernel-mode
 * trap frame (EIP, CS, EFLAGS, no SS/ESP: ABI 4.5) must end exactly there.
 * The _insn labels are where the fault must be reported, the _resume
 * labels where tests/traps.c continues (expect_fault). */
#include "guest/layout.h"

    .text
    .globl probe_div0, probe_div0_insn, probe_div0_resume
probe_div0:
    xorl %ecx, %ecx
    movl $1, %eax
    xorl %edx, %edx
    movl %esp, probe_esp
probe_div0_insn:
    divl %ecx
probe_div0_resume:
    ret

    .globl probe_int3, probe_int3_after
probe_int3:
    movl %esp, probe_esp
    int3
probe_int3_after:
    ret

    .globl probe_ud2, probe_ud2_insn, probe_ud2_resume
probe_ud2:
    movl %esp, probe_esp
probe_ud2_insn:
    ud2
probe_ud2_resume:
    ret

/* void probe_gp_selector(u32 sel): loads sel into FS. */
    .globl probe_gp_selector, probe_gp_selector_insn, probe_gp_selector_resume
probe_gp_selector:
    movl 4(%esp), %eax
    movl %esp, probe_esp
probe_gp_selector_insn:
    movl %eax, %fs
probe_gp_selector_resume:
    ret

/* u32 probe_read(u32 va): 0 if it faulted and was resumed. */
    .globl probe_read, probe_read_insn, probe_read_resume
probe_read:
    movl 4(%esp), %ecx
    xorl %eax, %eax
    movl %esp, probe_esp
probe_read_insn:
    movl (%ecx), %eax
probe_read_resume:
    ret

/* void probe_write(u32 va, u32 value) */
    .globl probe_write, probe_write_insn, probe_write_resume
probe_write:
    movl 4(%esp), %ecx
    movl 8(%esp), %eax
    movl %esp, probe_esp
probe_write_insn:
    movl %eax, (%ecx)
probe_write_resume:
    ret

/* u32 probe_fs_read(u32 offset): a load through FS. */
    .globl probe_fs_read, probe_fs_read_insn, probe_fs_read_resume
probe_fs_read:
    movl 4(%esp), %ecx
    xorl %eax, %eax
    movl %esp, probe_esp
probe_fs_read_insn:
    movl %fs:(%ecx), %eax
probe_fs_read_resume:
    ret

/* void probe_hcall_regs(nr, a1, a2, a3): a hypercall with every other
 * register holding a known value; all eight after it go to probe_regs. */
    .globl probe_hcall_regs
probe_hcall_regs:
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl 20(%esp), %eax
    movl 24(%esp), %ebx
    movl 28(%esp), %ecx
    movl 32(%esp), %edx
    movl %esp, probe_esp
    movl $0x5151A5A5, %esi
    movl $0xD1D15A5A, %edi
    movl $0xB0B0C3C3, %ebp
    int $0x1f
    movl %eax, probe_regs
    movl %ebx, probe_regs + 4
    movl %ecx, probe_regs + 8
    movl %edx, probe_regs + 12
    movl %esi, probe_regs + 16
    movl %edi, probe_regs + 20
    movl %ebp, probe_regs + 24
    movl %esp, probe_regs + 28
    movl probe_esp, %esp
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

/* An x87 instruction: raises #NM while the virtual TS is set. */
    .globl probe_fpu_touch
probe_fpu_touch:
    fldz
    fstp %st(0)
    ret

    .bss
    .balign 4
    .globl probe_esp, probe_regs
probe_esp:
    .skip 4
probe_regs:
    .skip 32

    .section .note.GNU-stack, "", @progbits
