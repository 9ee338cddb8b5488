/* Compiler-generated SSE2 arithmetic (this file alone is built with SSE):
 * values live in XMM registers across the inline system calls of
 * u_yield, so a switch that loses FPU state shows up as wrong results.
 * Returns the number of wrong results. */
#include "guest/user/ulib.h"

int u_fpu_c_main(u32 arg)
{
    u32 bad = 0;
    double acc = arg;
    for (int i = 1; i <= 2000; i++) {
        acc += i * 0.5;
        if (i % 100 == 0)
            u_yield();
    }
    if (acc != 1000500.0 + arg)     /* exact: every term is a multiple of 0.5 */
        bad++;
    for (int k = 1; k <= 300; k++) {
        double s = (double)k * k, x = s;
        for (int it = 0; it < 40; it++) {
            x = 0.5 * (x + s / x);
            if (it == 20 && k % 25 == 0)
                u_yield();
        }
        if ((int)(x + 0.5) != k)
            bad++;
    }
    u_record(0, bad);
    return (int)bad;
}
