/* See mmio_decode.h. Only bytes below avail are ever read: the instruction
 * may end at a page the guest never mapped. */
#include "kernel/lguest/mmio_decode.h"

/* Bytes of ModRM + SIB + displacement, or 0 for a register operand (which
 * cannot have faulted on memory) or when they run past avail. */
static uint32_t modrm_len(const uint8_t *p, uint32_t avail)
{
    if (avail < 1)
        return 0;
    uint32_t mod = p[0] >> 6, rm = p[0] & 7, n = 1;
    if (mod == 3)
        return 0;
    if (rm == 4) {              /* SIB follows */
        if (avail < 2)
            return 0;
        n = 2;
        if (mod == 0 && (p[1] & 7) == 5)
            n += 4;             /* no base: disp32 */
    } else if (mod == 0 && rm == 5) {
        n += 4;                 /* disp32 alone */
    }
    if (mod == 1)
        n += 1;
    else if (mod == 2)
        n += 4;
    return n <= avail ? n : 0;
}

uint32_t mmio_decode(const uint8_t *insn, uint32_t avail, struct mmio_insn *out)
{
    *out = (struct mmio_insn){ 0 };
    uint32_t at = 0;
    bool word = false;
    if (avail > 0 && insn[0] == 0x66) {
        word = true;
        at = 1;
    }
    if (avail <= at + 1)
        return 0;
    uint8_t op = insn[at];
    if (op != 0x88 && op != 0x89 && op != 0x8A && op != 0x8B && op != 0xC6 && op != 0xC7)
        return 0;
    uint32_t m = modrm_len(insn + at + 1, avail - at - 1);
    if (!m)
        return 0;
    out->size = !(op & 1) ? 1 : word ? 2 : 4;
    out->reg = insn[at + 1] >> 3 & 7;
    out->write = op != 0x8A && op != 0x8B;
    uint32_t len = at + 1 + m;
    if (op == 0xC6 || op == 0xC7) {
        if (out->reg != 0)      /* /0 is mov; the rest are not */
            return 0;
        if (avail < len + out->size)
            return 0;
        out->has_imm = true;
        for (uint32_t i = 0; i < out->size; i++)
            out->imm |= (uint32_t)insn[len + i] << (8 * i);
        len += out->size;
    }
    if (word && out->size == 1)
        return 0;               /* 66 before a byte mov: not a form Linux uses */
    return out->len = len;
}
