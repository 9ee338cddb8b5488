/* test=fuzz: seeded random and edge-case arguments for every hypercall
 * (lguest-abi.md 2.2), judged against what kernel/lguest/hypercalls.c and the files
 * it calls into accept. One boot ("incarnation"):
 *
 *  1. calls=N (default 10000) calls the hypervisor must SURVIVE, made
 *     directly and through the async ring (2.4). Every 1000 or so the guest
 *     checks that it is still intact and says how many calls that covers;
 *  2. unless fatal=0, ONE thing from a catalogue that must STOP the guest,
 *     announced first with the text the hypervisor's stop reason must hold.
 *
 * The harness runs it with on_kill=restart, so every kill starts a fresh
 * incarnation with a fresh seed (rdtsc) unless seed=N pins it. Lines:
 *
 *   FUZZ seed 0x1234abcd                 first line of every incarnation
 *   FUZZ ok N calls                      N more calls survived, guest intact
 *                                        (sum them over all incarnations)
 *   FUZZ fatal NAME expect "SUBSTRING"   the next thing must stop us, and
 *                                        "guest X: stopped: ..." must hold SUBSTRING
 *   FAIL fuzz/...                        something broke (then DONE, power off)
 *
 * Options (our own parsing: cmdline.c cannot tell a missing seed= from
 * seed=1): seed=N, calls=N, fatal=0 (no fatal case: DONE and power off),
 * fatal=NAME (that catalogue entry instead of a random one). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "guest/bootopt.h"
#include "guest/cmdline.h"
#include "guest/fpu.h"
#include "guest/hcall.h"
#include "guest/idt.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/timer.h"
#include "guest/trap.h"
#include "guest/x86.h"

/* The hypervisor lets a guest reference RAM plus this many pages after it
 * (device page and rings: kernel/lguest/guest_boot.c DEVICE_PAGES, the brief says
 * 64). Only the fatal catalogue and NOTIFY's "ignored" range depend on it. */
#define FZ_DEVICE_PAGES     64
#define FZ_CHUNK            1000        /* calls between two integrity checks */
#define FZ_MARKER           0xF022F022u /* in the second address space */
#define FZ_KMAP_PATTERN     100         /* KMAP slots of our own */
#define FZ_KMAP_RO          101
#define FZ_KMAP_BAD         102
#define FZ_PATTERN_WORDS    2048

static u32 ram_end, mem_end;            /* GPAs: end of RAM, end of everything */
static u32 *space2;                     /* a second valid directory to switch to */
static u32 pattern_pa;                  /* a page we check through a KMAP alias */
static u32 pattern[FZ_PATTERN_WORDS];
static u32 seed;

/* ---- command line ---- */

static int option_u32(const char *key, u32 *value)
{
    char v[24];
    if (!boot_option(key, v, sizeof v))
        return 0;
    *value = (u32)strtoul(v, 0, 0);
    return 1;
}

/* ---- a deterministic generator: xorshift64*, seeded through splitmix64 ---- */

static u64 rng;

static void rng_seed(u32 s)
{
    u64 z = (u64)s + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    rng = z ^ (z >> 31);
    if (!rng)
        rng = 0x9E3779B97F4A7C15ull;
}

static u32 rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (u32)((rng * 0x2545F4914F6CDD1Dull) >> 32);
}

static u32 below(u32 n) { return n ? rnd() % n : 0; }
static int one_in(u32 n) { return below(n) == 0; }

/* Values where checks go wrong: zero, all ones, the sign bit, page and
 * table boundaries, the ends of guest memory, the switcher, plus noise. */
static u32 edge(void)
{
    static const u32 fixed[] = {
        0, 1, 2, 3, 4, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFC, 0x7FFFFFFF, 0x80000000, 0x80000001,
        0xFFF, 0x1000, 0x1001, 0xFFFFF000, 0xFFFFF001, 0xFFC00000, 0xFFBFFFFF, 0xFFC00001,
        0xFFBFF000, 0xFFC01000, 0xFFC02000, 0xFFC02FFC, 0xFFC03000, 0xFFC04000, KERNEL_BASE,
        KERNEL_BASE - 1, KERNEL_BASE + 1, 31, 32, 33, 255, 256, 257, 1023, 1024, 1025, 0x1F, 0x20,
        0x80, 0x200, 0x3FF, 0x400, 0x10000, 0xFFFF,
    };
    switch (below(8)) {
    case 0:
    case 1:
        return fixed[below(ARRAY_SIZE(fixed))];
    case 2:
        return (one_in(2) ? ram_end : mem_end) + below(3) - 1;
    case 3:
        return (rnd() & ~0xFFFu) + below(3) - 1;        /* a page boundary, +-1 */
    case 4:
        return rnd() & 0xFF;
    case 5:
        return 1u << below(32);
    default:
        return rnd();
    }
}

