/* test=hostile: hostile inputs the hypervisor must answer WITHOUT stopping
 * us (/work/shared/hostile-inputs.md classes 4, 5, 7): each case one exact
 * expectation and one PASS/FAIL line, after the Xen Test Framework. What
 * "right" means is what the CPU would do with the guest's descriptors and
 * tables as the lguest ABI says the hypervisor stores them; where lgvisor
 * differs and we think lgvisor is wrong, the FAIL line says why.
 *
 * Groups: GDT descriptors (DPL fix-up, system types refused, the
 * hypervisor's entries), IDT gates (DPL, not present, handler at the
 * switcher's edge, int $N into the hypervisor's vectors, int $0x80), the
 * switcher pages, page-table aliases and junk, privileged instructions at
 * CPL 1, and flag tricks (popf, TF, mov ss, NT).
 *
 * Not here: iret with VM set in the image. At CPL 1 the CPU ignores VM,
 * but QEMU's TCG (helper_ret_protected) enters virtual-8086 mode without
 * checking CPL, so under `make test` it would test the emulator. */
#include <string.h>
#include "guest/gdt.h"
#include "guest/hcall.h"
#include "guest/idt.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/timer.h"
#include "guest/trap.h"
#include "guest/x86.h"

#define SW_CODE         0xFFC00000u     /* switcher code, read-only */
#define SW_REGS         0xFFC02000u     /* our own register frame, writable */
#define SW_TABLES       0xFFC03000u     /* GDT/TSS/IDT copies, read-only */
#define SW_NOTHING      0xFFC05000u     /* in the switcher's 4 MiB, mapped by no one */
#define HP_GDT_DATA     21              /* free GDT slots (GDT_TEST is 20) */
#define HP_GDT_SYS      22
#define HP_KMAP         40              /* our KMAP slots: 40-47 */
#define EFLAGS_TF       0x00000100u
#define EFLAGS_IOPL     0x00003000u
#define EFLAGS_NT       0x00004000u

/* ---- assembly: a recording handler and the probes ---- */

/* Written by hp_count_handler, read by the tests. */
static volatile u32 hit_count __attribute__((used));
static volatile u32 hit_eip __attribute__((used)), hit_cs __attribute__((used));
static volatile u32 hit_eflags __attribute__((used)), hit_irq __attribute__((used));
static volatile u32 hp_movss_ebx __attribute__((used));
static u8 hp_dtr[8] __attribute__((used));
static u8 hp_iobuf[16] __attribute__((used));
static struct __attribute__((packed)) { u32 off; u16 sel; } hp_farptr __attribute__((used));

/* A handler for the gates we point at it: counts, records the frame (EIP,
 * CS, EFLAGS image) and irq_enabled, clears TF in the image so a single
 * step ends here, and returns with a plain iret. With a trap gate that is
 * all it takes (irq_enabled is not touched); after the one interrupt gate
 * the caller turns virtual interrupts back on. hp_iret is an iret alone:
 * a resume point that unwinds a frame the test left on the stack. */
void hp_count_handler(void);
void hp_iret(void);
__asm__(".pushsection .text\n"
        ".balign 16\n"
        "hp_count_handler:\n"
        "    pushl %eax\n"
        "    incl %ss:hit_count\n"
        "    movl 4(%esp), %eax\n"
        "    movl %eax, %ss:hit_eip\n"
        "    movl 8(%esp), %eax\n"
        "    movl %eax, %ss:hit_cs\n"
        "    movl 12(%esp), %eax\n"
        "    movl %eax, %ss:hit_eflags\n"
        "    movl %ss:lguest_data, %eax\n"
        "    movl %eax, %ss:hit_irq\n"
        "    andl $0xFFFFFEFF, 12(%esp)\n"
        "    popl %eax\n"
        "    iret\n"
        "hp_iret:\n"
        "    iret\n"
        ".popsection\n");

/* name(): pre; name_insn: the instruction that must fault; name_resume:
 * post; ret. The trap handler resumes at name_resume. */
