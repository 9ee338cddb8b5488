#ifndef ARCH_X86_TRAP_H
#define ARCH_X86_TRAP_H
#include <stdint.h>

/* What vectors.S leaves on the stack, lowest address first. */
struct trap_frame {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
    uint32_t vector, error;
    uint32_t eip, cs, eflags;
    uint32_t esp, ss;               /* only when the trap changed privilege */
};

#define VEC_FIRST_IRQ    0x20       /* 8259 lines 0-15: 0x20-0x2F */
#define VEC_FIRST_GSI    0x30       /* I/O APIC GSIs 0-63: 0x30-0x6F (arch/x86/irq.h) */
#define VEC_FIRST_MSI    0x70       /* MSI vectors: 0x70-0x7F (0x80 is the guests' syscall) */
#define VEC_APIC_TIMER   0xF0
#define VEC_WAKE         0xF1       /* IPI: look at your guests again */
#define VEC_HALT         0xF2       /* IPI: another CPU is reporting a fault; stop */
#define VEC_APIC_ERROR   0xFE
#define VEC_APIC_SPURIOUS 0xFF

typedef void (*irq_handler_t)(uint32_t vector);

void idt_init(void);
void irq_set_handler(uint32_t vector, irq_handler_t fn);
void trap_dispatch(struct trap_frame *tf);
/* Runs the handler of a hardware interrupt vector (>= 32). */
void irq_dispatch(uint32_t vector);
void double_fault_task(void);
/* Prints everything known about a hypervisor fault and halts for good. */
void fault_report(const struct trap_frame *tf, uint32_t cr2) __attribute__((noreturn));
const char *trap_name(uint32_t vector);
/* Vector has a CPU-pushed error code. */
int trap_has_error_code(uint32_t vector);

struct irq_stats {
    uint64_t count[256];
    uint64_t spurious_pic, spurious_apic, unexpected;
};
extern struct irq_stats irq_stats;

#endif