/* Anything the ABI lets a guest name below the switcher. */
static u32 below_switcher(u32 va) { return va >= HOST_RESERVED_MIN ? va - 0x400000 : va; }

/* ---- the calls the hypervisor must survive ---- */

struct call {
    u32 nr, a1, a2, a3;
};

/* A directory GPA: the real ones most of the time (so the drop hits
 * something), with junk in the low bits now and then, or anything. */
static u32 some_pgd(void)
{
    switch (below(4)) {
    case 0: return pgd_pa(kernel_pgd);
    case 1: return pgd_pa(space2);
    case 2: return (one_in(2) ? pgd_pa(kernel_pgd) : pgd_pa(space2)) | (rnd() & 0xFFF);
    default: return edge();
    }
}

static void mk_nothing(struct call *c)
{
    c->nr = one_in(2) ? LHCALL_FLUSH_ASYNC : LHCALL_SEND_INTERRUPTS;
    c->a1 = edge();
    c->a2 = edge();
    c->a3 = edge();
}

static void mk_flush_tlb(struct call *c)
{
    *c = (struct call){ LHCALL_FLUSH_TLB, edge(), edge(), edge() };
}

static void mk_ts(struct call *c)
{
    *c = (struct call){ LHCALL_TS, edge(), edge(), edge() };
}

/* A surprise tick is harmless: the timer handler only counts. */
static void mk_clockevent(struct call *c)
{
    *c = (struct call){ LHCALL_SET_CLOCKEVENT, edge(), edge(), edge() };
}

/* SET_PTE only drops the hypervisor's copy: our tables stay as they are,
 * so even a junk value changes nothing we can see. */
static void mk_set_pte(struct call *c)
{
    *c = (struct call){ LHCALL_SET_PTE, some_pgd(), below_switcher(edge()), edge() };
}

#ifdef LG_PAE
/* The PAE build's entries as the hypervisor prints them: 16 hex digits. */
#define ENTRY "0x00000000%08x"
#define DIR_ENTRY "bad page middle directory entry " ENTRY " for 0x%08x: bad page middle directory entry"
#define DIR_SPAN 512u                   /* pages under one directory-level entry */
#else
#define ENTRY "0x%08x"
#define DIR_ENTRY "bad page directory entry " ENTRY " for 0x%08x: bad page directory entry"
#define DIR_SPAN 1024u
#endif

static void mk_set_pgd(struct call *c)
{
#ifdef LG_PAE
    u32 i = below(4);               /* a PDPT has 4 entries; more is fatal */
#else
    static const u32 idx[] = { 0, 1, 767, 768, 769, 1022, 1023, KMAP_PDE, DEMAND_PDE, SPARE_PDE,
                               USER_SCRATCH_VA >> 22 };
    u32 i = one_in(2) ? idx[below(ARRAY_SIZE(idx))] : edge() % 1024;
#endif
    *c = (struct call){ LHCALL_SET_PGD, some_pgd(), i, edge() };
}

/* Only the two directories we can run on (the second has the same kernel
 * half); the hypervisor ignores the low 12 bits, as the CPU does in CR3. */
static void mk_new_pgtable(struct call *c)
{
    u32 pa = one_in(2) ? pgd_pa(kernel_pgd) : pgd_pa(space2);
#ifdef LG_PAE
    const u32 low = 0x1F;           /* a PDPT's CR3 ignores only bits 0-4 */
#else
    const u32 low = 0xFFF;
#endif
    *c = (struct call){ LHCALL_NEW_PGTABLE, pa | (one_in(3) ? rnd() & low : 0), edge(), edge() };
}

/* Vectors nobody uses here: 0x40-0x7F and 0x81-0xFF (IRQ lines stop at
 * 0x3F, 0x80 is the system call). Present gates must be 32-bit interrupt
 * or trap gates with a handler below the switcher; everything else in
 * them (selector, DPL, reserved bits) may be junk. The vectors the
 * hypervisor ignores take total junk. */
static void mk_idt(struct call *c)
{
    c->nr = LHCALL_LOAD_IDT_ENTRY;
    if (one_in(6)) {
        static const u32 own[] = { 2, 8, 15, 0x1F };
        c->a1 = own[below(4)];
        c->a2 = edge();
        c->a3 = edge();
        return;
    }
    u32 v = 0x40 + below(0xBF);                 /* 0x40 .. 0xFE */
    c->a1 = v >= 0x80 ? v + 1 : v;              /* skip 0x80 */
    u32 handler = below_switcher(edge());
    c->a2 = (rnd() & 0xFFFF0000) | (handler & 0xFFFF);
    if (one_in(3))
        c->a3 = rnd() & ~0x8000u;               /* not present: junk elsewhere */
    else
        c->a3 = (handler & 0xFFFF0000) | 0x8000 | (rnd() & 0x70FF) | (GATE_INT + below(2)) << 8;
}