#define PROBE(name, pre, insn, post)                                                        \
    __asm__(".pushsection .text\n.balign 16\n" #name ":\n" pre "\n" #name "_insn:\n" insn     \
            "\n" #name "_resume:\n" post "\nret\n.popsection\n");                            \
    void name(void);                                                                         \
    extern char name##_insn[], name##_resume[]

/* Privileged at CPL 1 (IOPL 0): #GP(0) each, none emulated. The operands
 * are harmless should one ever run: a zero descriptor-table register, the
 * SYSENTER_CS value the hypervisor itself writes (0), DR7 = 0. */
PROBE(hp_sti, "", "sti", "");
PROBE(hp_hlt, "", "hlt", "");
PROBE(hp_lgdt, "", "lgdt hp_dtr", "");
PROBE(hp_lidt, "", "lidt hp_dtr", "");
PROBE(hp_lldt, "xorl %eax, %eax", "lldt %ax", "");
PROBE(hp_ltr, "xorl %eax, %eax", "ltr %ax", "");
PROBE(hp_rd_cr0, "", "movl %cr0, %eax", "");
PROBE(hp_rd_cr3, "", "movl %cr3, %eax", "");
PROBE(hp_lmsw, "xorl %eax, %eax", "lmsw %ax", "");
PROBE(hp_clts, "", "clts", "");
PROBE(hp_wr_dr7, "xorl %eax, %eax", "movl %eax, %dr7", "");
PROBE(hp_rdmsr, "movl $0x10, %ecx", "rdmsr", "");
PROBE(hp_wrmsr, "movl $0x174, %ecx\nxorl %eax, %eax\nxorl %edx, %edx", "wrmsr", "");
PROBE(hp_insb, "pushl %edi\nmovl $hp_iobuf, %edi\nmovl $0x80, %edx", "insb", "popl %edi");
PROBE(hp_outsb, "pushl %esi\nmovl $hp_iobuf, %esi\nmovl $0x80, %edx", "outsb", "popl %esi");
PROBE(hp_invlpg, "", "invlpg hp_iobuf", "");
PROBE(hp_wbinvd, "", "wbinvd", "");
PROBE(hp_invd, "", "invd", "");
PROBE(hp_sysenter, "", "sysenter", "");

/* int $N from CPL 1 into vectors whose real gates are the hypervisor's. */
PROBE(hp_int02, "", "int $0x02", "");
PROBE(hp_int08, "", "int $0x08", "");
PROBE(hp_int0e, "", "int $0x0e", "");
PROBE(hp_int11, "", "int $0x11", "");
PROBE(hp_int20, "", "int $0x20", "");
PROBE(hp_int41, "", "int $0x41", "");
PROBE(hp_int42, "", "int $0x42", "");
PROBE(hp_int80, "", "int $0x80", "");
PROBE(hp_intff, "", "int $0xff", "");

/* Far transfers through hp_farptr (selector:offset). */
PROBE(hp_lcall, "", "lcall *hp_farptr", "");
PROBE(hp_ljmp, "", "ljmp *hp_farptr", "");

/* u32 hp_es_load(u32 sel): loads ES, reads the dword at ES:4, puts the
 * old ES back (also after a fault: the resume point is before that). */
u32 hp_es_load(u32 sel);
extern char hp_es_load_insn[], hp_es_load_resume[];
__asm__(".pushsection .text\n"
        "hp_es_load:\n"
        "    movl 4(%esp), %eax\n"
        "    movl %es, %ecx\n"
        "hp_es_load_insn:\n"
        "    movl %eax, %es\n"
        "    movl %es:4, %eax\n"
        "hp_es_load_resume:\n"
        "    movl %ecx, %es\n"
        "    ret\n"
        ".popsection\n");

/* TF set by popf: the trap comes after the instruction following the popf. */
void hp_tf_step(void);
extern char hp_tf_step_after[];
__asm__(".pushsection .text\n"
        "hp_tf_step:\n"
        "    pushfl\n"
        "    orl $0x100, (%esp)\n"
        "    popfl\n"
        "    nop\n"
        "hp_tf_step_after:\n"
        "    nop\n"
        "    ret\n"
        ".popsection\n");

/* void hp_movss_int1f(u32 marker): TF set, then mov ss holds the single
 * step back over the next instruction, which is the hypercall: the held
 * #DB, if the CPU delivers it, arrives on the hypervisor's first
 * instruction at CPL 0 (XSA-260's shape). FLUSH_ASYNC, marker in EBX. */
void hp_movss_int1f(u32 marker);
extern char hp_movss_after[], hp_movss_after2[];
__asm__(".pushsection .text\n"
        "hp_movss_int1f:\n"
        "    pushl %ebx\n"
        "    movl 8(%esp), %ebx\n"
        "    xorl %eax, %eax\n"
        "    movl %ss, %ecx\n"
        "    pushfl\n"
        "    orl $0x100, (%esp)\n"
        "    popfl\n"
        "    movl %ecx, %ss\n"
        "    int $0x1f\n"
        "hp_movss_after:\n"
        "    nop\n"
        "hp_movss_after2:\n"
        "    movl %ebx, hp_movss_ebx\n"
        "    popl %ebx\n"
        "    ret\n"
        ".popsection\n");

/* sysenter with TF set: #GP(0) (SYSENTER_CS is 0), then one single step
 * after the resume point, since the #GP frame kept TF. */
void hp_sysenter_tf(void);
extern char hp_sysenter_tf_insn[], hp_sysenter_tf_resume[], hp_sysenter_tf_after[];
__asm__(".pushsection .text\n"
        "hp_sysenter_tf:\n"
        "    pushfl\n"
        "    orl $0x100, (%esp)\n"
        "    popfl\n"
        "hp_sysenter_tf_insn:\n"
        "    sysenter\n"
        "hp_sysenter_tf_resume:\n"
        "    nop\n"
        "hp_sysenter_tf_after:\n"
        "    ret\n"
        ".popsection\n");

/* iret with NT set: a task return through the back link of the current
 * TSS (the hypervisor's, link 0): #TS(0). The three words stay pushed
 * when it faults; NT is cleared on either way out. */
void hp_iret_nt(void);
extern char hp_iret_nt_insn[], hp_iret_nt_resume[];
__asm__(".pushsection .text\n"
        "hp_iret_nt:\n"
        "    pushfl\n"
        "    orl $0x4000, (%esp)\n"
        "    popfl\n"
        "    pushfl\n"
        "    andl $0xFFFFBFFF, (%esp)\n"
        "    pushl %cs\n"
        "    pushl $1f\n"
        "hp_iret_nt_insn:\n"
        "    iret\n"
        "1:  subl $12, %esp\n"                  /* it returned: same stack as the fault case */
        "hp_iret_nt_resume:\n"
        "    addl $12, %esp\n"
        "    pushfl\n"
        "    andl $0xFFFFBFFF, (%esp)\n"
        "    popfl\n"
        "    ret\n"
        ".popsection\n");

/* ---- helpers ---- */

/* Runs fn expecting a fault, resumed at resume; 1 if it trapped. */
static int trapped(void (*fn)(void), const char *resume, struct fault_rec *r)
{
    memset(r, 0, sizeof *r);
    expect_fault((u32)resume);
    fn();
    return expect_taken(r);
}

static int fault_is(int got, const struct fault_rec *r, u32 vector, u32 error, u32 eip)
{
    return got && r->vector == vector && r->error == error && r->eip == eip;
}

#define FAULT_FMT "trap %d: vector %u error 0x%x at 0x%x (cr2 0x%x)"
#define FAULT_ARGS(got, r) (got), (unsigned)(r).vector, (unsigned)(r).error, (unsigned)(r).eip, (unsigned)(r).cr2

/* fn must raise exactly #GP(error) at insn, and is resumed after it. */
static void gp_exact(const char *name, void (*fn)(void), const char *insn, const char *resume, u32 error)
{
    struct fault_rec r;
    int got = trapped(fn, resume, &r);
    check(fault_is(got, &r, 13, error, (u32)insn), name, FAULT_FMT ", want #GP(0x%x) at 0x%x",
          FAULT_ARGS(got, r), (unsigned)error, (unsigned)(u32)insn);
}

static u32 read_at(u32 va, struct fault_rec *r, int *got)
{
    memset(r, 0, sizeof *r);
    expect_fault((u32)probe_read_resume);
    u32 v = probe_read(va);
    *got = expect_taken(r);
    return v;
}

static void write_at(u32 va, u32 value, struct fault_rec *r, int *got)
{
    memset(r, 0, sizeof *r);
    expect_fault((u32)probe_write_resume);
    probe_write(va, value);
    *got = expect_taken(r);
}

/* LAR: 1 and the access rights if sel names a descriptor CPL 1 may see. */
static int lar(u32 sel, u32 *ar)
{
    u32 a = 0;
    u8 ok;
    __asm__ __volatile__("lar %w2, %0\n\tsetz %1" : "+r"(a), "=q"(ok) : "r"(sel) : "cc");
    *ar = a;
    return ok;
}

/* Loading sel into FS must be #GP(error) (probes.S: probe_gp_selector). */
static int fs_gp(u32 sel, u32 error, struct fault_rec *r)
{
    memset(r, 0, sizeof *r);
    expect_fault((u32)probe_gp_selector_resume);
    probe_gp_selector(sel);
    int got = expect_taken(r);
    set_fs(0);
    return fault_is(got, r, 13, error, (u32)probe_gp_selector_insn);
}

static int far_gp(void (*fn)(void), const char *insn, const char *resume, u32 sel, struct fault_rec *r)
{
    hp_farptr.off = 0;
    hp_farptr.sel = (u16)sel;
    int got = trapped(fn, resume, r);
    return fault_is(got, r, 13, sel & ~3u, (u32)insn);
}

/* ---- GDT (ABI 5.2) ---- */

static u32 es_area[4] __attribute__((aligned(16))) = { 0xE5000000, 0xE5000001, 0xE5000002, 0xE5000003 };

/* Linux's DPL-0 data descriptor, accessed bit clear: stored with DPL 1 and
 * accessed set, so CPL 1 loads it into ES and reads through its base. */
static void gdt_dpl0_data(void)
{
    u32 sel = HP_GDT_DATA * 8 + 1, ar;
    gdt_load_entry(HP_GDT_DATA, desc_make((u32)es_area, 15, DESC_DATA & ~1u, DESC_BYTES));
    int visible = lar(sel, &ar);
    struct fault_rec r;
    memset(&r, 0, sizeof r);
    expect_fault((u32)hp_es_load_resume);
    u32 v = hp_es_load(sel);
    int got = expect_taken(&r);
    gdt_load_entry(HP_GDT_DATA, 0);
    check(visible && (ar >> 8 & 0xFF) == 0xB3 && !got && v == 0xE5000001, "hostile/gdt-dpl0-data-es",
          "lar %d access byte 0x%x (want 0xb3: present, DPL 1, data, accessed); ES load " FAULT_FMT
          "; read 0x%x through ES:4", visible, (unsigned)(ar >> 8 & 0xFF), FAULT_ARGS(got, r), (unsigned)v);
}

/* System descriptors are stored as null (kernel/lguest/segments.c gdt_fixup): LAR
 * must not see them, a segment load is #GP(selector) (a null descriptor
 * fails the type check before the present check, so not #NP), and a far
 * call through them is #GP(selector) too, not a task switch or a trip to
 * ring 0. Each with DPL 3, so a stored copy would be visible to LAR. */
static u8 fake_tss[104] __attribute__((aligned(16)));

static void gdt_system(void)
{
    const u32 tss = (u32)fake_tss;
    const struct { const char *name; u64 desc; } cases[] = {
        { "hostile/gdt-tss-refused", desc_make(tss, 0x67, 0xE9, 0) },
        { "hostile/gdt-ldt-refused", desc_make(tss, 0x67, 0xE2, 0) },
        /* to the hypervisor's code segment 0x50 at offset 0: ring 0 */
        { "hostile/gdt-call-gate-refused", (u64)0x0000EC00 << 32 | 0x00500000 },
        /* to the hypervisor's TSS */
        { "hostile/gdt-task-gate-refused", (u64)0x0000E500 << 32 | 0x00800000 },
        { "hostile/gdt-interrupt-gate-refused", (u64)0x0000EE00 << 32 | 0x00500000 },
    };
    const u32 sel = HP_GDT_SYS * 8 + 3;
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        gdt_load_entry(HP_GDT_SYS, cases[i].desc);
        u32 ar;
        int visible = lar(sel, &ar);
        struct fault_rec r1, r2;
        int seg = fs_gp(sel, sel & ~3u, &r1);
        /* Only once LAR says it is gone: a stored gate would take us out. */
        int far = !visible && far_gp(hp_lcall, hp_lcall_insn, hp_lcall_resume, sel, &r2);
        check(!visible && seg && far, cases[i].name,
              "LAR %s it (access 0x%x); FS load " FAULT_FMT "; lcall %s, want #GP(0x%x) for both",
              visible ? "sees" : "does not see", (unsigned)ar, FAULT_ARGS(seg, r1),
              visible ? "skipped" : far ? "#GP" : "did not #GP", (unsigned)(sel & ~3u));
    }
    gdt_load_entry(HP_GDT_SYS, 0);
}

