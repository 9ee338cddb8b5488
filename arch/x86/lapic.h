#ifndef ARCH_X86_LAPIC_H
#define ARCH_X86_LAPIC_H
#include <stdbool.h>
#include <stdint.h>

/* Enables the local APIC in virtual-wire mode (8259 lines still arrive
 * through LINT0); 0 on success, -1 when there is none. */
int lapic_init(void);
/* The same for an application processor, on itself (LINT0 masked). */
void lapic_init_ap(void);
int lapic_present(void);
/* Inter-processor interrupts; 0 when sent. */
int lapic_send_ipi(uint32_t apic_id, uint32_t vector);
int lapic_send_ipi_others(uint32_t vector);
int lapic_send_init(uint32_t apic_id);
/* Start-up IPI: the CPU begins in real mode at page << 12. */
int lapic_send_sipi(uint32_t apic_id, uint32_t page);
uint32_t lapic_id(void);
void lapic_eoi(void);
/* Stops ExtINT (the 8259s) arriving through LINT0: I/O APIC mode. */
void lapic_mask_lint0(void);
/* Measures the timer's rate against the (already calibrated) TSC, in kHz. */
uint32_t lapic_timer_calibrate(void);
/* One-shot interrupt on VEC_APIC_TIMER after ns; 0 stops the timer. */
void lapic_timer_oneshot(uint64_t ns);

#endif
