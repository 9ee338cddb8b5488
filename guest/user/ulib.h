/* What the user programs have instead of a C library: system calls and a
 * few helpers. User code is linked at user addresses and may not call
 * anything in the kernel image (the build checks that it has no undefined
 * symbols), so every global here starts with u_ or user_. */
#ifndef GUEST_USER_ULIB_H
#define GUEST_USER_ULIB_H
#include <stdarg.h>
#include "guest/layout.h"
#include "guest/syscall_abi.h"

static inline int u_sc3(u32 nr, u32 a, u32 b, u32 c)
{
    int r;
    __asm__ __volatile__("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

static inline int u_sc5(u32 nr, u32 a, u32 b, u32 c, u32 d, u32 e)
{
    int r;
    __asm__ __volatile__("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                         : "memory");
    return r;
}

static inline void u_exit(int code) { u_sc3(SYS_EXIT, (u32)code, 0, 0); }
static inline int u_write(const void *buf, u32 len) { return u_sc3(SYS_WRITE, (u32)buf, len, 0); }
static inline int u_yield(void) { return u_sc3(SYS_YIELD, 0, 0, 0); }
static inline int u_getpid(void) { return u_sc3(SYS_GETPID, 0, 0, 0); }
static inline int u_record(u32 index, u32 value) { return u_sc3(SYS_RECORD, index, value, 0); }

static inline u64 u_rdtsc(void)
{
    u32 lo, hi;
    __asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return (u64)hi << 32 | lo;
}

u32 u_strlen(const char *s);
void u_puts(const char *s);
/* %u %x %d %s only; always terminated. */
void u_vformat(char *buf, u32 size, const char *fmt, va_list ap);
void u_format(char *buf, u32 size, const char *fmt, ...);
/* PASS/FAIL line through the kernel (which counts it). */
void u_report(int ok, const char *name, const char *fmt, ...);

/* Probes in probes.S. */
u32 u_regs_syscall(void);

#endif