/* Entries 10, 11, 16, 31 stay the hypervisor's (DPL 0 CS, DS, TSS, TSS):
 * after we send a DPL-3 flat data descriptor for each, LAR still cannot
 * see them from CPL 1 and loading them is #GP(selector). */
static void gdt_host_owned(void)
{
    static const u32 idx[] = { 10, 11, 16, 31 };
    for (unsigned i = 0; i < ARRAY_SIZE(idx); i++) {
        u32 sel = idx[i] * 8 + 3, ar;
        hcall(LHCALL_LOAD_GDT_ENTRY, idx[i], 0x0000FFFF, 0x00CFF300);
        int visible = lar(sel, &ar);
        struct fault_rec r;
        int seg = fs_gp(sel, idx[i] * 8, &r);
        char name[48];
        snprintf(name, sizeof name, "hostile/gdt-host-%u-ignored", (unsigned)idx[i]);
        check(!visible && seg, name, "LAR %s it (access 0x%x); FS load " FAULT_FMT ", want #GP(0x%x)",
              visible ? "sees" : "does not see", (unsigned)ar, FAULT_ARGS(seg, r), (unsigned)idx[i] * 8);
    }
    /* Far transfers into the hypervisor: DPL 0 code, the double-fault TSS,
     * the busy TSS. The CPU's checks: #GP(selector) each. */
    struct fault_rec r1, r2, r3;
    int cs = far_gp(hp_lcall, hp_lcall_insn, hp_lcall_resume, 0x50, &r1);
    int df = far_gp(hp_ljmp, hp_ljmp_insn, hp_ljmp_resume, 0xF8, &r2);
    int tss = far_gp(hp_lcall, hp_lcall_insn, hp_lcall_resume, 0x80, &r3);
    check(cs && df && tss, "hostile/gdt-host-far-transfers", "lcall 0x50: " FAULT_FMT "; ljmp 0xf8: " FAULT_FMT
          "; lcall 0x80: " FAULT_FMT, FAULT_ARGS(cs, r1), FAULT_ARGS(df, r2), FAULT_ARGS(tss, r3));
}

/* ---- IDT (ABI 4.2, 4.3) ---- */

/* int3 at CPL 1 through a DPL-0 gate: #GP(3 * 8 + 2) at the int3, as the
 * CPU does (the hypervisor's real gate takes our DPL for vector 3). The
 * same with no gate: the ABI stores a not-present gate as all zeros, which
 * the CPU refuses by type (#GP), where a raw not-present DPL-3 gate would
 * have given #NP. lguest does the same. */
static void idt_int3(void)
{
    u32 t3 = trap_counts[3];
    idt_set(3, trap_stub(3), GATE_INT, 0);
    struct fault_rec r;
    int got = trapped(probe_int3, probe_int3_after, &r);
    check(fault_is(got, &r, 13, 3 * 8 + 2, (u32)probe_int3_after - 1) && trap_counts[3] == t3,
          "hostile/idt-int3-dpl0-gp", FAULT_FMT ", %u int3 handled; want #GP(0x1a) at 0x%x",
          FAULT_ARGS(got, r), (unsigned)(trap_counts[3] - t3), (unsigned)(u32)probe_int3_after - 1);

    idt_clear(3);
    got = trapped(probe_int3, probe_int3_after, &r);
    check(fault_is(got, &r, 13, 3 * 8 + 2, (u32)probe_int3_after - 1), "hostile/idt-int3-not-present-gp",
          FAULT_FMT ", want #GP(0x1a)", FAULT_ARGS(got, r));
    idt_restore(3);
}

