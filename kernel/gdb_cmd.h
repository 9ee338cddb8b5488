/* The GDB remote protocol's commands, pure logic: one packet in, one reply
 * (and what to do with the guest) out, against a target given as a table
 * of functions. The guest side (kernel/gdbstub.c) supplies the target; the
 * host unit tests supply a fake one, so every way a packet can be wrong is
 * tried without a machine. Supported: ?, g, G, m, M, Z0/z0, s, c, D, k,
 * qSupported, qAttached, H; anything else gets the empty "unsupported"
 * reply, and a malformed packet an E reply: it never reaches the target. */
#ifndef KERNEL_GDB_CMD_H
#define KERNEL_GDB_CMD_H
#include <stdbool.h>
#include <stdint.h>
#include "kernel/gdb_packet.h"

/* gdb's i386 register order: eax ecx edx ebx esp ebp esi edi eip eflags
 * cs ss ds es fs gs. The FPU and SSE registers are not sent (gdb then
 * shows them as unavailable). */
#define GDB_NREGS 16
enum { GDB_EAX, GDB_ECX, GDB_EDX, GDB_EBX, GDB_ESP, GDB_EBP, GDB_ESI, GDB_EDI,
       GDB_EIP, GDB_EFLAGS, GDB_CS, GDB_SS, GDB_DS, GDB_ES, GDB_FS, GDB_GS };

/* The most bytes one m or M moves: its hex fills a whole packet. */
#define GDB_MEM_MAX ((GDB_PACKET_MAX - 32) / 2)

struct gdb_target {
    void *ctx;
    void (*get_regs)(void *ctx, uint32_t regs[GDB_NREGS]);
    /* NULL when taken, else why not (the reply is an error) */
    const char *(*set_regs)(void *ctx, const uint32_t regs[GDB_NREGS]);
    /* Bytes readable from va on (0 .. len), through the guest's tables. */
    uint32_t (*read_mem)(void *ctx, uint32_t va, uint8_t *buf, uint32_t len);
    /* All of it or nothing. */
    bool (*write_mem)(void *ctx, uint32_t va, const uint8_t *buf, uint32_t len);
    bool (*breakpoint)(void *ctx, uint32_t va, bool insert);
};

enum gdb_action {
    GDB_REPLY,          /* send the reply; the guest stays as it is */
    GDB_NO_REPLY,       /* nothing to send (k) and detach */
    GDB_STATUS,         /* '?': the stop reply, once the guest is stopped */
    GDB_CONTINUE,       /* resume; the stop reply comes when it stops again */
    GDB_STEP,           /* one instruction, then the stop reply */
    GDB_DETACH,         /* send the reply (OK), then let go of the guest */
};

/* Handles pkt[0..len) (NUL-terminated). The unframed reply goes into
 * reply[GDB_PACKET_MAX + 1], its length into *reply_len. For CONTINUE and
 * STEP, *resume_at is set when the packet names an address (else left). */
enum gdb_action gdb_command(const struct gdb_target *t, const char *pkt, uint32_t len,
                            char *reply, uint32_t *reply_len, bool *has_resume, uint32_t *resume_at);

#endif
