/* Shared by irq.c (the GSI vector handler) and irq_probe.c only. */
#ifndef ARCH_X86_IRQ_PROBE_H
#define ARCH_X86_IRQ_PROBE_H
#include <stdint.h>

/* GSIs being watched by irq_probe_gsi, and those seen firing: bit n is
 * GSI n. A watched GSI is masked by its handler as soon as it fires. */
extern volatile uint64_t irq_probe_watch, irq_probe_fired;

#endif
