/* TLS through GS from user mode: the kernel loads three descriptors for
 * this process (LOAD_TLS at every switch to it) whose bases point into
 * u_tls_block, and writes markers there; we read them through 0x33, 0x3B
 * and 0x43, keeping GS loaded across yields (other processes with other
 * TLS run in between). Returns the number of wrong reads. */
#include "guest/user/ulib.h"

u32 u_tls_block[8][4] __attribute__((aligned(16)));

static u32 gs_read(void)
{
    u32 v;
    __asm__ __volatile__("movl %%gs:0, %0" : "=r"(v) :: "memory");
    return v;
}

static void gs_load(u32 sel) { __asm__ __volatile__("movl %0, %%gs" :: "r"(sel)); }

static u32 gs_get(void)
{
    u32 s;
    __asm__ __volatile__("movl %%gs, %0" : "=r"(s));
    return s & 0xFFFF;
}

/* arg = the first marker; slot i holds arg + i. */
int u_tls_main(u32 arg)
{
    static const u32 sels[3] = { SEL_TLS0, SEL_TLS1, SEL_TLS2 };
    u32 bad = 0;
    for (u32 round = 0; round < 6; round++) {
        for (u32 i = 0; i < 3; i++) {
            gs_load(sels[i]);
            u_yield();
            u32 sel = gs_get(), v = gs_read();
            if (sel != sels[i] || v != arg + i) {
                bad++;
                u_record(4, sel);
                u_record(5, v);
            }
            u_record(i, v);
        }
    }
    gs_load(0);
    u_record(3, bad);
    return (int)bad;
}
