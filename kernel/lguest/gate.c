/* Guest IDT gates (ABI 4.2). The stored gate always names the guest kernel
 * CS, so a guest can never make the CPU enter ring 0 through its IDT. */
#include <stdint.h>
#include "kernel/lguest/gate.h"

#define GATE_PRESENT    (1u << 15)      /* in the high word */
#define GATE_HI_KEEP    0xFFFFEF00u     /* offset 31..16, P, DPL, type */

/* NMI, double fault, the reserved 15 and the hypercall vector belong to the
 * hypervisor whatever the guest puts there (Linux's vector 8 is a task gate). */
static int vector_ignored(uint32_t vector)
{
    return vector == 2 || vector == 8 || vector == 15 || vector == 0x1F;
}

enum gate_result gate_from_guest(uint32_t vector, uint32_t lo, uint32_t hi, uint32_t handler_limit,
                                 uint64_t *out)
{
    if (vector >= 256)
        return GATE_BAD_VECTOR;
    if (vector_ignored(vector))
        return GATE_IGNORED;
    if (!(hi & GATE_PRESENT)) {
        *out = 0;
        return GATE_OK;
    }
    uint32_t type = hi >> 8 & 0xF;
    if (type != GATE_TYPE_INT && type != GATE_TYPE_TRAP)
        return GATE_BAD_TYPE;
    uint32_t offset = (lo & 0xFFFF) | (hi & 0xFFFF0000u);
    if (offset >= handler_limit)
        return GATE_BAD_HANDLER;
    uint32_t lo2 = (uint32_t)GUEST_KERNEL_CS << 16 | (lo & 0xFFFF);
    *out = (uint64_t)(hi & GATE_HI_KEEP) << 32 | lo2;
    return GATE_OK;
}
