/* Guest interrupt-descriptor-table gates (lguest ABI 4.2). Pure logic. */
#ifndef KERNEL_LGUEST_GATE_H
#define KERNEL_LGUEST_GATE_H
#include <stdint.h>

#define GUEST_KERNEL_CS 0x61    /* forced into every guest gate */
#define GATE_TYPE_INT   0xE
#define GATE_TYPE_TRAP  0xF

enum gate_result {
    GATE_OK,            /* *out holds the gate to store */
    GATE_IGNORED,       /* vectors 2, 8, 15, 0x1F: the hypervisor's */
    GATE_BAD_VECTOR,    /* vector >= 256 */
    GATE_BAD_TYPE,      /* present, but not a 32-bit interrupt or trap gate */
    GATE_BAD_HANDLER,   /* present, handler at or above limit (the switcher) */
};

/* Validates LHCALL_LOAD_IDT_ENTRY(vector, lo, hi). Not present (bit 47
 * clear): *out = 0. Present: type must be 0xE or 0xF and the handler offset
 * below handler_limit; then *out = lo' | hi' << 32 with
 * lo' = (0x61 << 16) | (lo & 0xFFFF) and hi' = hi & 0xFFFFEF00. *out is
 * written only when the result is GATE_OK. The DPL is the guest's choice:
 * a DPL 3 gate only lets user mode enter its own kernel at CPL 1. */
enum gate_result gate_from_guest(uint32_t vector, uint32_t lo, uint32_t hi, uint32_t handler_limit,
                                 uint64_t *out);

static inline uint32_t gate_offset(uint64_t g)  { return (uint32_t)(g & 0xFFFF) | (uint32_t)(g >> 32 & 0xFFFF0000u); }
static inline uint32_t gate_type(uint64_t g)    { return (uint32_t)(g >> 40) & 0xF; }
static inline uint32_t gate_dpl(uint64_t g)     { return (uint32_t)(g >> 45) & 3; }
static inline int gate_present(uint64_t g)      { return (int)(g >> 47) & 1; }

#endif
