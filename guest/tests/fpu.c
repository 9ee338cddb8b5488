/* test=fpu [loops=N]: FPU and SSE state across process switches with lazy
 * TS (lguest-abi.md 4.9), with the guest tick preempting; and a long
 * computation that keeps its state in registers, which also shows whether
 * the host keeps each guest's FPU state when several guests run. */
#include "guest/fpu.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/timer.h"
#include "guest/user.h"

#define LONG_ITERS_PER_LOOP 50000
#define DEFAULT_LOOPS 10

void test_fpu(void)
{
    u32 loops = opts.loops ? opts.loops : DEFAULT_LOOPS;
    u32 ticks = timer_ticks, nm = fpu_nm_count;
    timer_tick_start(1000000);

    /* Two processes with different register contents and rounding
     * modes, yielding to each other and preempted by the tick. */
    struct proc *p[2];
    for (unsigned k = 0; k < 2; k++)
        p[k] = proc_create((u32)u_fpu_keep_main, k + 1);
    proc_wait_all();
    u32 nm_keep = fpu_nm_count - nm;
    for (unsigned k = 0; k < 2; k++) {
        char name[32];
        snprintf(name, sizeof name, "fpu/keep-state-%u", k + 1);
        check(p[k]->exit_code == 0 && p[k]->faults == 0, name,
              "%d mismatches (exit %d), %u traps (last vector %u)", (int)p[k]->values[0], p[k]->exit_code,
              p[k]->faults, (unsigned)p[k]->fault.vector);
    }
    check(p[0]->values[1] == 3 && p[0]->values[2] == 2 && p[1]->values[1] == 4 && p[1]->values[2] == 3,
          "fpu/rounding-per-process", "7/2 rounded to %u and %u (want 3, 4), 2.5 to %u and %u (want 2, 3)",
          (unsigned)p[0]->values[1], (unsigned)p[1]->values[1], (unsigned)p[0]->values[2],
          (unsigned)p[1]->values[2]);
    /* Each switch to the other FPU user must have trapped. */
    check(nm_keep >= 40, "fpu/lazy-switch", "%u #NM traps for 2 x 40 rounds of alternating FPU use",
          (unsigned)nm_keep);
    for (unsigned k = 0; k < 2; k++)
        proc_reap(p[k]);

    /* Compiler-generated SSE2 code. */
    for (unsigned k = 0; k < 2; k++)
        p[k] = proc_create((u32)u_fpu_c_main, k);
    proc_wait_all();
    check(p[0]->exit_code == 0 && p[1]->exit_code == 0 && !p[0]->faults && !p[1]->faults, "fpu/sse-c-code",
          "%d and %d wrong results, %u and %u traps", p[0]->exit_code, p[1]->exit_code, p[0]->faults,
          p[1]->faults);
    for (unsigned k = 0; k < 2; k++)
        proc_reap(p[k]);

    /* The long loop, twice at once. */
    u32 iters = loops * LONG_ITERS_PER_LOOP;
    for (unsigned k = 0; k < 2; k++)
        p[k] = proc_create((u32)u_fpu_long_main, iters);
    proc_wait_all();
    for (unsigned k = 0; k < 2; k++) {
        char name[32];
        snprintf(name, sizeof name, "fpu/long-loop-%u", k + 1);
        check(p[k]->exit_code == 0 && p[k]->faults == 0, name,
              "%d wrong results after %u rounds (exit %d, %u traps); lane %u: 0x%x, want 0x%x; sum low 0x%x, "
              "want 0x%x", (int)p[k]->values[0], (unsigned)iters, p[k]->exit_code, p[k]->faults,
              (unsigned)p[k]->values[2], (unsigned)p[k]->values[3], (unsigned)p[k]->values[4],
              (unsigned)p[k]->values[5], (unsigned)p[k]->values[6]);
        proc_reap(p[k]);
    }
    timer_tick_stop();
    printf("fpu: %u rounds per long loop, %u timer ticks, %u #NM traps\n", (unsigned)iters,
           (unsigned)(timer_ticks - ticks), (unsigned)(fpu_nm_count - nm));
}