/* The largest handler offset allowed (one below the switcher) is stored:
 * int3 goes there, and the fetch faults with cr2 = EIP = 0xFFBFFFFF, the
 * int3 frame right below where int3 ran. hp_iret then unwinds it. */
static void idt_handler_edge(void)
{
    const u32 h = HOST_RESERVED_MIN - 1;
    idt_set(3, h, GATE_TRAP, 1);
    struct fault_rec r;
    int got = trapped(probe_int3, (const char *)hp_iret, &r);
    idt_restore(3);
    check(got && r.vector == 14 && r.cr2 == h && r.eip == h && (r.error & 7) == 0 &&
          r.frame_end == probe_esp - 12, "hostile/idt-handler-below-switcher",
          FAULT_FMT ", frame ends 0x%x; want #PF error 0 at 0x%x, cr2 0x%x, frame ending 0x%x",
          FAULT_ARGS(got, r), (unsigned)r.frame_end, (unsigned)h, (unsigned)h, (unsigned)probe_esp - 12);
}

/* Gates for the vectors the hypervisor keeps (2, 8, 15, 0x1F) are ignored
 * whatever they hold, even types and handlers that kill elsewhere. */
static void idt_ignored(void)
{
    static const u32 v[] = { 2, 8, 15, 0x1F };
    for (unsigned i = 0; i < ARRAY_SIZE(v); i++) {
        hcall(LHCALL_LOAD_IDT_ENTRY, v[i], 0xFFFFFFFF, 0xFFFFFFFF);     /* type 0xF, handler 0xFFFFFFFF */
        hcall(LHCALL_LOAD_IDT_ENTRY, v[i], 0x00501234, 0xFFC0EC00);     /* a call gate into the switcher */
    }
    probe_hcall_regs(LHCALL_FLUSH_ASYNC, 1, 2, 3);
    check(probe_regs[0] == LHCALL_FLUSH_ASYNC && probe_regs[1] == 1, "hostile/idt-ignored-vectors",
          "after junk gates for 2, 8, 15, 0x1f a hypercall returned eax 0x%x ebx 0x%x",
          (unsigned)probe_regs[0], (unsigned)probe_regs[1]);
}

/* int $N at CPL 1 for a vector whose real gate is a hypervisor stub with
 * DPL 0 is #GP(N * 8 + 2) reflected to us, never an exit that looks like
 * an NMI (2), a double fault (8, a task gate), a fault with an error code
 * (14, 17) or a host interrupt (0x20, 0xFF). For 0x41 we install a DPL-3
 * trap gate first: real hardware would enter it, lgvisor cannot (its stub
 * for 0x41 is also a host interrupt vector, so it must stay DPL 0; ABI
 * 4.3 and lguest alike), so #GP is right and the handler must not run. */
static void idt_int_n(void)
{
    static const struct {
        const char *name;
        void (*fn)(void);
        char *insn, *resume;
        u32 vector;
    } c[] = {
        { "hostile/int-02-nmi-gp", hp_int02, hp_int02_insn, hp_int02_resume, 0x02 },
        { "hostile/int-08-double-fault-gp", hp_int08, hp_int08_insn, hp_int08_resume, 0x08 },
        { "hostile/int-0e-page-fault-gp", hp_int0e, hp_int0e_insn, hp_int0e_resume, 0x0E },
        { "hostile/int-11-alignment-gp", hp_int11, hp_int11_insn, hp_int11_resume, 0x11 },
        { "hostile/int-20-host-irq-gp", hp_int20, hp_int20_insn, hp_int20_resume, 0x20 },
        { "hostile/int-41-dpl3-gate-gp", hp_int41, hp_int41_insn, hp_int41_resume, 0x41 },
        { "hostile/int-42-not-present-gp", hp_int42, hp_int42_insn, hp_int42_resume, 0x42 },
        { "hostile/int-ff-gp", hp_intff, hp_intff_insn, hp_intff_resume, 0xFF },
    };
    hit_count = 0;
    idt_set(0x41, (u32)hp_count_handler, GATE_TRAP, 3);
    idt_clear(0x42);
    for (unsigned i = 0; i < ARRAY_SIZE(c); i++)
        gp_exact(c[i].name, c[i].fn, c[i].insn, c[i].resume, c[i].vector * 8 + 2);
    check(hit_count == 0, "hostile/int-41-handler-not-entered", "the DPL-3 gate's handler ran %u times",
          (unsigned)hit_count);
    idt_restore(0x41);
    idt_restore(0x42);
}

/* int $0x80 at CPL 1 (kernel/lguest/vcpu.c real_gate): no gate or a DPL-0 gate
 * is #GP(0x80 * 8 + 2) (XSA-259's case); a DPL-1 trap gate goes straight
 * to the handler (the real IDT holds our gate); a DPL-3 interrupt gate
 * goes through the hypervisor, which turns virtual interrupts off. */
static void idt_int80(void)
{
    idt_clear(0x80);
    gp_exact("hostile/int80-no-gate-gp", hp_int80, hp_int80_insn, hp_int80_resume, 0x402);

    hit_count = 0;
    idt_set(0x80, (u32)hp_count_handler, GATE_TRAP, 0);
    gp_exact("hostile/int80-dpl0-gate-gp", hp_int80, hp_int80_insn, hp_int80_resume, 0x402);
    u32 entered = hit_count;

    hit_count = 0;
    idt_set(0x80, (u32)hp_count_handler, GATE_TRAP, 1);
    struct fault_rec r;
    int got = trapped(hp_int80, hp_int80_resume, &r);
    check(entered == 0 && !got && hit_count == 1 && hit_eip == (u32)hp_int80_resume &&
          (hit_cs & 0xFFFF) == SEL_KERNEL_CS, "hostile/int80-dpl1-trap-gate",
          "DPL-0 gate entered %u times; DPL-1 gate: " FAULT_FMT ", handler ran %u times, frame eip 0x%x cs 0x%x",
          (unsigned)entered, FAULT_ARGS(got, r), (unsigned)hit_count, (unsigned)hit_eip, (unsigned)hit_cs);

    hit_count = 0;
    irq_enable();
    idt_set(0x80, (u32)hp_count_handler, GATE_INT, 3);
    got = trapped(hp_int80, hp_int80_resume, &r);
    irq_enable();       /* the handler's plain iret left them off */
    check(!got && hit_count == 1 && hit_eip == (u32)hp_int80_resume && hit_irq == 0 &&
          (hit_eflags & EFLAGS_IF), "hostile/int80-dpl3-interrupt-gate",
          FAULT_FMT ", handler ran %u times, eip 0x%x, irq_enabled 0x%x in it, EFLAGS image 0x%x",
          FAULT_ARGS(got, r), (unsigned)hit_count, (unsigned)hit_eip, (unsigned)hit_irq, (unsigned)hit_eflags);
    idt_restore(0x80);
}

