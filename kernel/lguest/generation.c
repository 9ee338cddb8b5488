/* Which lguest generation a guest speaks (lguest ABI appendix F), decided
 * at its LGUEST_INIT from how it made the call and from where its
 * build-time syscall_vec sits in lguest_data, and checked against abi=. */
#include <stdio.h>
#include "kernel/lguest/generation.h"

const char *guest_gen_name(enum guest_gen gen)
{
    switch (gen) {
    case GEN_2632: return "2.6.32";
    case GEN_4: return "4.x";
    default: return "3.10";
    }
}

/* A 4.x guest's kernel_address would sit where 3.10 keeps syscall_vec,
 * and 3.10's kernel_address (PAGE_OFFSET) is never 0x80: so 0x80 at 0x568
 * means 4.x whatever follows the struct, and 0x80 at 0x56C means 3.10. */
bool gen_decide(bool by_vmcall, uint32_t at568, uint32_t at56c, enum guest_abi force, enum guest_gen *gen,
                char *why, uint32_t why_len)
{
    if (by_vmcall)
        *gen = GEN_2632;
    else if (at568 == GEN_SYSCALL_VEC)
        *gen = GEN_4;
    else if (at56c == GEN_SYSCALL_VEC)
        *gen = GEN_310;
    else {
        snprintf(why, why_len, "bad syscall vector %lu (lguest_data+0x56c; +0x568 holds %lu, 0x80 in a 4.x guest)",
                 (unsigned long)at56c, (unsigned long)at568);
        return false;
    }
    const char *how = *gen == GEN_2632 ? "LGUEST_INIT by vmcall"
                    : *gen == GEN_4 ? "LGUEST_INIT by int $0x1f, syscall_vec 0x80 at lguest_data+0x568 (noirq_iret layout)"
                                    : "LGUEST_INIT by int $0x1f, syscall_vec 0x80 at lguest_data+0x56c";
    static const enum guest_gen forced_gen[] = { [GUEST_ABI_2632] = GEN_2632, [GUEST_ABI_310] = GEN_310,
                                                 [GUEST_ABI_4] = GEN_4 };
    if (force == GUEST_ABI_AUTO) {
        snprintf(why, why_len, "%s", how);
        return true;
    }
    if (forced_gen[force] != *gen) {
        snprintf(why, why_len, "abi=%s forced, but this is a %s guest (%s): not run as %s",
                 gen_abi_option(force), guest_gen_name(*gen), how, guest_gen_name(forced_gen[force]));
        return false;
    }
    snprintf(why, why_len, "abi=%s forced; %s", gen_abi_option(force), how);
    return true;
}

const char *gen_abi_option(enum guest_abi abi)
{
    switch (abi) {
    case GUEST_ABI_2632: return "2.6";
    case GUEST_ABI_310: return "3.10";
    case GUEST_ABI_4: return "4";
    default: return "auto";
    }
}
