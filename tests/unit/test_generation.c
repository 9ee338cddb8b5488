/* sources: kernel/lguest/generation.c */
#include <string.h>
#include "tests/unit/check.h"
#include "kernel/lguest/generation.h"

static char why[200];
static enum guest_gen gen;

static void layouts(void)
{
    CHECK(gen_decide(false, 0xC0000000u, 0x80, GUEST_ABI_AUTO, &gen, why, sizeof(why)));
    CHECK_EQ(gen, GEN_310);
    CHECK_CONTAINS(why, "+0x56c");
    CHECK(gen_decide(false, 0x80, 0, GUEST_ABI_AUTO, &gen, why, sizeof(why)));
    CHECK_EQ(gen, GEN_4);
    CHECK_CONTAINS(why, "noirq_iret");
    /* whatever follows a 4.x struct, 0x80 at 0x568 is 4.x */
    CHECK(gen_decide(false, 0x80, 0x80, GUEST_ABI_AUTO, &gen, why, sizeof(why)));
    CHECK_EQ(gen, GEN_4);
    CHECK(gen_decide(true, 0, 0, GUEST_ABI_AUTO, &gen, why, sizeof(why)));
    CHECK_EQ(gen, GEN_2632);
    CHECK(!gen_decide(false, 0xC0000000u, 129, GUEST_ABI_AUTO, &gen, why, sizeof(why)));
    CHECK_CONTAINS(why, "bad syscall vector 129");
}

static void forced(void)
{
    CHECK(gen_decide(false, 0x80, 0, GUEST_ABI_4, &gen, why, sizeof(why)));
    CHECK_CONTAINS(why, "abi=4 forced");
    CHECK(!gen_decide(false, 0x80, 0, GUEST_ABI_310, &gen, why, sizeof(why)));
    CHECK_CONTAINS(why, "abi=3.10 forced, but this is a 4.x guest");
    CHECK_CONTAINS(why, "not run as 3.10");
    CHECK(!gen_decide(false, 0xC0000000u, 0x80, GUEST_ABI_4, &gen, why, sizeof(why)));
    CHECK_CONTAINS(why, "abi=4 forced, but this is a 3.10 guest");
    CHECK(!gen_decide(false, 0xC0000000u, 0x80, GUEST_ABI_2632, &gen, why, sizeof(why)));
    CHECK_CONTAINS(why, "not run as 2.6.32");
    CHECK(!gen_decide(true, 0, 0, GUEST_ABI_4, &gen, why, sizeof(why)));
    CHECK_CONTAINS(why, "this is a 2.6.32 guest (LGUEST_INIT by vmcall)");
    CHECK(gen_decide(true, 0, 0, GUEST_ABI_2632, &gen, why, sizeof(why)));
}

int main(void)
{
    RUN(layouts);
    RUN(forced);
    return CHECK_EXIT_STATUS();
}