/* ---- the switcher's pages (ABI 6.2) ---- */

/* Mapped supervisor, so CPL 1 reads them (lguest's layout too). */
static void switcher_read(void)
{
    struct fault_rec r1, r2, r3;
    int g1, g2, g3;
    u32 a = read_at(SW_CODE, &r1, &g1), b = read_at(SW_CODE, &r2, &g2);
    u32 gdt12 = read_at(SW_TABLES + 12 * 8 + 4, &r3, &g3);
    check(!g1 && !g2 && !g3 && a == b, "hostile/switcher-read",
          "code: " FAULT_FMT " / " FAULT_FMT ", read 0x%x then 0x%x; tables: " FAULT_FMT, FAULT_ARGS(g1, r1),
          FAULT_ARGS(g2, r2), (unsigned)a, (unsigned)b, FAULT_ARGS(g3, r3));
    printf("hostile: switcher code starts 0x%08x; our GDT entry 12 there has high word 0x%08x\n", (unsigned)a,
           (unsigned)gdt12);
}

/* Writes to the read-only pages: #PF at the store, cr2 the address, the
 * page unchanged. The error code is checked on its own line: the CPU says
 * 3 (present, write) and so does the ABI (6.6: reflect with the hardware
 * code), but kernel/lguest/shadow.c shadow_fault (line ~234) recomputes bit 0
 * from OUR tables, which never map the switcher, and reports 2 - "not
 * present" for a page we have just read. */
static void switcher_write(void)
{
    static const u32 va[] = { SW_TABLES, SW_CODE };
    static const char *const names[] = { "hostile/switcher-write-tables", "hostile/switcher-write-code" };
    u32 err[2] = { 0, 0 };
    for (unsigned i = 0; i < 2; i++) {
        struct fault_rec r, rr;
        int got, gr;
        u32 before = read_at(va[i], &rr, &gr);
        write_at(va[i], ~before, &r, &got);
        u32 after = read_at(va[i], &rr, &gr);
        err[i] = r.error;
        check(got && r.vector == 14 && r.cr2 == va[i] && r.eip == (u32)probe_write_insn && after == before,
              names[i], FAULT_FMT "; 0x%x before, 0x%x after", FAULT_ARGS(got, r), (unsigned)before,
              (unsigned)after);
    }
    check(err[0] == 3 && err[1] == 3, "hostile/switcher-write-error-code",
          "#PF error codes 0x%x (tables) and 0x%x (code), want 3 (present, write) as the CPU reports it and "
          "ABI 6.6 reflects it; kernel/lguest/shadow.c shadow_fault overwrites bit 0 from the guest's tables, which "
          "never map the switcher, so a page the guest can read is reported not present",
          (unsigned)err[0], (unsigned)err[1]);

    /* A page of the switcher's 4 MiB nothing maps: a plain not-present fault. */
    struct fault_rec r1, r2;
    int g1, g2;
    read_at(SW_NOTHING, &r1, &g1);
    write_at(SW_NOTHING, 1, &r2, &g2);
    check(g1 && r1.vector == 14 && r1.error == 0 && r1.cr2 == SW_NOTHING && g2 && r2.vector == 14 &&
          r2.error == 2 && r2.cr2 == SW_NOTHING, "hostile/switcher-unmapped-page",
          "read " FAULT_FMT "; write " FAULT_FMT, FAULT_ARGS(g1, r1), FAULT_ARGS(g2, r2));
}

/* Our register frame page is writable at CPL 1 (the CPU pushes there at
 * CPL 0 through the same mapping). Scribbling over all of it must change
 * nothing: the next trap writes a fresh frame (so the CS slot, 16 bytes
 * below the top, holds 0x61 again) and the hypervisor never reloads our
 * registers from what we wrote. */
static void switcher_regs_page(void)
{
    volatile u32 *page = (volatile u32 *)SW_REGS;
    for (unsigned i = 0; i < 1024; i++)
        page[i] = 0x5A5A0000 | i;
    probe_hcall_regs(LHCALL_FLUSH_ASYNC, 0x0BAD0001, 0x0BAD0002, 0x0BAD0003);
    const u32 want[8] = { LHCALL_FLUSH_ASYNC, 0x0BAD0001, 0x0BAD0002, 0x0BAD0003,
                          0x5151A5A5, 0xD1D15A5A, 0xB0B0C3C3, probe_esp };
    unsigned bad = 0, left = 0;
    for (unsigned i = 0; i < 8; i++)
        bad += probe_regs[i] != want[i];
    for (unsigned i = 0; i < 1024; i++)
        left += page[i] == (0x5A5A0000 | i);
    u32 cs = page[1020] & 0xFFFF;
    check(bad == 0 && cs == SEL_KERNEL_CS && left < 1024, "hostile/switcher-regs-page-write",
          "%u registers wrong after a hypercall (esi 0x%x edi 0x%x ebp 0x%x esp 0x%x); CS slot 0x%x; "
          "%u of 1024 words still ours", bad, (unsigned)probe_regs[4], (unsigned)probe_regs[5],
          (unsigned)probe_regs[6], (unsigned)probe_regs[7], (unsigned)cs, left);
}

/* A directory entry at index 1023 (head_32.S writes one) is ignored: the
 * switcher stays where it is, in our directory, after a flush, and in a
 * fresh directory carrying the same entry. */
static void switcher_pde(void)
{
    struct fault_rec r, rf;
    int got, gf, faults = 0;
    u32 before = read_at(SW_CODE + 0x1000, &r, &got);
    faults += got;
    u32 pt = page_alloc(), mine = page_with(0x5EC1D1);
    u32 *t = __va(pt);
    t[1] = mine | PTE_P | PTE_W;                /* would be 0xFFC01000 */
    t[(SW_NOTHING >> 12) & 1023] = mine | PTE_P | PTE_W;
    kernel_pgd[1023] = pt | PDE_KERNEL;
    hcall(LHCALL_SET_PGD, pgd_pa(kernel_pgd), 1023, 0);
    u32 after = read_at(SW_CODE + 0x1000, &r, &got);
    faults += got;
    read_at(SW_NOTHING, &rf, &gf);
    hcall(LHCALL_FLUSH_TLB, 1, 0, 0);
    u32 flushed = read_at(SW_CODE + 0x1000, &r, &got);
    faults += got;
    u32 *space = pgd_new();
    space[1023] = pt | PDE_KERNEL;
    mm_switch(space);
    u32 fresh = read_at(SW_CODE + 0x1000, &r, &got);
    faults += got;
    mm_switch(kernel_pgd);
    kernel_pgd[1023] = 0;
    hcall(LHCALL_SET_PGD, pgd_pa(kernel_pgd), 1023, 0);
    space[1023] = 0;
    pgd_free(space);
    page_free(pt);
    page_free(mine);
    check(!faults && after == before && flushed == before && fresh == before && before != 0x5EC1D1 && gf &&
          rf.vector == 14 && rf.error == 0 && rf.cr2 == SW_NOTHING, "hostile/switcher-pde-1023-ignored",
          "0xffc01000 read 0x%x, then 0x%x, 0x%x after a flush, 0x%x in a fresh directory (ours would be "
          "0x5ec1d1), %d of the reads faulted; 0x%x: " FAULT_FMT, (unsigned)before, (unsigned)after,
          (unsigned)flushed, (unsigned)fresh, faults, SW_NOTHING, FAULT_ARGS(gf, rf));
}

