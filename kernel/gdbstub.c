/* The gdb stub: the guest side of the GDB remote protocol. gdb_packet.c
 * frames the bytes, gdb_cmd.c turns a packet into a reply and an action;
 * gdb_target.c makes the guest their target (its saved registers, its
 * memory through its own page tables, breakpoints); here is the session
 * and the stop/resume cycle:
 *
 *   gdb stops the guest  -> PAUSE_DEBUG: its CPU leaves it at the next exit
 *   gdb says c or s      -> PAUSE_DEBUG cleared (s: the trap flag set)
 *   the guest hits int3 or the single-step trap (traps.c -> gdbstub_trap,
 *   on the guest's CPU) -> PAUSE_DEBUG set again; the boot CPU, which runs
 *   gdbstub_poll, sends the stop reply once no CPU runs the guest.
 *
 * Every command that looks at the guest waits until it is really off its
 * CPU (guest_off_cpu), so registers and memory hold still. */
#include <string.h>
#include "kernel/gdbstub.h"
#include "kernel/gdb_cmd.h"
#include "kernel/gdb_serial.h"
#include "kernel/gdb_target.h"
#include "kernel/lguest/gate.h"
#include "kernel/lguest/guest.h"
#include "kernel/log.h"

#define EFLAGS_TF 0x100u
#define SIGINT 2
#define SIGTRAP 5

static struct {
    struct guest *g;            /* attached, or NULL */
    uint32_t restarts;          /* g->restarts then: a restart ends the session */
    bool want_stop_reply;       /* gdb waits for one (after ?, c, s) */
    bool stepping;              /* we set the trap flag */
    bool swbreak;               /* stopped on one of our breakpoints */
    uint8_t signal;             /* in the next stop reply */
    bool gates_fresh;           /* the int3 gate reloaded since attaching */
    bool detach_pending;        /* let go once it has stopped */
    bool packet_pending;        /* rx.buf holds a packet waiting for the guest to stop */
} s;

static struct gdb_rx rx;
static char reply[GDB_PACKET_MAX + 1];
static char framed[GDB_PACKET_MAX + 4];     /* the last reply, for a '-' */
static uint32_t framed_len;

static void send(const char *data, uint32_t len)
{
    framed_len = gdb_frame(data, len, framed, sizeof(framed));
    gdb_serial_write(framed, framed_len);   /* if the ring is full, gdb asks again */
}

static void send_str(const char *str) { send(str, (uint32_t)strlen(str)); }

static bool stopped(void)
{
    return s.g && (s.g->paused & PAUSE_DEBUG) && guest_off_cpu(s.g);
}

/* --- stopping and resuming --- */

static void stop(struct guest *g, uint8_t signal, bool swbreak)
{
    s.signal = signal;
    s.swbreak = swbreak;
    guest_pause(g, PAUSE_DEBUG);
}

bool gdbstub_trap(struct guest *g, uint32_t vector)
{
    struct trap_frame *f = g->regs;
    if (g != s.g)
        return false;
    if (vector == 1) {
        if (!s.stepping)
            return false;       /* the guest's own debug trap */
        s.stepping = false;
        f->eflags &= ~EFLAGS_TF;
        stop(g, SIGTRAP, false);
        return true;
    }
    uint32_t gpa;
    if (gvirt_to_gpa(g, f->eip - 1, &gpa) && gdb_target_has_breakpoint(gpa)) {
        f->eip--;               /* back onto the breakpoint, as swbreak+ promises gdb */
        s.stepping = false;
        f->eflags &= ~EFLAGS_TF;
        stop(g, SIGTRAP, true);
        return true;
    }
    /* The guest's own int3. Our DPL-3 gate let it in even where its own
     * gate would not have: then it gets the #GP the CPU would have given
     * (error code: IDT entry 3), at the int3 itself. */
    uint64_t gate = g->idt[3];
    if (!gate_present(gate) || gate_dpl(gate) < (f->cs & 3)) {
        f->eip--;
        guest_reflect(g, 13, true, 3 * 8 + 2);
        return true;
    }
    return false;
}

static void resume(bool step, bool has_addr, uint32_t addr)
{
    struct trap_frame *f = s.g->regs;
    if (has_addr)
        f->eip = addr;
    if (step) {
        f->eflags |= EFLAGS_TF;
        s.stepping = true;
    }
    s.want_stop_reply = true;
    s.swbreak = false;
    s.signal = SIGTRAP;
    guest_unpause(s.g, PAUSE_DEBUG);
}

/* Only while the guest is stopped: nothing of the debugger is left in it. */
static void detach_now(void)
{
    struct guest *g = s.g;
    gdb_target_forget(g, true);
    if (s.stepping)
        g->regs->eflags &= ~EFLAGS_TF;
    g->debugged = false;
    vcpu_reload(g);             /* the guest's own int3 gate again */
    s.g = 0;
    guest_unpause(g, PAUSE_DEBUG);
    log_info("gdb: detached from guest %s; it runs on", g->name);
}

/* The guest stopped for good or was restarted: its memory is gone or
 * fresh, so there is nothing to put back. */
static void check_guest(void)
{
    struct guest *g = s.g;
    if (g->state == GUEST_RUNNING && g->restarts == s.restarts)
        return;
    send_str(g->state == GUEST_RUNNING ? "X09" : "W00");
    gdb_target_forget(g, false);
    g->debugged = false;
    if (guest_off_cpu(g))
        vcpu_reload(g);
    s.g = 0;
    guest_unpause(g, PAUSE_DEBUG);
    log_info("gdb: guest %s %s; debugger detached", g->name,
             g->state == GUEST_RUNNING ? "restarted" : "stopped");
}

