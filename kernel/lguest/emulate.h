/* The few ring-0 instructions a guest kernel executes that the hypervisor
 * completes for it after a #GP (lguest ABI 4.6): cli does nothing; in reads
 * all ones; out is dropped; debug registers read as after reset. Pure logic. */
#ifndef KERNEL_LGUEST_EMULATE_H
#define KERNEL_LGUEST_EMULATE_H
#include <stdbool.h>
#include <stdint.h>

/* insn[0, avail) are the bytes at the faulting EIP (avail may be 0..3).
 * Returns the length of the instruction (then *eax is updated for an in),
 * or 0 when it is not one of: FA (cli); optional 66 prefix then E4/E5 or
 * E6/E7 (2 bytes + prefix), EC/ED or EE/EF (1 byte + prefix).
 * in byte forms (E4, EC): AL = 0xFF; 66 E5/ED: AX = 0xFFFF; E5/ED:
 * EAX = 0xFFFFFFFF. A 66 prefix before FA is not emulated. */
uint32_t emulate_io(const uint8_t *insn, uint32_t avail, uint32_t *eax);

/* The same forms decoded for a host that serves some ports itself (4.x
 * guests' PCI configuration): length (0: not one of them), cli, in or out,
 * size 1/2/4, the port from the instruction or (dx) from DX. */
struct io_insn {
    uint32_t len;
    bool cli, in, dx;
    uint32_t size;
    uint16_t port;
};
uint32_t emulate_io_decode(const uint8_t *insn, uint32_t avail, struct io_insn *io);
/* An in of size bytes puts value into the low part of EAX. */
void emulate_io_merge(uint32_t *eax, uint32_t size, uint32_t value);

/* mov %drN, %reg (0F 21 /r, register form): a 3.10 guest reads the debug
 * registers natively while printing every oops, and would fault again
 * inside its own fault report without this. Returns 3 and sets *reg (the
 * register number in pusha order reversed: 0 EAX, 1 ECX, 2 EDX, 3 EBX,
 * 5 EBP, 6 ESI, 7 EDI) and *value (DR6 0xFFFF0FF0, DR7 0x400, others 0:
 * no breakpoints exist), or 0 when the bytes are anything else or the
 * destination is ESP. */
uint32_t emulate_dr_read(const uint8_t *insn, uint32_t avail, uint32_t *reg, uint32_t *value);

/* mov %cr4, %reg (0F 20 /r, register form, CR4 only): Linux 4.4's first C
 * code (cr4_init_shadow in i386_start_kernel) reads CR4 natively through
 * read_cr4_safe, before it has an IDT to take the fault, expecting 0 from
 * its fix-up where CR4 does not exist; 0 is also what every lguest guest's
 * own read_cr4 returns. Same result convention as emulate_dr_read; 0 for
 * every other control register (those reads are paravirtualized). */
uint32_t emulate_cr4_read(const uint8_t *insn, uint32_t avail, uint32_t *reg, uint32_t *value);

#endif
