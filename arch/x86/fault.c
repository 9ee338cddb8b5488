/* The last words of a hypervisor that faulted: which fault, where, every
 * register and a short stack walk. Nothing here allocates or takes locks. */
#include "arch/x86/trap.h"
#include "arch/x86/smp.h"
#include "arch/x86/gdt.h"
#include "arch/x86/selectors.h"
#include "arch/x86/x86.h"
#include "kernel/conout.h"
#include "kernel/log.h"
#include "kernel/crash_record.h"
#include "kernel/image.h"

static const char *const names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 FPU error", "alignment check", "machine check",
    "SIMD FP error", "virtualization", "control protection", "reserved", "reserved",
    "reserved", "reserved", "reserved", "reserved", "hypervisor injection",
    "VMM communication", "security", "reserved",
};

const char *trap_name(uint32_t vector)
{
    return vector < 32 ? names[vector] : "interrupt";
}

int trap_has_error_code(uint32_t v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

static int in_image(uint32_t addr)
{
    return addr >= (uint32_t)__image_start && addr + 8 <= (uint32_t)__image_end;
}

static void stack_walk(uint32_t eip, uint32_t ebp)
{
    log_raw("  stack: %08lx", (unsigned long)eip);
    for (int depth = 0; depth < 12 && ebp && (ebp & 3) == 0 && in_image(ebp); depth++) {
        const uint32_t *frame = (const uint32_t *)ebp;
        log_raw(" %08lx", (unsigned long)frame[1]);
        if (frame[0] <= ebp)        /* the chain must climb the stack */
            break;
        ebp = frame[0];
    }
    log_raw("\n  (addr2line -e build/lgvisor.elf ADDR names them)\n");
}

static volatile int reporting;

void fault_report(const struct trap_frame *tf, uint32_t cr2)
{
    cli();
    if (reporting++) {              /* a fault while reporting a fault */
        log_raw("\nnested fault (vector %lu at %08lx): system halted\n",
                (unsigned long)tf->vector, (unsigned long)tf->eip);
        for (;;) hlt();
    }
    smp_halt_others();
    conout_sync();                  /* what was queued goes first, then the report, polled */
    uint32_t v = tf->vector;
    int from_user = (tf->cs & 3) != 0;
    log_raw("\n");
    log_err("hypervisor fault: vector %lu (%s), error code 0x%lx",
            (unsigned long)v, trap_name(v), (unsigned long)tf->error);
    if (v == 14)
        log_raw("  cr2=%08lx (%s, %s, %s)\n", (unsigned long)cr2,
                (tf->error & 1) ? "protection" : "not-present",
                (tf->error & 2) ? "write" : "read", (tf->error & 4) ? "user" : "supervisor");
    log_raw("  eip=%08lx cs=%04lx eflags=%08lx\n", (unsigned long)tf->eip,
            (unsigned long)(tf->cs & 0xFFFF), (unsigned long)tf->eflags);
    log_raw("  eax=%08lx ebx=%08lx ecx=%08lx edx=%08lx\n", (unsigned long)tf->eax,
            (unsigned long)tf->ebx, (unsigned long)tf->ecx, (unsigned long)tf->edx);
    log_raw("  esi=%08lx edi=%08lx ebp=%08lx esp=%08lx\n", (unsigned long)tf->esi,
            (unsigned long)tf->edi, (unsigned long)tf->ebp,
            (unsigned long)(from_user ? tf->esp : (uint32_t)&tf->esp));
    log_raw("  ds=%04lx es=%04lx fs=%04lx gs=%04lx ss=%04lx\n",
            (unsigned long)(tf->ds & 0xFFFF), (unsigned long)(tf->es & 0xFFFF),
            (unsigned long)(tf->fs & 0xFFFF), (unsigned long)(tf->gs & 0xFFFF),
            (unsigned long)(from_user ? tf->ss & 0xFFFF : SEL_HOST_DS));
    log_raw("  cr0=%08lx cr2=%08lx cr3=%08lx cr4=%08lx\n", (unsigned long)read_cr0(),
            (unsigned long)cr2, (unsigned long)read_cr3(), (unsigned long)read_cr4());
    stack_walk(tf->eip, tf->ebp);
    crash_record_note("hypervisor fault: vector %lu (%s), error code 0x%lx at eip %08lx, cr2 %08lx",
                      (unsigned long)v, trap_name(v), (unsigned long)tf->error,
                      (unsigned long)tf->eip, (unsigned long)cr2);
    crash_record_fatal_end();
}

/* Entered by task switch: the faulting context was saved in the TSS the
 * CPU was using, which the back link names. */
void double_fault_task(void)
{
    const struct tss *t = gdt_interrupted_tss();
    struct trap_frame tf = {
        .gs = t->gs, .fs = t->fs, .es = t->es, .ds = t->ds,
        .edi = t->edi, .esi = t->esi, .ebp = t->ebp,
        .ebx = t->ebx, .edx = t->edx, .ecx = t->ecx, .eax = t->eax,
        .vector = 8, .error = 0, .eip = t->eip, .cs = t->cs,
        .eflags = t->eflags, .esp = t->esp, .ss = t->ss,
    };
    log_raw("\n  (double fault: stack pointer was %08lx)\n", (unsigned long)t->esp);
    fault_report(&tf, read_cr2());
}
