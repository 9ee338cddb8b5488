/* The port I/O and cli a ring-1 guest kernel still executes (ABI 4.6).
 * Every byte is read only after avail says it is there: the bytes come
 * from guest memory and may end at a page the guest never mapped. */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/lguest/emulate.h"

uint32_t emulate_io_decode(const uint8_t *insn, uint32_t avail, struct io_insn *io)
{
    *io = (struct io_insn){ 0 };
    if (avail == 0)
        return 0;
    if (insn[0] == 0xFA) {
        io->cli = true;
        return io->len = 1;
    }
    uint32_t prefix = insn[0] == 0x66;
    if (avail <= prefix)
        return 0;
    uint8_t op = insn[prefix];
    if (op >= 0xE4 && op <= 0xE7)
        io->len = prefix + 2;           /* opcode, imm8 port */
    else if (op >= 0xEC && op <= 0xEF)
        io->len = prefix + 1;           /* port in DX */
    else
        return 0;
    if (avail < io->len) {
        io->len = 0;
        return 0;
    }
    /* E4/E5/EC/ED are in (bit 1 clear); bit 0 picks byte or word/dword. */
    io->in = !(op & 2);
    io->size = !(op & 1) ? 1 : prefix ? 2 : 4;
    io->dx = op >= 0xEC;
    io->port = io->dx ? 0 : insn[prefix + 1];
    return io->len;
}

void emulate_io_merge(uint32_t *eax, uint32_t size, uint32_t value)
{
    uint32_t mask = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    *eax = (*eax & ~mask) | (value & mask);
}

uint32_t emulate_io(const uint8_t *insn, uint32_t avail, uint32_t *eax)
{
    struct io_insn io;
    if (!emulate_io_decode(insn, avail, &io))
        return 0;
    if (io.in)
        emulate_io_merge(eax, io.size, 0xFFFFFFFFu);
    return io.len;
}

uint32_t emulate_dr_read(const uint8_t *insn, uint32_t avail, uint32_t *reg, uint32_t *value)
{
    if (avail < 3 || insn[0] != 0x0F || insn[1] != 0x21 || (insn[2] & 0xC0) != 0xC0)
        return 0;
    uint32_t dr = (insn[2] >> 3) & 7, rm = insn[2] & 7;
    if (rm == 4 || dr == 4 || dr == 5)      /* ESP; DR4/5 alias 6/7 only without CR4.DE */
        return 0;
    *reg = rm;
    *value = dr == 6 ? 0xFFFF0FF0u : dr == 7 ? 0x400u : 0;
    return 3;
}

uint32_t emulate_cr4_read(const uint8_t *insn, uint32_t avail, uint32_t *reg, uint32_t *value)
{
    if (avail < 3 || insn[0] != 0x0F || insn[1] != 0x20 || (insn[2] & 0xC0) != 0xC0)
        return 0;
    uint32_t cr = (insn[2] >> 3) & 7, rm = insn[2] & 7;
    if (cr != 4 || rm == 4)
        return 0;
    *reg = rm;
    *value = 0;
    return 3;
}
