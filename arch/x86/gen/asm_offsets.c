/* Structure offsets for assembly, generated at build time (never typed in
 * by hand): the Makefile compiles this file to assembly and turns each
 * "->NAME value" marker into "#define NAME value" in asm-offsets.h. */
#include <stddef.h>
#include "arch/x86/trap.h"

#define DEFINE(name, value) __asm__ volatile("\n->" #name " %c0" :: "i"(value))

void asm_offsets(void);
void asm_offsets(void)
{
    DEFINE(TF_SIZE, sizeof(struct trap_frame));
    /* a stub has pushed vector and error code; where is the saved CS? */
    DEFINE(TF_CS_FROM_VECTOR, offsetof(struct trap_frame, cs) - offsetof(struct trap_frame, vector));
    DEFINE(TF_EIP_FROM_VECTOR, offsetof(struct trap_frame, eip) - offsetof(struct trap_frame, vector));
    DEFINE(TF_SEGS_SIZE, offsetof(struct trap_frame, edi));
}
