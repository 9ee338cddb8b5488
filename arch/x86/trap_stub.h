/* One trap entry stub, shared by the hypervisor's boot IDT (vectors.S) and
 * the switcher (switcher.S): push a zero where the CPU pushes no error code,
 * then the vector, so every trap frame has the same shape. Assembly only. */
#ifndef ARCH_X86_TRAP_STUB_H
#define ARCH_X86_TRAP_STUB_H
    .altmacro
    .macro trap_stub prefix, n, target, align
    .align \align
\prefix\n:
    .if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
    .else
    pushl $0
    .endif
    pushl $\n
    jmp \target
    .endm
#endif
