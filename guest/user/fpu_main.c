/* The FPU programs (tests/fpu.c runs them): their checks are integer code,
 * compiled without SSE/x87, the work is in fpu.S. */
#include <stddef.h>
#include "guest/user/fpu.h"
#include "guest/user/ulib.h"

_Static_assert(offsetof(struct fpu_keep, ones) == FK_ONES, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, x87) == FK_X87, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, rounds) == FK_ROUNDS, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, cw) == FK_CW, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, mxcsr) == FK_MXCSR, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, spin) == FK_SPIN, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, bad) == FK_BAD, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, tmp) == FK_TMP, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, seven) == FK_SEVEN, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, two) == FK_TWO, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, want_x87_round) == FK_WANT_X87_ROUND, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, want_sse_round) == FK_WANT_SSE_ROUND, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, got_x87_round) == FK_GOT_X87_ROUND, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, got_sse_round) == FK_GOT_SSE_ROUND, "fpu.S layout");
_Static_assert(offsetof(struct fpu_keep, two_and_half) == FK_TWO_AND_HALF, "fpu.S layout");
_Static_assert(sizeof(struct fpu_keep) == FK_SIZE, "fpu.S layout");
_Static_assert(offsetof(struct fpu_long, out) == FL_OUT, "fpu.S layout");
_Static_assert(offsetof(struct fpu_long, iters) == FL_ITERS, "fpu.S layout");
_Static_assert(offsetof(struct fpu_long, sum) == FL_SUM, "fpu.S layout");
_Static_assert(sizeof(struct fpu_long) == FL_SIZE, "fpu.S layout");

static struct fpu_keep keep;
static struct fpu_long work;

/* arg 1 rounds down, arg 2 up (x87 and SSE alike), so each process's
 * control words differ from the other's and from the default. */
int u_fpu_keep_main(u32 arg)
{
    struct fpu_keep *k = &keep;
    for (u32 i = 0; i < 7; i++) {
        for (u32 j = 0; j < 4; j++)
            k->xmm[i][j] = arg << 28 | i << 20 | j << 16 | (arg * 0x1111);
        k->x87[i] = (int)(arg * 100000 + i * 1000);
    }
    for (u32 j = 0; j < 4; j++)
        k->ones[j] = 1;
    k->rounds = 40;
    k->spin = 20000;
    k->cw = arg == 1 ? 0x077F : 0x0B7F;
    k->mxcsr = arg == 1 ? 0x3F80 : 0x5F80;
    k->seven = 7;
    k->two = 2;
    k->want_x87_round = arg == 1 ? 3 : 4;
    k->want_sse_round = arg == 1 ? 2 : 3;
    /* 2.5 as the bits of a double: this file has no floating point. */
    u32 *half = (u32 *)&k->two_and_half;
    half[0] = 0;
    half[1] = 0x40040000;
    u32 bad = u_fpu_keep(k);
    u_record(0, bad);
    u_record(1, (u32)k->got_x87_round);
    u_record(2, (u32)k->got_sse_round);
    return (int)bad;
}

/* Runs iters rounds in SSE/x87 registers and compares with the same
 * computation in integer registers. Returns the number of wrong results. */
int u_fpu_long_main(u32 iters)
{
    struct fpu_long *l = &work;
    u32 seed = (u32)u_getpid() * 0x9E3779B9u;
    for (u32 i = 0; i < 16; i++)
        l->lanes[i] = (seed ^ (i * 0x01000193u)) | 1;
    l->iters = iters;
    u_fpu_long(l);

    u32 bad = 0;
    for (u32 i = 0; i < 16; i++) {
        u32 x = l->lanes[i];
        for (u32 n = 0; n < iters; n++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
        }
        if (x != l->out[i]) {
            bad++;
            u_record(2, i);
            u_record(3, l->out[i]);
            u_record(4, x);
        }
    }
    u64 want = iters % 2 ? (u64)iters * ((iters + 1) / 2) : (u64)(iters / 2) * (iters + 1);
    if (l->sum != want) {
        bad++;
        u_record(5, (u32)l->sum);
        u_record(6, (u32)want);
    }
    u_record(0, bad);
    u_record(1, l->out[0]);
    return (int)bad;
}
