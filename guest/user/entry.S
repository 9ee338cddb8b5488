/* Where a process's entry function returns to (user.c puts this address
 * under its argument): exit with the return value. */
#include "guest/syscall_abi.h"

    .text
    .globl user_exit_trampoline
user_exit_trampoline:
    movl %eax, %ebx
    movl $SYS_EXIT, %eax
    int $0x80
    ud2

    .section .note.GNU-stack, "", @progbits