/* ---- page tables (ABI 6) ---- */

/* A user page that IS our directory: reads show our entries, writes
 * through it change our directory like any other store, and the
 * hypervisor follows once told. Then the classic recursive entry: the
 * directory as its own page table, showing our page tables. */
static void pt_aliases(void)
{
    const u32 alias = USER_SCRATCH_VA + 0x10000, sidx = USER_SCRATCH_VA >> 22;
    const u32 q = 0x20000000 >> 22, rec = 0x1FF;
    u32 *space = space_with_page(USER_SCRATCH_VA, 0xA1A5, 0);
    map_page(space, alias, pgd_pa(space), PTE_U | PTE_W, 0);    /* not OWNED: pgd_free keeps it */
    u32 pt = page_alloc(), page = page_with(0xA2A2);
    ((u32 *)__va(pt))[0] = page | PTE_P | PTE_U | PTE_W | PTE_OWNED;

    mm_switch(space);
    volatile u32 *dir = (volatile u32 *)alias;
    u32 seen = dir[sidx];
    dir[q] = pt | PDE_USER;
    hcall(LHCALL_SET_PGD, pgd_pa(space), q, 0);
    u32 through = *(volatile u32 *)(q << 22);
    mm_switch(kernel_pgd);
    check(seen == space[sidx] && space[q] == (pt | PDE_USER) && through == 0xA2A2, "hostile/pt-directory-alias",
          "entry %u through the alias 0x%x (directory has 0x%x); wrote entry %u, directory has 0x%x (want 0x%x); "
          "its page reads 0x%x (want 0xa2a2)", (unsigned)sidx, (unsigned)seen, (unsigned)space[sidx],
          (unsigned)q, (unsigned)space[q], (unsigned)(pt | PDE_USER), (unsigned)through);

    space[rec] = pgd_pa(space) | PDE_USER;
    hcall(LHCALL_SET_PGD, pgd_pa(space), rec, 0);
    mm_switch(space);
    volatile u32 *tables = (volatile u32 *)(rec << 22);
    u32 pte_seen = tables[sidx * 1024 + ((USER_SCRATCH_VA >> 12) & 1023)];
    u32 self = tables[rec * 1024 + rec];
    mm_switch(kernel_pgd);
    u32 pte_real = *pte_lookup(space, USER_SCRATCH_VA);
    check((pte_seen & ~0x60u) == (pte_real & ~0x60u) && (self & ~0x60u) == (space[rec] & ~0x60u),
          "hostile/pt-recursive-pde", "PTE through the recursive entry 0x%x (table has 0x%x); the entry itself "
          "0x%x (directory has 0x%x)", (unsigned)pte_seen, (unsigned)pte_real, (unsigned)self,
          (unsigned)space[rec]);
    space[rec] = 0;
    hcall(LHCALL_SET_PGD, pgd_pa(space), rec, 0);
    pgd_free(space);
}

/* Not present means not present, whatever else the entry holds (PAT,
 * global, A, D, a frame far beyond memory): a plain #PF (0 for a read, 2
 * for a write), no kill, and the hypervisor leaves the entry alone. The
 * SET_PTE carries the junk value too, with A and D set: what lguest
 * validated and killed for (ABI 6.1). */
static void pt_nonpresent(void)
{
    const u32 junk = 0xFFFFFFFE;
    u32 pa = page_with(0x1111);
    u32 va = kmap(HP_KMAP, pa, PTE_W);
    u32 first = *(volatile u32 *)va;            /* now shadowed: the junk must replace it */
    set_pte(kernel_pgd, va, junk);
    struct fault_rec r1, r2;
    int g1, g2;
    read_at(va + 8, &r1, &g1);
    write_at(va + 12, 1, &r2, &g2);
    u32 left = *pte_lookup(kernel_pgd, va);
    kunmap(HP_KMAP);
    page_free(pa);
    check(first == 0x1111 && g1 && r1.vector == 14 && r1.error == 0 && r1.cr2 == va + 8 && g2 &&
          r2.vector == 14 && r2.error == 2 && r2.cr2 == va + 12 && left == junk, "hostile/pte-not-present-junk",
          "read " FAULT_FMT "; write " FAULT_FMT "; entry afterwards 0x%x (was 0x%x)", FAULT_ARGS(g1, r1),
          FAULT_ARGS(g2, r2), (unsigned)left, (unsigned)junk);

    kernel_pgd[SPARE_PDE] = junk;
    hcall(LHCALL_SET_PGD, pgd_pa(kernel_pgd), SPARE_PDE, 0);
    read_at(SPARE_VA + 0x1234, &r1, &g1);
    kernel_pgd[SPARE_PDE] = 0;
    hcall(LHCALL_SET_PGD, pgd_pa(kernel_pgd), SPARE_PDE, 0);
    check(g1 && r1.vector == 14 && r1.error == 0 && r1.cr2 == SPARE_VA + 0x1234, "hostile/pde-not-present-junk",
          "read " FAULT_FMT, FAULT_ARGS(g1, r1));
}

/* A directory at GPA 0 (the original lguest host crashed on one through
 * an uninitialised cache entry). Page 0 is below our allocator's first
 * page, so it is ours to borrow: a real directory there, run on it twice,
 * then the page put back as it was. */