/* GDT entries the guest never loads here (12-15 are its CS/DS, user CS/DS),
 * or the four the hypervisor keeps: any descriptor at all. */
static void mk_gdt(struct call *c)
{
    static const u8 unused[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
                                 27, 28, 29, 30 };
    static const u8 host[] = { 10, 11, 16, 31 };
    u32 i = one_in(4) ? host[below(4)] : unused[below(ARRAY_SIZE(unused))];
    *c = (struct call){ LHCALL_LOAD_GDT_ENTRY, i, one_in(2) ? edge() : rnd(), one_in(2) ? edge() : rnd() };
}

/* 24 bytes of whatever lies in RAM (or in the device page right after it). */
static u32 tls_gpa(void)
{
    switch (below(5)) {
    case 0: return 0;
    case 1: return ram_end - 24;
    case 2: return (1 + below((ram_end >> 12) - 1)) * PAGE_SIZE - 8;    /* across a page boundary */
    case 3: return ram_end + below(0x1000 - 24);
    default: return below(ram_end - 24);
    }
}

static void mk_tls(struct call *c)
{
    *c = (struct call){ LHCALL_LOAD_TLS, tls_gpa(), edge(), edge() };
}

/* NOTIFY 0 and the device area are ignored; a string is printed, so only
 * strings that cannot look like a test line, and rarely a visible one. */
static const char notify_empty[] = "";
static const char notify_line[] = "fuzz: a NOTIFY string\n";

static void mk_notify(struct call *c)
{
    u32 gpa;
    switch (below(4)) {
    case 0: gpa = 0; break;
    case 1: gpa = ram_end + below(FZ_DEVICE_PAGES * PAGE_SIZE); break;
    case 2: gpa = one_in(100) ? __pa(notify_line) : __pa(notify_empty); break;
    default: gpa = __pa(notify_empty); break;
    }
    *c = (struct call){ LHCALL_NOTIFY, gpa, edge(), edge() };
}

/* SS 0x69 and a writable kernel address: the whole direct map of RAM is
 * writable, and with 2 pages the lower one must be too, hence the 0x1001.
 * With 0 pages nothing is pinned, so any address will do (it would only
 * matter for a trap from user mode, and we have none). */
static void mk_set_stack(struct call *c)
{
    u32 pages = below(3), esp;
    if (!pages && one_in(2))
        esp = edge();
    else if (one_in(4))
        esp = one_in(2) ? KERNEL_BASE + 0x1001 : KERNEL_BASE + ram_end;
    else
        esp = KERNEL_BASE + 0x1001 + below(ram_end - 0x1000);
    *c = (struct call){ LHCALL_SET_STACK, SEL_KERNEL_DS, esp, pages };
}

struct kind {
    const char *name;
    void (*make)(struct call *c);   /* 0: HALT, which is special */
    u32 weight, calls;
};

static struct kind kinds[] = {
    { "flush_async/send_interrupts", mk_nothing, 8, 0 },
    { "flush_tlb", mk_flush_tlb, 5, 0 },
    { "ts", mk_ts, 5, 0 },
    { "set_clockevent", mk_clockevent, 5, 0 },
    { "halt", 0, 2, 0 },
    { "set_pte", mk_set_pte, 14, 0 },
    { "set_pgd", mk_set_pgd, 10, 0 },
    { "new_pgtable", mk_new_pgtable, 6, 0 },
    { "load_idt_entry", mk_idt, 10, 0 },
    { "load_gdt_entry", mk_gdt, 10, 0 },
    { "load_tls", mk_tls, 6, 0 },
    { "notify", mk_notify, 5, 0 },
    { "set_stack", mk_set_stack, 6, 0 },
};

static struct kind *pick(int ring)
{
    u32 total = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(kinds); i++)
        total += kinds[i].weight;
    for (;;) {
        u32 r = below(total);
        for (unsigned i = 0; i < ARRAY_SIZE(kinds); i++) {
            if (r < kinds[i].weight) {
                if (ring && !kinds[i].make)
                    break;          /* no HALT in the ring: draw again */
                return &kinds[i];
            }
            r -= kinds[i].weight;
        }
    }
}

/* What the fuzzer saw go wrong, reported at the next check. */
static unsigned bad_count;
static char bad_first[200];

static void __attribute__((format(printf, 1, 2))) note_bad(const char *fmt, ...)
{
    if (!bad_count++) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(bad_first, sizeof bad_first, fmt, ap);
        va_end(ap);
    }
}

/* HALT sleeps until an interrupt: arm a short timer first, with our
 * interrupts off so it cannot be taken before the HALT (ABI 4.8). */
static u32 fuzz_halt(void)
{
    u32 n = timer_irqs;
    irq_disable();
    timer_set(20000 + below(300000));
    halt();
    if (timer_irqs == n || !irqs_enabled())
        note_bad("HALT returned with %u timer interrupts, irq_enabled 0x%x", (unsigned)(timer_irqs - n),
                 (unsigned)lguest_data.irq_enabled);
    irq_enable();
    return 2;
}

/* One direct call; returns how many hypercalls that was. */
static u32 one_direct(void)
{
    struct kind *k = pick(0);
    k->calls++;
    if (!k->make)
        return fuzz_halt();
    struct call c;
    k->make(&c);
    hcall(c.nr, c.a1, c.a2, c.a3);
    return 1;
}

/* 1 to 80 calls through the ring (more than its 64 slots: the rest go
 * direct, which drains the ring first), then FLUSH_ASYNC. */
static u32 one_batch(void)
{
    u32 n = 1 + below(80);
    for (u32 i = 0; i < n; i++) {
        struct kind *k = pick(1);
        struct call c;
        k->make(&c);
        k->calls++;
        hcall_async(c.nr, c.a1, c.a2, c.a3);
    }
    hcall_flush();
    if (hcall_ring_busy())
        note_bad("%u ring slots still queued after FLUSH_ASYNC", hcall_ring_busy());
    return n + 1;
}

/* ---- is the guest still intact? ---- */

static void pattern_fill(u32 *w, unsigned n, u32 x)
{
    for (unsigned i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        w[i] = x;
    }
}

static unsigned pattern_bad(const volatile u32 *w, unsigned n, u32 x)
{
    unsigned bad = 0;
    for (unsigned i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bad += w[i] != x;
    }
    return bad;
}

/* Back to a known state (our directory, our real stack, our idea of TS),
 * then: memory as we left it, seen directly and through a kernel alias the
 * fuzzer dropped again and again; our fields of lguest_data untouched; the
 * second address space still maps its page; a kernel page fault reflected
 * with the right cr2 and error code; the timer still ticking. */
static int intact(char *why, size_t n)
{
    mm_switch(kernel_pgd);
    hcall(LHCALL_SET_STACK, SEL_KERNEL_DS, (u32)boot_stack_top, KSTACK_PAGES);
    fpu_set_ts();
    if (bad_count) {
        snprintf(why, n, "%u problems while fuzzing, first: %s", bad_count, bad_first);
        return 0;
    }
    unsigned bad = pattern_bad(pattern, FZ_PATTERN_WORDS, seed | 1);
    unsigned bad_alias = pattern_bad((u32 *)(KMAP_VA + FZ_KMAP_PATTERN * PAGE_SIZE), 1024, ~seed | 1);
    if (bad || bad_alias) {
        snprintf(why, n, "%u words of the pattern changed, %u in the page seen through KMAP", bad, bad_alias);
        return 0;
    }
    if (lguest_data.kernel_address != KERNEL_BASE || lguest_data.syscall_vec != VEC_SYSCALL ||
        lguest_data.reserve_mem != EXPECTED_RESERVE) {
        snprintf(why, n, "lguest_data: kernel_address 0x%x syscall_vec 0x%x reserve_mem 0x%x",
                 (unsigned)lguest_data.kernel_address, (unsigned)lguest_data.syscall_vec,
                 (unsigned)lguest_data.reserve_mem);
        return 0;
    }
    u32 m = read_in_space(space2, USER_SCRATCH_VA);
    if (m != FZ_MARKER) {
        snprintf(why, n, "the second address space reads 0x%x at 0x%x, want 0x%x", (unsigned)m,
                 USER_SCRATCH_VA, FZ_MARKER);
        return 0;
    }
    /* The kernel directory's user half is empty: any page there faults. */
    u32 va = (0x1000 + below(KERNEL_BASE - 0x2000)) & ~3u;
    struct fault_rec r;
    memset(&r, 0, sizeof r);
    expect_fault((u32)probe_read_resume);
    probe_read(va);
    int got = expect_taken(&r);
    if (!got || r.vector != 14 || r.cr2 != va || r.error != 0 || r.eip != (u32)probe_read_insn) {
        snprintf(why, n, "read of 0x%x: trap %d vector %u error 0x%x cr2 0x%x eip 0x%x", (unsigned)va, got,
                 (unsigned)r.vector, (unsigned)r.error, (unsigned)r.cr2, (unsigned)r.eip);
        return 0;
    }
    if (!irqs_enabled())
        irq_enable();
    u32 ticks = timer_irqs;
    timer_set(200000);
    if (!timer_spin_wait(ticks, 200000)) {
        snprintf(why, n, "no timer interrupt within 200 ms of a 200 us deadline");
        return 0;
    }
    return 1;
}

