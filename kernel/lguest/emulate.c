/* The port I/O and cli a ring-1 guest kernel still executes (ABI 4.6).
 * Every byte is read only after avail says it is there: the bytes come
 * from guest memory and may end at a page the guest never mapped. */
#include <stdint.h>
#include "kernel/lguest/emulate.h"

uint32_t emulate_io(const uint8_t *insn, uint32_t avail, uint32_t *eax)
{
    if (avail == 0)
        return 0;
    if (insn[0] == 0xFA)
        return 1;
    uint32_t prefix = insn[0] == 0x66;
    if (avail <= prefix)
        return 0;
    uint8_t op = insn[prefix];
    uint32_t len;
    if (op >= 0xE4 && op <= 0xE7)
        len = prefix + 2;               /* opcode, imm8 port */
    else if (op >= 0xEC && op <= 0xEF)
        len = prefix + 1;               /* port in DX */
    else
        return 0;
    if (avail < len)
        return 0;
    /* E4/E5/EC/ED are in (bit 1 clear); bit 0 picks byte or word/dword. */
    if (!(op & 2)) {
        if (!(op & 1))
            *eax |= 0xFFu;
        else if (prefix)
            *eax |= 0xFFFFu;
        else
            *eax = 0xFFFFFFFFu;
    }
    return len;
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
