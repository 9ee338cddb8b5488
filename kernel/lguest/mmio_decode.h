/* The instructions a 4.x guest kernel touches its virtio-pci BARs with
 * (Linux's ioread8/16/32 and iowrite8/16/32 are single mov instructions):
 * decoded from the bytes at the faulting EIP so the hypervisor can do the
 * access itself. Pure logic; anything else is refused. */
#ifndef KERNEL_LGUEST_MMIO_DECODE_H
#define KERNEL_LGUEST_MMIO_DECODE_H
#include <stdbool.h>
#include <stdint.h>

#define MMIO_INSN_MAX 12        /* 66, opcode, ModRM, SIB, disp32, imm32 */

struct mmio_insn {
    uint32_t len;               /* bytes, to step EIP over it */
    bool write;
    uint32_t size;              /* 1, 2 or 4 */
    uint32_t reg;               /* register number (ModRM.reg): 0 EAX .. 7 EDI; size 1: 4-7 are AH..BH */
    bool has_imm;               /* a store of imm rather than reg */
    uint32_t imm;
};

/* insn[0, avail): the bytes at EIP. Returns the length, or 0 when they are
 * not one of: [66] 88/89 /r (store reg), [66] 8A/8B /r (load reg),
 * [66] C6/C7 /0 imm (store imm), with a memory operand (ModRM, SIB and
 * displacement in 32-bit addressing). */
uint32_t mmio_decode(const uint8_t *insn, uint32_t avail, struct mmio_insn *out);

#endif