static void stop_reply(void)
{
    char buf[24];
    const char *hex = "0123456789abcdef";
    uint32_t n = 0;
    buf[n++] = 'T';
    buf[n++] = hex[s.signal >> 4];
    buf[n++] = hex[s.signal & 15];
    if (s.swbreak) {
        memcpy(buf + n, "swbreak:;", 9);
        n += 9;
    }
    send(buf, n);
    s.want_stop_reply = false;
}

static void on_stopped(void)
{
    if (!s.gates_fresh) {
        vcpu_reload(s.g);
        s.gates_fresh = true;
    }
    if (s.detach_pending) {
        s.detach_pending = false;
        if (s.want_stop_reply)
            send_str("W00");    /* gdb thought it ran: the session is over */
        detach_now();
        return;
    }
    if (s.want_stop_reply)
        stop_reply();
}

/* The packet in rx.buf; false while it waits for the guest to stop. */
static bool run_packet(void)
{
    char c = rx.buf[0];
    bool anytime = c == 'q' || c == 'Q' || c == 'H' || c == 'v' || !c;
    if (!s.g) {
        send_str("E01");        /* nobody attached: see the monitor's gdb NAME */
        return true;
    }
    if (c == '?')
        s.want_stop_reply = false;  /* a new gdb asks: it gets one stop reply, its own */
    if (!anytime && !stopped()) {
        if (!(s.g->paused & PAUSE_DEBUG))
            stop(s.g, SIGTRAP, false);
        return false;
    }
    if (!anytime)
        on_stopped();
    if (!s.g)
        return true;            /* a detach was waiting */
    const struct gdb_target t = gdb_target_of(s.g);
    uint32_t n, addr = 0;
    bool has_addr = false;
    switch (gdb_command(&t, rx.buf, rx.len, reply, &n, &has_addr, &addr)) {
    case GDB_REPLY:
        send(reply, n);
        break;
    case GDB_STATUS:
        s.want_stop_reply = true;
        stop_reply();
        break;
    case GDB_CONTINUE:
    case GDB_STEP:
        resume(c == 's', has_addr, addr);
        break;
    case GDB_DETACH:
        send(reply, n);
        detach_now();
        break;
    case GDB_NO_REPLY:
        detach_now();
        break;
    }
    return true;
}

/* Bytes from the wire until a packet is complete. */
static void take_input(void)
{
    int c;
    while (!s.packet_pending && (c = gdb_serial_getc()) >= 0) {
        switch (gdb_rx_byte(&rx, (uint8_t)c)) {
        case GDB_EV_PACKET:
            gdb_serial_write("+", 1);
            s.packet_pending = true;
            break;
        case GDB_EV_TOO_LONG:
            gdb_serial_write("+", 1);
            send_str("E01");
            break;
        case GDB_EV_BAD_CHECKSUM:
            gdb_serial_write("-", 1);
            break;
        case GDB_EV_NAK:
            gdb_serial_write(framed, framed_len);
            break;
        case GDB_EV_BREAK:
            if (s.g && s.want_stop_reply && !(s.g->paused & PAUSE_DEBUG))
                stop(s.g, SIGINT, false);
            break;
        case GDB_EV_ACK:
        case GDB_EV_NONE:
            break;
        }
    }
}

void gdbstub_poll(void)
{
    if (!gdb_serial_is_open())
        return;
    gdb_serial_poll();
    if (s.g)
        check_guest();
    if (stopped())
        on_stopped();
    for (int i = 0; i < 16; i++) {      /* bounded work per pass */
        take_input();
        if (!s.packet_pending || !run_packet())
            break;
        s.packet_pending = false;
    }
    gdb_serial_poll();
}

const char *gdbstub_attach(struct guest *g, bool hold)
{
    if (s.g == g)
        return "the debugger is attached to it already";
    if (s.g)
        return "the debugger is attached to another guest ('gdb off' first)";
    if (g->state != GUEST_RUNNING)
        return "it is not running";
    if (gdb_serial_open())
        return "there is no second serial port";
    memset(&s, 0, sizeof(s));
    gdb_target_forget(g, false);    /* a session always ends with none left; to be sure */
    gdb_rx_reset(&rx);
    s.g = g;
    s.restarts = g->restarts;
    s.signal = SIGTRAP;
    g->debugged = true;
    if (hold)
        guest_pause(g, PAUSE_DEBUG);
    log_info("gdb: guest %s attached on %s%s", g->name, gdb_serial_name(),
             hold ? ", held until gdb continues it" : "; it stops when gdb connects");
    return 0;
}

void gdbstub_detach(void)
{
    if (!s.g)
        return;
    if (stopped()) {
        if (s.want_stop_reply)
            send_str("W00");
        detach_now();
        return;
    }
    s.detach_pending = true;    /* finished by gdbstub_poll once it is off its CPU */
    guest_pause(s.g, PAUSE_DEBUG);
}

void gdbstub_init(void)
{
    for (uint32_t i = 0; i < nguests; i++) {
        if (!guests[i].cfg || !guests[i].cfg->gdb)
            continue;
        const char *why = gdbstub_attach(&guests[i], true);
        if (why)
            log_err("guest %s: gdb=on: not attached: %s", guests[i].name, why);
    }
}

struct guest *gdbstub_guest(void) { return s.g; }
const char *gdbstub_port(void) { return gdb_serial_name(); }