static void pt_directory_at_zero(void)
{
    static u32 saved[1024];
    u32 *dir0 = __va(0);
    const u32 sidx = USER_SCRATCH_VA >> 22;
    memcpy(saved, dir0, PAGE_SIZE);
    memset(dir0, 0, PAGE_SIZE);
    for (unsigned i = KERNEL_BASE >> 22; i < 1023; i++)
        dir0[i] = kernel_pgd[i];
    u32 pa = page_with(0x2E20);
    map_page(dir0, USER_SCRATCH_VA, pa, PTE_U | PTE_W | PTE_OWNED, 0);     /* SET_PGD(0, ..), SET_PTE(0, ..) */
    mm_switch(dir0);                                                        /* NEW_PGTABLE(0) */
    u32 v1 = *(volatile u32 *)USER_SCRATCH_VA;
    mm_switch(kernel_pgd);
    u32 v2 = read_in_space(dir0, USER_SCRATCH_VA);                          /* the cached root */
    struct fault_rec r;
    int got;
    read_at(USER_SCRATCH_VA, &r, &got);                                     /* not in ours */
    u32 pt = dir0[sidx] & ~0xFFFu;
    dir0[sidx] = 0;
    hcall(LHCALL_SET_PGD, 0, sidx, 0);
    page_free(pa);
    page_free(pt);
    memcpy(dir0, saved, PAGE_SIZE);
    check(v1 == 0x2E20 && v2 == 0x2E20 && got && r.vector == 14 && r.cr2 == USER_SCRATCH_VA,
          "hostile/new-pgtable-gpa-0", "read 0x%x, then 0x%x on the directory at GPA 0 (want 0x2e20); in ours "
          FAULT_FMT, (unsigned)v1, (unsigned)v2, FAULT_ARGS(got, r));
}

/* Directory addresses with junk in the low 12 bits name the same
 * directory (the CPU ignores them in CR3 too): NEW_PGTABLE switches to it,
 * SET_PTE reaches the translation made for it. */
static void pt_unaligned(void)
{
    u32 pa1;
    u32 *space = space_with_page(USER_SCRATCH_VA, 0x0A11, &pa1);
    hcall(LHCALL_NEW_PGTABLE, pgd_pa(space) | 0xABC, 0, 0);
    u32 v1 = *(volatile u32 *)USER_SCRATCH_VA;
    u32 pa2 = page_with(0x0A12);
    u32 *pte = pte_lookup(space, USER_SCRATCH_VA);
    *pte = pa2 | PTE_P | PTE_U | PTE_W | PTE_OWNED;
    hcall(LHCALL_SET_PTE, pgd_pa(space) | 0x123, USER_SCRATCH_VA, *pte);
    u32 v2 = *(volatile u32 *)USER_SCRATCH_VA;
    mm_switch(kernel_pgd);
    page_free(pa1);
    pgd_free(space);
    check(v1 == 0x0A11 && v2 == 0x0A12, "hostile/pgtable-unaligned-address",
          "read 0x%x after NEW_PGTABLE(pgd | 0xabc) (want 0xa11), 0x%x after SET_PTE(pgd | 0x123) (want 0xa12)",
          (unsigned)v1, (unsigned)v2);
}

/* The device page (GPA = RAM size) is guest memory too: mappable,
 * readable, writable. */
static void pt_device_page(void)
{
    u32 va = kmap(HP_KMAP + 1, ram_bytes, PTE_W) + 0xFFC;
    u32 before = *(volatile u32 *)va;
    *(volatile u32 *)va = 0xDE71CE;
    u32 after = *(volatile u32 *)va;
    *(volatile u32 *)va = before;
    kunmap(HP_KMAP + 1);
    check(after == 0xDE71CE, "hostile/pte-device-page", "wrote 0xde71ce at GPA 0x%x, read 0x%x",
          (unsigned)(ram_bytes + 0xFFC), (unsigned)after);
}

/* ---- privileged instructions at CPL 1 (ABI 4.6) ---- */

static void privileged(void)
{
    static const struct {
        const char *name;
        void (*fn)(void);
        char *insn, *resume;
    } c[] = {
        { "hostile/priv-sti", hp_sti, hp_sti_insn, hp_sti_resume },
        { "hostile/priv-hlt", hp_hlt, hp_hlt_insn, hp_hlt_resume },
        { "hostile/priv-lgdt", hp_lgdt, hp_lgdt_insn, hp_lgdt_resume },
        { "hostile/priv-lidt", hp_lidt, hp_lidt_insn, hp_lidt_resume },
        { "hostile/priv-lldt", hp_lldt, hp_lldt_insn, hp_lldt_resume },
        { "hostile/priv-ltr", hp_ltr, hp_ltr_insn, hp_ltr_resume },
        { "hostile/priv-mov-from-cr0", hp_rd_cr0, hp_rd_cr0_insn, hp_rd_cr0_resume },
        { "hostile/priv-mov-from-cr3", hp_rd_cr3, hp_rd_cr3_insn, hp_rd_cr3_resume },
        { "hostile/priv-lmsw", hp_lmsw, hp_lmsw_insn, hp_lmsw_resume },
        { "hostile/priv-clts", hp_clts, hp_clts_insn, hp_clts_resume },
        { "hostile/priv-mov-to-dr7", hp_wr_dr7, hp_wr_dr7_insn, hp_wr_dr7_resume },
        { "hostile/priv-rdmsr", hp_rdmsr, hp_rdmsr_insn, hp_rdmsr_resume },
        { "hostile/priv-wrmsr", hp_wrmsr, hp_wrmsr_insn, hp_wrmsr_resume },
        { "hostile/priv-insb", hp_insb, hp_insb_insn, hp_insb_resume },
        { "hostile/priv-outsb", hp_outsb, hp_outsb_insn, hp_outsb_resume },
        { "hostile/priv-invlpg", hp_invlpg, hp_invlpg_insn, hp_invlpg_resume },
        { "hostile/priv-wbinvd", hp_wbinvd, hp_wbinvd_insn, hp_wbinvd_resume },
        { "hostile/priv-invd", hp_invd, hp_invd_insn, hp_invd_resume },
        /* SYSENTER_CS is 0 (arch/x86/switcher.c): #GP(0) at any CPL */
        { "hostile/priv-sysenter", hp_sysenter, hp_sysenter_insn, hp_sysenter_resume },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(c); i++)
        gp_exact(c[i].name, c[i].fn, c[i].insn, c[i].resume, 0);
}

/* cli, in and out are the exceptions: emulated, never seen as #GP; in
 * reads all ones in the operand's width. */
static void emulated(void)
{
    u32 gp = trap_counts[13], irq = lguest_data.irq_enabled;
    u32 b = 0x5A5A5A00, w = 0x5A5A0000, l = 0;
    __asm__ __volatile__("cli");
    __asm__ __volatile__("inb $0x21, %%al" : "+a"(b));
    __asm__ __volatile__("inw %%dx, %%ax" : "+a"(w) : "d"(0x64));
    /* 0xCF8 is a real register to a 4.x guest (its PCI configuration):
     * there, a port nobody serves */
#ifdef LG_GEN4
    const u16 port_l = 0xCF0;
#else
    const u16 port_l = 0xCF8;
#endif
    __asm__ __volatile__("inl %%dx, %%eax" : "+a"(l) : "d"(port_l));
    __asm__ __volatile__("outb %%al, $0x80\n\toutl %%eax, %%dx" :: "a"(0x80000000), "d"(port_l));
    check(trap_counts[13] == gp && lguest_data.irq_enabled == irq && b == 0x5A5A5AFF && w == 0x5A5AFFFF &&
          l == 0xFFFFFFFF, "hostile/emulated-cli-in-out",
          "%u #GP reached us; irq_enabled 0x%x -> 0x%x; inb 0x%x, inw 0x%x, inl 0x%x",
          (unsigned)(trap_counts[13] - gp), (unsigned)irq, (unsigned)lguest_data.irq_enabled, (unsigned)b,
          (unsigned)w, (unsigned)l);
}

/* ---- flags ---- */

/* popf at CPL 1 with IOPL 0 silently keeps IF and IOPL: the real IF stays
 * on (the timer still comes) and IOPL stays 0 (so in/out still trap). */
static void flags_popf(void)
{
    u32 before, after;
    __asm__ __volatile__("pushfl\n\tpopl %0\n\t"
                         "pushfl\n\tpushl %0\n\torl $0x3000, (%%esp)\n\tandl $0xFFFFFDFF, (%%esp)\n\tpopfl\n\t"
                         "pushfl\n\tpopl %1\n\tpopfl"
                         : "=&r"(before), "=&r"(after) :: "cc", "memory");
    u32 n = timer_irqs;
    timer_set(200000);
    int fired = timer_spin_wait(n, 200000);
    u32 gp = trap_counts[13], b = 0;
    __asm__ __volatile__("inb $0x21, %%al" : "+a"(b));
    check((before & (EFLAGS_IF | EFLAGS_IOPL)) == EFLAGS_IF && (after & (EFLAGS_IF | EFLAGS_IOPL)) == EFLAGS_IF &&
          fired && b == 0xFF && trap_counts[13] == gp, "hostile/popf-iopl-if",
          "EFLAGS 0x%x before, 0x%x after popf of IOPL 3 / IF 0; timer %s; inb gave 0x%x", (unsigned)before,
          (unsigned)after, fired ? "came" : "never came", (unsigned)b);
}

/* 50 ms with our virtual interrupts off and the timer due after 1: held,
 * irq_pending says so, delivered the moment we turn them back on. */
static void flags_long_disabled(void)
{
    irq_disable();
    u32 n = timer_irqs;
    timer_set(1000000);
    spin_us(50000);
    u32 held = timer_irqs - n, pending = lguest_data.irq_pending;
    irq_enable();
    u32 got = timer_irqs - n;
    check(held == 0 && (pending & EFLAGS_IF) && got == 1, "hostile/irqs-off-50ms",
          "%u interrupts while off, irq_pending 0x%x, %u right after enabling (want 0, 0x200, 1)",
          (unsigned)held, (unsigned)pending, (unsigned)got);
}

/* Single steps, with our own #DB handler (a trap gate) that counts them. */
static void flags_single_step(void)
{
    u32 flags = irq_save();     /* no virtual interrupt in the middle */
    idt_set(1, (u32)hp_count_handler, GATE_TRAP, 0);

    hit_count = 0;
    hp_tf_step();
    u32 n1 = hit_count, eip1 = hit_eip, fl1 = hit_eflags;
    check(n1 == 1 && eip1 == (u32)hp_tf_step_after && (fl1 & EFLAGS_TF), "hostile/tf-single-step",
          "%u #DB, at 0x%x (want 1 at 0x%x), EFLAGS image 0x%x", (unsigned)n1, (unsigned)eip1,
          (unsigned)(u32)hp_tf_step_after, (unsigned)fl1);

    /* mov ss; int $0x1f with TF: we must see exactly the single step after
     * the instruction that follows the hypercall (the hypercall's frame
     * kept TF), the hypercall must have worked, and the hypervisor must
     * still be there (a #DB at its CPL-0 entry is its own business). */
    hit_count = 0;
    hp_movss_ebx = 0;
    hp_movss_int1f(0x55AA1F1F);
    u32 n2 = hit_count, eip2 = hit_eip;
    check(n2 == 1 && eip2 == (u32)hp_movss_after2 && hp_movss_ebx == 0x55AA1F1F, "hostile/mov-ss-int1f-tf",
          "%u #DB, last at 0x%x (want 1 at 0x%x), EBX after the hypercall 0x%x", (unsigned)n2, (unsigned)eip2,
          (unsigned)(u32)hp_movss_after2, (unsigned)hp_movss_ebx);

    /* sysenter with TF: the #GP wins; our #GP handler must not be single
     * stepped (the hypervisor clears TF for the handler, as the CPU would),
     * and TF comes back with the handler's iret: one #DB after resuming. */
    hit_count = 0;
    struct fault_rec r;
    int got = trapped(hp_sysenter_tf, hp_sysenter_tf_resume, &r);
    u32 n3 = hit_count, eip3 = hit_eip;
    check(fault_is(got, &r, 13, 0, (u32)hp_sysenter_tf_insn) && (r.eflags & EFLAGS_TF) && n3 == 1 &&
          eip3 == (u32)hp_sysenter_tf_after, "hostile/sysenter-tf",
          FAULT_FMT ", EFLAGS image 0x%x; then %u #DB at 0x%x (want 1 at 0x%x)", FAULT_ARGS(got, r),
          (unsigned)r.eflags, (unsigned)n3, (unsigned)eip3, (unsigned)(u32)hp_sysenter_tf_after);

    idt_restore(1);
    irq_restore(flags);
}

/* iret with NT: #TS(0) from the empty back link of the hypervisor's TSS,
 * reflected to us with NT in the frame's EFLAGS (our handler, entered with
 * NT clear as the CPU would, returns normally). */
static void flags_iret_nt(void)
{
    u32 flags = irq_save();
    struct fault_rec r;
    int got = trapped(hp_iret_nt, hp_iret_nt_resume, &r);
    u32 after = get_eflags();
    irq_restore(flags);
    check(fault_is(got, &r, 10, 0, (u32)hp_iret_nt_insn) && (r.eflags & EFLAGS_NT) && !(after & EFLAGS_NT),
          "hostile/iret-nt-ts", FAULT_FMT ", EFLAGS image 0x%x, NT afterwards %u; want #TS(0) at 0x%x",
          FAULT_ARGS(got, r), (unsigned)r.eflags, (unsigned)!!(after & EFLAGS_NT),
          (unsigned)(u32)hp_iret_nt_insn);
}

void test_hostile(void)
{
    gdt_dpl0_data();
    gdt_system();
    gdt_host_owned();

    idt_int3();
    idt_handler_edge();
    idt_ignored();
    idt_int_n();
    idt_int80();

    switcher_read();
    switcher_write();
    switcher_regs_page();
    switcher_pde();

    pt_aliases();
    pt_nonpresent();
    pt_directory_at_zero();
    pt_unaligned();
    pt_device_page();

    privileged();
    emulated();

    flags_popf();
    flags_long_disabled();
    flags_single_step();
    flags_iret_nt();

    tests_done();
}
