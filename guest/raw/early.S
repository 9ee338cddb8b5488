/* Tiny raw guests for what happens before (and at) LGUEST_INIT, where our
 * C guest cannot go: each is built with -DCASE_<name> and does exactly one
 * thing the hypervisor must refuse, or (CASE_ok) boots, prints and powers
 * off. Loaded like any lguest guest: ELF by physical address, entered at
 * CPL 1 on the host's pretend identity map, ESI = GPA of boot_params. */
#define LHCALL_LGUEST_INIT 1
#define LHCALL_SHUTDOWN    2
#define LHCALL_NOTIFY      17
#define E820_SIZE_LOW      0x2D8       /* boot_params e820_map[0].size */

    .text
    .global _start
_start:
    movl $stack_top, %esp
#if defined(CASE_hcall_before_init)
    movl $LHCALL_NOTIFY, %eax
    movl $hello, %ebx
    int $0x1f
#elif defined(CASE_init_outside)
    movl $LHCALL_LGUEST_INIT, %eax
    movl $0xFFFFF000, %ebx
    int $0x1f
#elif defined(CASE_init_unaligned)
    movl $LHCALL_LGUEST_INIT, %eax
    movl $ldata + 2, %ebx
    int $0x1f
#elif defined(CASE_init_straddle)
    movl $LHCALL_LGUEST_INIT, %eax
    movl E820_SIZE_LOW, %ebx            /* RAM end, then the device pages: */
    addl $(64 * 4096 - 100), %ebx       /* lguest_data would cross the end */
    int $0x1f
#elif defined(CASE_bad_syscall_vector)
    movl $0x81, ldata + 0x56C
    movl $LHCALL_LGUEST_INIT, %eax
    movl $ldata, %ebx
    int $0x1f
#elif defined(CASE_bad_kernel_address)
    movl $0xFFC00000, ldata + 0x568
    movl $LHCALL_LGUEST_INIT, %eax
    movl $ldata, %ebx
    int $0x1f
#elif defined(CASE_fault_before_init)
    ud2
#elif defined(CASE_hlt_before_init)
    hlt
#elif defined(CASE_linear_beyond_memory)
    movl 0x40000000, %eax
#elif defined(CASE_ok)
    movl $LHCALL_LGUEST_INIT, %eax
    movl $ldata, %ebx
    int $0x1f
    movl $LHCALL_NOTIFY, %eax
    movl $hello, %ebx
    int $0x1f
    movl $LHCALL_SHUTDOWN, %eax
    movl $bye, %ebx
    movl $1, %ecx
    int $0x1f
#else
#error "no CASE_ given"
#endif
    /* still here: the hypervisor let it pass */
    movl $LHCALL_NOTIFY, %eax
    movl $survived, %ebx
    int $0x1f
1:  jmp 1b

hello:    .asciz "raw guest: hello\n"
survived: .asciz "raw guest: SURVIVED\n"
bye:      .asciz "bye"

    .data
    .align 4096
ldata:                                  /* struct lguest_data, 1392 bytes */
    .long 0, 1, 0, 0, 0, 0              /* irq_enabled .. irq_pending */
    .fill 64, 1, 0xff                   /* hcall_status: all free */
    .fill 1280, 1, 0                    /* hcalls */
    .long 0, 0, 0, 0                    /* reserve_mem, tsc_khz, noirq_start/end */
    .long 0xC0000000, 0x80              /* kernel_address, syscall_vec */

    .bss
    .align 16
    .space 4096
stack_top:
