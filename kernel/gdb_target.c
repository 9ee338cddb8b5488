/* The guest as the target of the gdb commands (gdb_cmd.h): its saved
 * registers, its memory through its own page tables, and int3
 * breakpoints. Only while the guest is off its CPU (the stub sees to it).
 * Memory is reached only through gvirt_to_gpa and the checked gmem
 * accessors, so an address the guest has not mapped is an error for gdb
 * and nothing else. */
#include <string.h>
#include "kernel/gdb_target.h"
#include "kernel/lguest/guest.h"

#define EFLAGS_GDB 0xDD5u       /* CF PF AF ZF SF TF DF OF: what gdb may change */
#define MAX_BREAKPOINTS 64
#define INT3 0xCC

/* A breakpoint is kept by the guest-physical address of the byte patched,
 * so it is found again whichever address space the guest hits it in. */
struct breakpoint {
    bool used;
    uint32_t va, gpa;
    uint8_t orig;
};

static struct breakpoint bp[MAX_BREAKPOINTS];   /* of the one guest attached */

/* --- breakpoints: int3 patched into guest memory, by guest-physical address --- */

static int bp_at(uint32_t gpa)
{
    for (int i = 0; i < MAX_BREAKPOINTS; i++)
        if (bp[i].used && bp[i].gpa == gpa)
            return i;
    return -1;
}

static void bp_restore(struct guest *g, struct breakpoint *b)
{
    gmem_write(&g->mem, b->gpa, &b->orig, 1);
    b->used = false;
}

static bool bp_set(void *ctx, uint32_t va, bool insert)
{
    struct guest *g = ctx;
    uint32_t gpa;
    bool mapped = gvirt_to_gpa(g, va, &gpa);
    int i = mapped ? bp_at(gpa) : -1;
    if (!insert) {
        for (int j = 0; i < 0 && j < MAX_BREAKPOINTS; j++)
            if (bp[j].used && bp[j].va == va)
                i = j;          /* its mapping went away since */
        if (i >= 0)
            bp_restore(g, &bp[i]);
        return true;
    }
    if (!mapped)
        return false;
    if (i >= 0)
        return true;            /* already there */
    for (i = 0; i < MAX_BREAKPOINTS && bp[i].used; i++)
        ;
    uint8_t orig, int3 = INT3;
    if (i == MAX_BREAKPOINTS || !gmem_read(&g->mem, gpa, &orig, 1) ||
        !gmem_write(&g->mem, gpa, &int3, 1))
        return false;
    bp[i] = (struct breakpoint){ true, va, gpa, orig };
    return true;
}

/* --- the target gdb_cmd.c works on --- */

static void get_regs(void *ctx, uint32_t r[GDB_NREGS])
{
    const struct trap_frame *f = ((struct guest *)ctx)->regs;
    const uint32_t v[GDB_NREGS] = { f->eax, f->ecx, f->edx, f->ebx, f->esp, f->ebp, f->esi,
                                    f->edi, f->eip, f->eflags, f->cs, f->ss, f->ds, f->es,
                                    f->fs, f->gs };
    memcpy(r, v, sizeof(v));
}

/* The general registers, EIP and the arithmetic flags are gdb's to
 * change; segment registers are not (a bad selector would only get the
 * guest stopped at its next entry), nor IF, IOPL or VM. */
static const char *set_regs(void *ctx, const uint32_t r[GDB_NREGS])
{
    struct trap_frame *f = ((struct guest *)ctx)->regs;
    if (r[GDB_CS] != f->cs || r[GDB_SS] != f->ss || r[GDB_DS] != f->ds || r[GDB_ES] != f->es ||
        r[GDB_FS] != f->fs || r[GDB_GS] != f->gs)
        return "segment registers cannot be changed";
    f->eax = r[GDB_EAX];
    f->ecx = r[GDB_ECX];
    f->edx = r[GDB_EDX];
    f->ebx = r[GDB_EBX];
    f->esp = r[GDB_ESP];
    f->ebp = r[GDB_EBP];
    f->esi = r[GDB_ESI];
    f->edi = r[GDB_EDI];
    f->eip = r[GDB_EIP];
    f->eflags = (f->eflags & ~EFLAGS_GDB) | (r[GDB_EFLAGS] & EFLAGS_GDB);
    return 0;
}

/* The guest-physical run behind [va, va + n) within va's page, n cut to
 * the page; false when va is not mapped or wrapped around. */
static bool chunk(struct guest *g, uint32_t va, uint32_t start, uint32_t len, uint32_t *gpa,
                  uint32_t *n)
{
    uint32_t a = va + start;
    if (a < va || !gvirt_to_gpa(g, a, gpa))
        return false;
    *n = 4096 - (a & 0xFFF);
    if (*n > len - start)
        *n = len - start;
    return gmem_ok(&g->mem, *gpa, *n);
}

/* gdb sees the bytes under its breakpoints, not our int3s. */
static uint32_t read_mem(void *ctx, uint32_t va, uint8_t *buf, uint32_t len)
{
    struct guest *g = ctx;
    uint32_t done = 0, gpa, n;
    while (done < len && chunk(g, va, done, len, &gpa, &n) && gmem_read(&g->mem, gpa, buf + done, n)) {
        for (int i = 0; i < MAX_BREAKPOINTS; i++)
            if (bp[i].used && bp[i].gpa - gpa < n)
                buf[done + bp[i].gpa - gpa] = bp[i].orig;
        done += n;
    }
    return done;
}

/* All or nothing: every page is looked up before a byte is written. A
 * write over a breakpoint changes the byte it will put back. */
static bool write_mem(void *ctx, uint32_t va, const uint8_t *buf, uint32_t len)
{
    struct guest *g = ctx;
    uint32_t gpa, n;
    for (uint32_t done = 0; done < len; done += n)
        if (!chunk(g, va, done, len, &gpa, &n))
            return false;
    for (uint32_t done = 0; done < len; done += n) {
        chunk(g, va, done, len, &gpa, &n);
        gmem_write(&g->mem, gpa, buf + done, n);
        for (int i = 0; i < MAX_BREAKPOINTS; i++) {
            if (bp[i].used && bp[i].gpa - gpa < n) {
                uint8_t int3 = INT3;
                bp[i].orig = buf[done + bp[i].gpa - gpa];
                gmem_write(&g->mem, bp[i].gpa, &int3, 1);
            }
        }
    }
    return true;
}

bool gdb_target_has_breakpoint(uint32_t gpa) { return bp_at(gpa) >= 0; }

void gdb_target_forget(struct guest *g, bool restore)
{
    for (int i = 0; i < MAX_BREAKPOINTS; i++)
        if (bp[i].used && restore)
            bp_restore(g, &bp[i]);
    memset(bp, 0, sizeof(bp));
}

struct gdb_target gdb_target_of(struct guest *g)
{
    return (struct gdb_target){ g, get_regs, set_regs, read_mem, write_mem, bp_set };
}
