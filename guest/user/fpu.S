/* FPU/SSE work whose register state must survive everything: process
 * switches with lazy TS in the guest, and whatever the host does between
 * guests. Written in assembly so the state lives in registers for the
 * whole run, not in compiler-chosen spill slots. Layouts: fpu.h. */
#include "guest/syscall_abi.h"
#include "guest/user/fpu.h"

    .text
/* u32 u_fpu_keep(struct fpu_keep *k): loads xmm0-6 and seven x87 values
 * plus control words, then for k->rounds rounds: yields, spins, checks
 * every register and control word against k's expectations and steps
 * them (+1 in every lane and every x87 value). Finally checks that the
 * rounding modes still act as set. Returns the number of mismatches. */
    .globl u_fpu_keep
u_fpu_keep:
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl 20(%esp), %esi
    fninit
    fldcw FK_CW(%esi)
    ldmxcsr FK_MXCSR(%esi)
    .irp k,0,1,2,3,4,5,6
    movdqa FK_XMM + 16 * \k(%esi), %xmm\k
    .endr
    .irp i,6,5,4,3,2,1,0
    fildl FK_X87 + 4 * \i(%esi)
    .endr
    movl FK_ROUNDS(%esi), %edi
round:
    movl $SYS_YIELD, %eax
    int $0x80
    movl FK_SPIN(%esi), %ecx
1:  decl %ecx
    jnz 1b

    fnstcw FK_TMP(%esi)
    movzwl FK_TMP(%esi), %eax
    cmpl FK_CW(%esi), %eax
    je 1f
    incl FK_BAD(%esi)
1:  stmxcsr FK_TMP(%esi)
    movl FK_TMP(%esi), %eax
    andl $~0x3F, %eax               /* sticky exception flags do not count */
    cmpl FK_MXCSR(%esi), %eax
    je 1f
    incl FK_BAD(%esi)
1:
    .irp k,0,1,2,3,4,5,6
    movdqa %xmm\k, %xmm7
    pcmpeqd FK_XMM + 16 * \k(%esi), %xmm7
    pmovmskb %xmm7, %eax
    cmpl $0xFFFF, %eax
    je 1f
    incl FK_BAD(%esi)
1:
    .endr
    fistl FK_TMP(%esi)
    movl FK_TMP(%esi), %eax
    cmpl FK_X87(%esi), %eax
    je 1f
    incl FK_BAD(%esi)
1:
    .irp i,1,2,3,4,5,6
    fxch %st(\i)
    fistl FK_TMP(%esi)
    fxch %st(\i)
    movl FK_TMP(%esi), %eax
    cmpl FK_X87 + 4 * \i(%esi), %eax
    je 1f
    incl FK_BAD(%esi)
1:
    .endr

    /* Step the registers and the expectations the same way. */
    .irp k,0,1,2,3,4,5,6
    paddd FK_ONES(%esi), %xmm\k
    .endr
    leal FK_XMM(%esi), %edx
    movl $28, %ecx
1:  incl (%edx)
    addl $4, %edx
    decl %ecx
    jnz 1b
    fld1
    .irp i,1,2,3,4,5,6,7
    fadd %st(0), %st(\i)
    .endr
    fstp %st(0)
    leal FK_X87(%esi), %edx
    movl $7, %ecx
1:  incl (%edx)
    addl $4, %edx
    decl %ecx
    jnz 1b

    decl %edi
    jnz round

    /* 7 / 2 = 3.5 rounds to 3 or 4 depending on the x87 rounding control;
     * 2.5 to 2 or 3 depending on the MXCSR's. */
    fildl FK_SEVEN(%esi)
    fidivl FK_TWO(%esi)
    fistpl FK_TMP(%esi)
    movl FK_TMP(%esi), %eax
    movl %eax, FK_GOT_X87_ROUND(%esi)
    cmpl FK_WANT_X87_ROUND(%esi), %eax
    je 1f
    incl FK_BAD(%esi)
1:  movsd FK_TWO_AND_HALF(%esi), %xmm7
    cvtsd2si %xmm7, %eax
    movl %eax, FK_GOT_SSE_ROUND(%esi)
    cmpl FK_WANT_SSE_ROUND(%esi), %eax
    je 1f
    incl FK_BAD(%esi)
1:
    fninit
    movl FK_BAD(%esi), %eax
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

/* void u_fpu_long(struct fpu_long *l): l->iters rounds of xorshift32 on
 * the 16 lanes of xmm0-3, and an x87 running sum 1 + 2 + ... + iters kept
 * on the register stack; results back into l. No system calls: only
 * preemption (guest timer, host) interrupts it. */
    .globl u_fpu_long
u_fpu_long:
    pushl %esi
    movl 8(%esp), %esi
    movdqa FL_LANES(%esi), %xmm0
    movdqa FL_LANES + 16(%esi), %xmm1
    movdqa FL_LANES + 32(%esi), %xmm2
    movdqa FL_LANES + 48(%esi), %xmm3
    fninit
    fld1                            /* increment */
    fldz                            /* sum */
    movl FL_ITERS(%esi), %ecx
    testl %ecx, %ecx
    jz 2f
1:
    .irp k,0,1,2,3
    movdqa %xmm\k, %xmm4
    pslld $13, %xmm4
    pxor %xmm4, %xmm\k
    movdqa %xmm\k, %xmm4
    psrld $17, %xmm4
    pxor %xmm4, %xmm\k
    movdqa %xmm\k, %xmm4
    pslld $5, %xmm4
    pxor %xmm4, %xmm\k
    .endr
    fadd %st(1), %st(0)             /* sum += increment */
    fld1
    faddp %st(0), %st(2)            /* increment += 1 */
    decl %ecx
    jnz 1b
2:  fistpll FL_SUM(%esi)
    fstp %st(0)
    movdqa %xmm0, FL_OUT(%esi)
    movdqa %xmm1, FL_OUT + 16(%esi)
    movdqa %xmm2, FL_OUT + 32(%esi)
    movdqa %xmm3, FL_OUT + 48(%esi)
    popl %esi
    ret

    .section .note.GNU-stack, "", @progbits
