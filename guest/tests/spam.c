/* test=spam [loops=N]: N console lines (default 5000) as fast as the guest
 * can print them, then DONE: a noisy neighbour for the tests of the
 * hypervisor's console queue, which must drop what the serial line cannot
 * carry instead of slowing the machine down. */
#include <stdio.h>
#include "guest/test.h"
#include "guest/tests/tests.h"

#define DEFAULT_LINES 5000

void test_spam(void)
{
    u32 n = opts.loops ? opts.loops : DEFAULT_LINES;
    for (u32 i = 0; i < n; i++)
        printf("spam %6u the quick brown fox jumps over the lazy dog, again and again\n", (unsigned)i);
    pass("spam/printed");
}
