/* One function per test= name; each prints its PASS/FAIL lines and
 * returns (main then prints DONE and powers off), except the shutdown and
 * kill cases, which never return. */
#ifndef GUEST_TESTS_H
#define GUEST_TESTS_H
#include "guest/cmdline.h"
#include "guest/layout.h"

extern struct options opts;
extern u32 tsc_khz;

void test_hello(void);
void test_hypercalls(void);
void test_traps(void);
void test_syscalls(void);
void test_timer(void);
void test_irqs(void);
void test_segments(void);
void test_paging(void);
void paging_flush(void);                /* part of test=paging */
void test_fpu(void);
void test_poweroff(void) __attribute__((noreturn));
void test_restart(void) __attribute__((noreturn));
void test_panic(void) __attribute__((noreturn));
void test_checksum(void);
void test_bench(void);
void bench_kmap(unsigned rounds);       /* part of test=bench */
void test_kill(const char *name) __attribute__((noreturn));
void test_fuzz(void);
void test_hostile(void);
void test_console(void);
void test_block(void);
void test_diskpat(void);
void test_vring_hostile(void);
void test_shell(void) __attribute__((noreturn));
void test_net(void);
void test_netpeer(void);
void test_blkbench(void);
void test_satabench(void);
void test_netbench(void);
void test_nethdr(void);
void test_tso(void);
void test_tsorecv(void);
void test_spam(void);
void test_ticker(void);
void test_rng(void);
void test_pci_hostile(void);     /* 4.x build: virtio-pci misuse the host refuses */

/* Entry points in the user image (guest/user/), user virtual addresses. */
#define USER_ENTRY(name) extern char name[]
USER_ENTRY(u_syscalls_main);
USER_ENTRY(u_yield_main);
USER_ENTRY(u_tls_main);
USER_ENTRY(u_fpu_keep_main);
USER_ENTRY(u_fpu_long_main);
USER_ENTRY(u_fpu_c_main);
/* Fault probes (user/probes.S): each faults once, at its _insn label. */
USER_ENTRY(u_pf_read);
USER_ENTRY(u_pf_read_insn);
USER_ENTRY(u_pf_write_ro);
USER_ENTRY(u_pf_write_ro_insn);
USER_ENTRY(u_pf_kernel);
USER_ENTRY(u_pf_kernel_insn);
USER_ENTRY(u_int1f);
USER_ENTRY(u_int1f_insn);
USER_ENTRY(u_int3);
USER_ENTRY(u_int3_after);
USER_ENTRY(u_ud2);
USER_ENTRY(u_ud2_insn);
USER_ENTRY(u_vmcall);
USER_ENTRY(u_vmcall_insn);
USER_ENTRY(u_div0);
USER_ENTRY(u_div0_insn);
USER_ENTRY(u_cli);
USER_ENTRY(u_cli_insn);
USER_ENTRY(u_inb);
USER_ENTRY(u_inb_insn);
USER_ENTRY(u_hlt);
USER_ENTRY(u_hlt_insn);
USER_ENTRY(u_regs_syscall);

/* Kernel probes (probes.S). */
extern u32 probe_esp;                   /* ESP just before the faulting instruction */
extern u32 probe_regs[8];               /* eax ebx ecx edx esi edi ebp esp after a hypercall */
u32 probe_div0(void);
extern char probe_div0_insn[], probe_div0_resume[];
void probe_int3(void);
extern char probe_int3_after[];
void probe_ud2(void);
extern char probe_ud2_insn[], probe_ud2_resume[];
void probe_gp_selector(u32 sel);
extern char probe_gp_selector_insn[], probe_gp_selector_resume[];
u32 probe_read(u32 va);
extern char probe_read_insn[], probe_read_resume[];
void probe_write(u32 va, u32 value);
extern char probe_write_insn[], probe_write_resume[];
u32 probe_fs_read(u32 off);
extern char probe_fs_read_insn[], probe_fs_read_resume[];
void probe_hcall_regs(u32 nr, u32 a1, u32 a2, u32 a3);
void probe_fpu_touch(void);

/* Median of n cycle counts (sorts them). */
u32 median_u32(u32 *v, unsigned n);



/* A fresh address space with one user page at va holding marker. */
u32 *space_with_page(u32 va, u32 marker, u32 *pa_out);
/* Switches to pgd, reads va, switches back to the kernel's directory. */
u32 read_in_space(u32 *pgd, u32 va);
/* A fresh page whose first word is marker. */
u32 page_with(u32 marker);
#endif
