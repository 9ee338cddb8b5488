/* test=segments: GDT entries through LOAD_GDT_ENTRY (a based, limited data
 * segment in FS, with the host's DPL fix-up) and TLS through LOAD_TLS used
 * from user mode via GS, per process, across switches (lguest-abi.md 5). */
#include "guest/gdt.h"
#include "guest/hcall.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/user.h"
#include "guest/x86.h"

static u32 area[16] __attribute__((aligned(16))) = {
    0xF500, 0xF501, 0xF502, 0xF503, 0xF504, 0xF505, 0xF506, 0xF507,
};

extern u32 u_tls_block[8][4];

void test_segments(void)
{
    /* DPL 0 as Linux would send it: the host makes it DPL 1, or loading
     * it at CPL 1 would fault. Selector RPL 0 and 1 both work then. */
    gdt_load_entry(GDT_TEST, desc_make((u32)&area[2], 31, DESC_DATA, DESC_BYTES));
    set_fs(GDT_TEST * 8);
    u32 a = fs_read32(0), b = fs_read32(4);
    set_fs(GDT_TEST * 8 + 1);
    u32 c = fs_read32(8);
    check(a == 0xF502 && b == 0xF503 && c == 0xF504, "segments/fs-base",
          "read 0x%x 0x%x 0x%x through FS, want 0xf502 0xf503 0xf504", (unsigned)a, (unsigned)b, (unsigned)c);

    /* Beyond the 32-byte limit: #GP(0), reflected (not one the host
     * emulates). Only information: QEMU's TCG does not check data segment
     * limits, and the test machines run under it. */
    struct fault_rec r = { 0 };
    expect_fault((u32)probe_fs_read_resume);
    probe_fs_read(32);
    int got = expect_taken(&r);
    if (got && r.vector == 13 && r.error == 0 && r.eip == (u32)probe_fs_read_insn)
        printf("segments: reading past the limit gave #GP(0), as on hardware\n");
    else if (!got)
        printf("segments: reading past the limit did not fault (the CPU ignores segment limits)\n");
    else
        fail("segments/fs-limit", "vector %u error 0x%x at 0x%x, want #GP(0) at 0x%x", (unsigned)r.vector,
             (unsigned)r.error, (unsigned)r.eip, (unsigned)probe_fs_read_insn);

    /* A new base for the same entry takes effect on the next load. */
    gdt_load_entry(GDT_TEST, desc_make((u32)&area[6], 31, DESC_DATA, DESC_BYTES));
    set_fs(GDT_TEST * 8);
    a = fs_read32(0);
    set_fs(0);
    gdt_load_entry(GDT_TEST, 0);
    check(a == 0xF506, "segments/fs-rebase", "read 0x%x after changing the base, want 0xf506", (unsigned)a);

    /* Two processes, each with its own three TLS descriptors (different
     * bases) and its own markers behind them; they read them through
     * GS 0x33/0x3B/0x43, yielding between loads and reads. */
    struct proc *p[2];
    for (unsigned k = 0; k < 2; k++) {
        u32 first = 0x7100 + 0x10 * k;
        p[k] = proc_create((u32)u_tls_main, first);
        for (unsigned i = 0; i < 3; i++) {
            u32 *slot = u_tls_block[4 * k + i];
            *(u32 *)proc_ptr(p[k], (u32)slot) = first + i;
            proc_set_tls(p[k], i, desc_tls((u32)slot));
        }
    }
    proc_wait_all();
    for (unsigned k = 0; k < 2; k++) {
        char name[40];
        snprintf(name, sizeof name, "segments/tls-user-%u", k + 1);
        u32 first = 0x7100 + 0x10 * k;
        check(p[k]->exit_code == 0 && p[k]->faults == 0 && p[k]->values[0] == first &&
              p[k]->values[1] == first + 1 && p[k]->values[2] == first + 2, name,
              "exit %d, %u traps (vector %u), read 0x%x 0x%x 0x%x, %u bad reads (last: GS 0x%x value 0x%x)",
              p[k]->exit_code, p[k]->faults, (unsigned)p[k]->fault.vector, (unsigned)p[k]->values[0],
              (unsigned)p[k]->values[1], (unsigned)p[k]->values[2], (unsigned)p[k]->values[3],
              (unsigned)p[k]->values[4], (unsigned)p[k]->values[5]);
        proc_reap(p[k]);
    }
    check(get_gs() == 0 && get_fs() == 0, "segments/kernel-selectors", "GS 0x%x FS 0x%x in the kernel",
          (unsigned)get_gs(), (unsigned)get_fs());

    /* Linux 3.10's exception entry loads DS = ES = 0x68 (the kernel data
     * selector with RPL 0, not 0x7B) and returns from exceptions with
     * them: a hypercall, a reflected trap and interrupts must all give
     * them back unchanged. */
    u16 ds0, es0, ds, es;
    __asm__ __volatile__("mov %%ds, %0; mov %%es, %1" : "=r"(ds0), "=r"(es0));
    __asm__ __volatile__("mov %0, %%ds; mov %0, %%es" :: "r"((u16)0x68) : "memory");
    hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0);
    probe_int3();
    spin_us(3000);                      /* and any interrupt that comes meanwhile */
    __asm__ __volatile__("mov %%ds, %0; mov %%es, %1" : "=r"(ds), "=r"(es));
    __asm__ __volatile__("mov %0, %%ds; mov %1, %%es" :: "r"(ds0), "r"(es0) : "memory");
    check(ds == 0x68 && es == 0x68, "segments/ds-es-0x68", "DS 0x%x ES 0x%x after a hypercall, a trap "
          "and interrupts, want 0x68", (unsigned)ds, (unsigned)es);
}
