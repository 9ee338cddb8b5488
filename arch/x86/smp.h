#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H
#include <stdint.h>

/* Starts the CPUs named by apic_ids (the boot CPU's own id is skipped),
 * at most limit CPUs in all (0: no limit), through the start-up code
 * copied to page_phys (4 KiB aligned, below 1 MiB). Returns the CPUs
 * online, the boot CPU included; each new one waits for the big lock and
 * then runs its scheduler. */
uint32_t smp_start(const uint8_t *apic_ids, uint32_t n, uint32_t limit, uint32_t page_phys);
/* A fault report is being written: the other CPUs stop where they are. */
void smp_halt_others(void);

#endif
