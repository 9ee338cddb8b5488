/* Layouts shared by fpu.S and fpu_main.c (offsets checked there). */
#ifndef GUEST_USER_FPU_H
#define GUEST_USER_FPU_H

#define FK_XMM              0       /* u32[7][4], 16-byte aligned */
#define FK_ONES             112     /* u32[4] = 1 */
#define FK_X87              128     /* s32[7] */
#define FK_ROUNDS           156
#define FK_CW               160
#define FK_MXCSR            164
#define FK_SPIN             168
#define FK_BAD              172
#define FK_TMP              176
#define FK_SEVEN            180
#define FK_TWO              184
#define FK_WANT_X87_ROUND   188
#define FK_WANT_SSE_ROUND   192
#define FK_GOT_X87_ROUND    196
#define FK_GOT_SSE_ROUND    200
#define FK_TWO_AND_HALF     208     /* double, 8-byte aligned */
#define FK_SIZE             224

#define FL_LANES            0       /* u32[16] */
#define FL_OUT              64      /* u32[16] */
#define FL_ITERS            128
#define FL_SUM              136     /* u64 */
#define FL_SIZE             144

#ifndef __ASSEMBLER__
#include "guest/layout.h"

struct fpu_keep {
    u32 xmm[7][4];
    u32 ones[4];
    int x87[7];
    u32 rounds, cw, mxcsr, spin, bad, tmp;
    int seven, two, want_x87_round, want_sse_round, got_x87_round, got_sse_round;
    u32 pad;
    double two_and_half;
    u32 pad2[2];
} __attribute__((aligned(16)));

struct fpu_long {
    u32 lanes[16];
    u32 out[16];
    u32 iters, pad;
    u64 sum;
} __attribute__((aligned(16)));

u32 u_fpu_keep(struct fpu_keep *k);
void u_fpu_long(struct fpu_long *l);
#endif

#endif