static void setup(void)
{
    ram_end = ram_bytes;
    mem_end = ram_end + FZ_DEVICE_PAGES * PAGE_SIZE;
    space2 = space_with_page(USER_SCRATCH_VA, FZ_MARKER, 0);
    pattern_fill(pattern, FZ_PATTERN_WORDS, seed | 1);
    pattern_pa = page_alloc();
    pattern_fill(__va(pattern_pa), 1024, ~seed | 1);
    kmap(FZ_KMAP_PATTERN, pattern_pa, PTE_W);
}

static void print_mix(u32 total)
{
    char line[600];
    int len = snprintf(line, sizeof line, "fuzz: %u calls:", (unsigned)total);
    for (unsigned i = 0; i < ARRAY_SIZE(kinds) && len < (int)sizeof line; i++)
        len += snprintf(line + len, sizeof line - len, " %s %u", kinds[i].name, (unsigned)kinds[i].calls);
    printf("%s\n", line);
}

/* ---- the catalogue of things that must stop the guest ---- */

static char fatal_name[48];

static void __attribute__((format(printf, 2, 3))) announce(const char *name, const char *fmt, ...)
{
    char want[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    snprintf(fatal_name, sizeof fatal_name, "%s", name);
    printf("FUZZ fatal %s expect \"%s\"\n", fatal_name, want);
}

/* A hypercall that must kill: direct, or (one time in three) queued in the
 * ring and drained by FLUSH_ASYNC, which must end the same way. */
static void __attribute__((format(printf, 6, 7)))
fatal_call(const char *name, u32 nr, u32 a1, u32 a2, u32 a3, const char *fmt, ...)
{
    int ring = one_in(3);
    char full[48], want[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "%s%s", name, ring ? "-ring" : "");
    announce(full, "%s", want);
    if (ring) {
        hcall_async(nr, a1, a2, a3);
        hcall_flush();
    } else {
        hcall(nr, a1, a2, a3);
    }
}

static void f_hcall_number(void)
{
    static const u32 holes[] = { 3, 11, 12, 13, 20, 0xFFFFFFFF };
    u32 nr = one_in(3) ? 21 + below(0xFFFFFFFE - 21) : holes[below(ARRAY_SIZE(holes))];
    fatal_call("hcall-undefined", nr, edge(), edge(), edge(), "bad hypercall %u", (unsigned)nr);
}

static void f_init_again(void)
{
    u32 gpa = one_in(2) ? __pa(&lguest_data) : edge();
    fatal_call("init-again", LHCALL_LGUEST_INIT, gpa, 0, 0, "already have lguest_data");
}

static u32 any_vector(void)
{
    u32 v;
    do
        v = below(256);
    while (v == 2 || v == 8 || v == 15 || v == 0x1F);
    return v;
}

static void f_idt_vector(void)
{
    static const u32 v[] = { 256, 257, 0x8000, 0x80000000, 0xFFFFFFFF };
    u32 vec = one_in(3) ? 256 + below(0xFFFFFF00) : v[below(ARRAY_SIZE(v))];
    u32 h = trap_stub(0);
    fatal_call("idt-vector", LHCALL_LOAD_IDT_ENTRY, vec, gate_lo(h), gate_hi(h, GATE_INT, 0),
               "bad IDT vector %u", (unsigned)vec);
}

static void f_idt_type(void)
{
    u32 vec = any_vector(), type = below(GATE_INT);     /* 0-0xD: all but the two gates */
    u32 h = trap_stub(vec);
    fatal_call("idt-type", LHCALL_LOAD_IDT_ENTRY, vec, gate_lo(h), gate_hi(h, type, below(4)),
               "bad IDT type %u for vector %u", (unsigned)type, (unsigned)vec);
}

static void f_idt_handler(void)
{
    static const u32 h[] = { HOST_RESERVED_MIN, 0xFFC02000, 0xFFFFFFFF };
    u32 vec = any_vector(), handler = one_in(2) ? h[below(3)] : HOST_RESERVED_MIN + below(0x400000);
    fatal_call("idt-handler", LHCALL_LOAD_IDT_ENTRY, vec, gate_lo(handler),
               gate_hi(handler, GATE_INT + below(2), below(4)), "bad IDT handler 0x%08x for vector %u",
               (unsigned)handler, (unsigned)vec);
}

/* Only selectors the fuzzing above cannot have made valid: RPL not 1, the
 * hypervisor's entries, code or DPL-3 entries we never touch, TI set,
 * index beyond 31. */
static void f_stack_segment(void)
{
    static const u32 segs[] = { 0x68, 0x6A, 0x6B, 0x61, 0x71, 0x79, 0x7B, 0x51, 0x59, 0x81, 0xF9, 0x6D,
                                0x0, 0x2, 0x3, 0x101, 0x10069, 0xFFFFFFFF };
    u32 seg = segs[below(ARRAY_SIZE(segs))];
    fatal_call("stack-segment", LHCALL_SET_STACK, seg, (u32)boot_stack_top, KSTACK_PAGES,
               "bad stack segment 0x%x", (unsigned)seg);
}

static void f_stack_pages(void)
{
    static const u32 p[] = { 3, 4, 0x80000000, 0xFFFFFFFF };
    u32 pages = one_in(3) ? 3 + below(0xFFFFFFFC) : p[below(ARRAY_SIZE(p))];
    fatal_call("stack-pages", LHCALL_SET_STACK, SEL_KERNEL_DS, (u32)boot_stack_top, pages,
               "bad stack pages %u", (unsigned)pages);
}

/* A stack the hypervisor cannot pin: its pages hold esp - 1 - i * 4096. */
static void f_stack_page(void)
{
    u32 esp, pages = 1 + below(2), bad;
    const char *name;
    switch (below(4)) {
    case 0:         /* nothing mapped in our directory's user half */
        name = "stack-unmapped";
        esp = 0x1000 + below(KERNEL_BASE - 0x1000);
        bad = esp - 1;
        break;
    case 1:         /* the top page is RAM page 0, the one under it user space */
        name = "stack-second-page";
        esp = KERNEL_BASE + 1 + below(0x1000);
        pages = 2;
        bad = esp - 0x1001;
        break;
    case 2:         /* the switcher, or 0 (esp - 1 wraps into it) */
        name = "stack-switcher";
        esp = one_in(4) ? 0 : HOST_RESERVED_MIN + 1 + below(0x3FFFFF);
        bad = esp - 1;
        break;
    default: {      /* mapped, but read-only */
        name = "stack-readonly";
        u32 va = kmap(FZ_KMAP_RO, page_alloc(), 0);
        esp = va + 1 + below(0x1000);
        pages = 1;
        bad = esp - 1;
        break;
    }
    }
    fatal_call(name, LHCALL_SET_STACK, SEL_KERNEL_DS, esp, pages, "bad stack page 0x%08x", (unsigned)bad);
}

static void f_gdt_index(void)
{
    static const u32 idx[] = { 32, 33, 64, 256, 0x80000000, 0xFFFFFFFF };
    u32 i = one_in(3) ? 32 + below(0xFFFFFFDF) : idx[below(ARRAY_SIZE(idx))];
    fatal_call("gdt-index", LHCALL_LOAD_GDT_ENTRY, i, 0x0000FFFF, 0x00CF9300, "bad GDT index %u", (unsigned)i);
}

/* 24 bytes that are not all inside guest memory, wrapping or not. */
static void f_tls(void)
{
    static const u32 g[] = { 0xFFFFFFF0, 0xFFFFFFFF, 0xFFFFFFE9 };
    u32 gpa;
    const char *name;
    if (one_in(2)) {
        name = "tls-straddle";
        gpa = mem_end - 23 + below(23);
    } else {
        name = "tls-outside";
        gpa = one_in(3) ? g[below(3)] : one_in(2) ? mem_end : mem_end + below(0u - mem_end);
    }
    fatal_call(name, LHCALL_LOAD_TLS, gpa, 0, 0, "bad TLS address 0x%08x", (unsigned)gpa);
}

static void f_pgd_index(void)
{
    static const u32 idx[] = { 1024, 1025, 4096, 0x80000000, 0xFFFFFFFF };
    u32 i = one_in(3) ? 1024 + below(0xFFFFFBFF) : idx[below(ARRAY_SIZE(idx))];
#ifdef LG_PAE
    i = 4 + i % 1020;
    u32 pdpt = one_in(2) ? pgd_pa(kernel_pgd) : edge();
    fatal_call("pgd-index", LHCALL_SET_PGD, pdpt, i, 0, "SET_PGD 0x%08x %u: bad pgd index: a PDPT has 4 entries",
               (unsigned)(pdpt & ~0x1Fu), (unsigned)i);
#else
    fatal_call("pgd-index", LHCALL_SET_PGD, one_in(2) ? pgd_pa(kernel_pgd) : edge(), i, 0,
               "bad pgd index %u", (unsigned)i);
#endif
}

static void f_pte_switcher(void)
{
    static const u32 va[] = { HOST_RESERVED_MIN, 0xFFC02000, 0xFFC03000, 0xFFFFF000, 0xFFFFFFFF };
    u32 v = one_in(2) ? va[below(ARRAY_SIZE(va))] : HOST_RESERVED_MIN + below(0x400000);
    fatal_call("pte-switcher", LHCALL_SET_PTE, one_in(2) ? pgd_pa(kernel_pgd) : edge(), v, edge(),
               "attempt to set pte in the switcher (0x%08x)", (unsigned)v);
}

/* Beyond the last page: the hypervisor reports the address page-aligned. */
static void f_new_pgtable(void)
{
    u32 gpa = one_in(3) ? mem_end : one_in(2) ? 0xFFFFFFFF : mem_end + below(0u - mem_end);
#ifdef LG_PAE
    /* a PDPT address is 32-byte granular */
    fatal_call("new-pgtable-outside", LHCALL_NEW_PGTABLE, gpa, 0, 0, "bad page table address 0x%08x",
               (unsigned)(gpa & ~0x1Fu));
#else
    fatal_call("new-pgtable-outside", LHCALL_NEW_PGTABLE, gpa, 0, 0, "bad page table address 0x%08x",
               (unsigned)(gpa & ~0xFFFu));
#endif
}

static void f_notify(void)
{
    u32 gpa = one_in(3) ? mem_end : one_in(2) ? 0xFFFFFFFF : mem_end + below(0u - mem_end);
    fatal_call("notify-beyond", LHCALL_NOTIFY, gpa, 0, 0, "bad notify address 0x%08x", (unsigned)gpa);
}

/* The tables themselves: harmless until the hypervisor walks them. */
static void touch(u32 va) { (void)*(volatile u32 *)va; }

static void f_pde(void)
{
    static const u32 forbidden[] = { 0x008, 0x010, 0x080, 0x100, 0x200, 0x400, 0x800 };
    u32 va = SPARE_VA + (below(DIR_SPAN) << 12) + (below(1024) << 2), pde;
    if (one_in(2)) {
        pde = page_alloc() | PDE_USER | forbidden[below(ARRAY_SIZE(forbidden))];
        announce("pde-flag", DIR_ENTRY ": forbidden flag",
                 (unsigned)pde, (unsigned)va);
    } else {
        pde = (mem_end + (below((0u - mem_end) >> 12) << 12)) | (rnd() & 0x066) | PTE_P;
        announce("pde-beyond", DIR_ENTRY ": frame beyond guest memory", (unsigned)pde, (unsigned)va);
    }
    *pde_lookup(kernel_pgd, SPARE_VA) = pde;
    pde_announce(kernel_pgd, SPARE_VA);
    touch(va);
    *pde_lookup(kernel_pgd, SPARE_VA) = 0;
    pde_announce(kernel_pgd, SPARE_VA);
}

/* The PTE is announced with SET_PTE(va, 0), Linux's "forget this page",
 * so the hypervisor meets the value only when we touch the page. */
static void f_pte(void)
{
    u32 base = KMAP_VA + FZ_KMAP_BAD * PAGE_SIZE, va = base + (below(1024) << 2), pte;
    if (one_in(2)) {
        pte = page_alloc() | (rnd() & 0xF7E) | PTE_PSE | PTE_P;
        announce("pte-pat", "bad page table entry " ENTRY " for 0x%08x: bad page table entry: PAT bit",
                 (unsigned)pte, (unsigned)va);
    } else {
        pte = (mem_end + (below((0u - mem_end) >> 12) << 12)) | (rnd() & 0xF7E) | PTE_P;
        announce("pte-beyond", "bad page table entry " ENTRY " for 0x%08x: bad page table entry: frame beyond "
                 "guest memory", (unsigned)pte, (unsigned)va);
    }
    *pte_lookup(kernel_pgd, base) = pte;
    hcall(LHCALL_SET_PTE, pgd_pa(kernel_pgd), base, 0);
    touch(va);
    kunmap(FZ_KMAP_BAD);
}

/* An exception with no gate (ours cleared) has nowhere to go. */
static void f_trap_no_gate(void)
{
    u32 ua = 0x1000 + (below(KERNEL_BASE - 0x2000) & ~3u);
    switch (below(4)) {
    case 0:
        announce("trap-no-gate-0", "unhandled trap 0 at 0x%08x", (unsigned)(u32)probe_div0_insn);
        idt_clear(0);
        expect_fault((u32)probe_div0_resume);
        probe_div0();
        idt_restore(0);
        break;
    case 1:
        announce("trap-no-gate-6", "unhandled trap 6 at 0x%08x", (unsigned)(u32)probe_ud2_insn);
        idt_clear(6);
        expect_fault((u32)probe_ud2_resume);
        probe_ud2();
        idt_restore(6);
        break;
    case 2:         /* the hypervisor's own data segment: always #GP(0x58) */
        announce("trap-no-gate-13", "unhandled trap 13 at 0x%08x", (unsigned)(u32)probe_gp_selector_insn);
        idt_clear(13);
        expect_fault((u32)probe_gp_selector_resume);
        probe_gp_selector(0x5B);
        idt_restore(13);
        set_fs(0);
        break;
    default:
        announce("trap-no-gate-14", "unhandled trap 14 at 0x%08x", (unsigned)(u32)probe_read_insn);
        idt_clear(14);
        expect_fault((u32)probe_read_resume);
        probe_read(ua);
        idt_restore(14);
        break;
    }
    expect_taken(0);
}

/* Our stack pointer on an unmapped page: the push faults, and the page
 * fault's own frame has nowhere to go (a fault while delivering a fault). */
void fz_push_at(u32 esp);
__asm__(".pushsection .text\n"
        "fz_push_at:\n"
        "    movl 4(%esp), %eax\n"
        "    movl %esp, fz_saved_esp\n"
        "    movl %eax, %esp\n"
        "    pushl %eax\n"
        "    movl fz_saved_esp, %esp\n"
        "    ret\n"
        ".popsection\n");
static u32 fz_saved_esp __attribute__((used));

static void f_stack_fault(void)
{
    u32 esp = one_in(4) ? KERNEL_BASE : 0x2000 + (below(KERNEL_BASE - 0x3000) & ~3u);
    announce("stack-fault", "bad address 0x%08x: cannot push the frame for trap 14", (unsigned)(esp - 4));
    fz_push_at(esp);
}

static const struct fatal {
    const char *name;
    void (*run)(void);
} fatals[] = {
    { "hcall-undefined", f_hcall_number },
    { "init-again", f_init_again },
    { "idt-vector", f_idt_vector },
    { "idt-type", f_idt_type },
    { "idt-handler", f_idt_handler },
    { "stack-segment", f_stack_segment },
    { "stack-pages", f_stack_pages },
    { "stack-page", f_stack_page },
    { "gdt-index", f_gdt_index },
    { "tls", f_tls },
    { "pgd-index", f_pgd_index },
    { "pte-switcher", f_pte_switcher },
    { "new-pgtable-outside", f_new_pgtable },
    { "notify-beyond", f_notify },
    { "pde", f_pde },
    { "pte", f_pte },
    { "trap-no-gate", f_trap_no_gate },
    { "stack-fault", f_stack_fault },
};

static void run_fatal(void)
{
    char want[32];
    int named = boot_option("fatal", want, sizeof want) != 0;
    const struct fatal *f = &fatals[below(ARRAY_SIZE(fatals))];
    for (unsigned i = 0; named && i < ARRAY_SIZE(fatals); i++)
        if (strcmp(fatals[i].name, want) == 0)
            f = &fatals[i];
    f->run();
    /* Still here: the hypervisor let it pass. */
    char name[64];
    snprintf(name, sizeof name, "fuzz/%s", fatal_name);
    fail(name, "survived");
}

void test_fuzz(void)
{
    u32 calls = 10000, fatal = 1;
    if (!option_u32("seed", &seed)) {
        u64 t = rdtsc();
        seed = (u32)t ^ (u32)(t >> 32) ^ (u32)(t >> 17);
    }
    printf("FUZZ seed 0x%08x\n", (unsigned)seed);
    option_u32("calls", &calls);
    char f[4];
    if (boot_option("fatal", f, sizeof f) && strcmp(f, "0") == 0)
        fatal = 0;
    rng_seed(seed);
    setup();
    printf("fuzz: %u calls, fatal case %s, RAM ends at 0x%x, guest memory (%u device pages assumed) at 0x%x\n",
           (unsigned)calls, fatal ? "at the end" : "off", (unsigned)ram_end, FZ_DEVICE_PAGES, (unsigned)mem_end);

    u32 done = 0, checked = 0;
    int ok = 1;
    char why[300] = "";
    while (done < calls && ok) {
        done += one_in(8) ? one_batch() : one_direct();
        if (done - checked >= FZ_CHUNK || done >= calls) {
            ok = intact(why, sizeof why);
            if (ok)
                printf("FUZZ ok %u calls\n", (unsigned)(done - checked));
            checked = done;
        }
    }
    print_mix(done);
    if (!check(ok, "fuzz/survivable-calls", "after %u calls (seed 0x%08x): %s", (unsigned)done,
               (unsigned)seed, why))
        tests_done();
    if (fatal)
        run_fatal();
    tests_done();
}
