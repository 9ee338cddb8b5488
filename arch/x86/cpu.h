#ifndef ARCH_X86_CPU_H
#define ARCH_X86_CPU_H
#include <stdint.h>

struct cpu_info {
    char vendor[13];
    char brand[49];
    uint32_t family, model, stepping;
    uint8_t fpu, pse, tsc, msr, pae, apic, pge, cmov, fxsr, sse, sse2;
    uint8_t nx;             /* CPUID 0x80000001 EDX bit 20: PAE entries' XD bit */
    uint8_t invariant_tsc;  /* CPUID 0x80000007 EDX bit 8 */
    uint8_t constant_tsc;   /* rate does not follow P-states (invariant, or known model) */
};
extern struct cpu_info cpu;

void cpu_detect(void);
void cpu_log(void);

#endif
