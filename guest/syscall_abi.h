/* Our system calls: int $0x80, EAX = number, EBX, ECX, EDX, ESI, EDI =
 * arguments, result in EAX (negative errno on error). Shared by the kernel
 * and the user programs in guest/user/. */
#ifndef GUEST_SYSCALL_ABI_H
#define GUEST_SYSCALL_ABI_H

#define SYS_EXIT        0       /* (code) */
#define SYS_WRITE       1       /* (buf, len) -> len */
#define SYS_YIELD       2
#define SYS_GETPID      3
#define SYS_REPORT      4       /* (ok, "group/check", "reason") -> PASS/FAIL line */
#define SYS_ADD3        5       /* (a, b, c) -> a + b + c */
#define SYS_XOR5        6       /* (a, b, c, d, e) -> a ^ b ^ c ^ d ^ e */
#define SYS_RECORD      7       /* (index < 16, value): the kernel test reads it */
#define SYS_NOP         8
#define NR_SYSCALLS     9

#define E_FAULT         14
#define E_INVAL         22
#define E_NOSYS         38

#define PROC_VALUES     16

#endif
