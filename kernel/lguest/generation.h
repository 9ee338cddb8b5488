/* Telling lguest generations apart at LGUEST_INIT. Pure logic. */
#ifndef KERNEL_LGUEST_GENERATION_H
#define KERNEL_LGUEST_GENERATION_H
#include <stdbool.h>
#include <stdint.h>
#include "kernel/lguest/guest_config.h"
#include "kernel/lguest/guest_gen.h"

#define GEN_SYSCALL_VEC 0x80

/* by_vmcall: LGUEST_INIT came by vmcall (2.6.32). at568/at56c: the words
 * at those offsets of lguest_data (int $0x1f guests). Sets *gen and a
 * reason for the log in why (true), or why the guest must stop (false:
 * no known layout, or not the generation abi= forces). */
bool gen_decide(bool by_vmcall, uint32_t at568, uint32_t at56c, enum guest_abi force, enum guest_gen *gen,
                char *why, uint32_t why_len);
const char *gen_abi_option(enum guest_abi abi);     /* "2.6", "3.10", "4" */

#endif
