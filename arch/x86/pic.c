/* The two cascaded 8259 PICs. Lines 7 and 15 can fire spuriously (a request
 * withdrawn before acknowledgement): those are counted and not acknowledged. */
#include "arch/x86/pic.h"
#include "arch/x86/trap.h"
#include "arch/x86/x86.h"

#define MASTER_CMD 0x20
#define MASTER_DATA 0x21
#define SLAVE_CMD 0xA0
#define SLAVE_DATA 0xA1
#define EOI 0x20
#define READ_ISR 0x0B

static pic_handler_t handlers[16];
static uint16_t mask = 0xFFFB;         /* everything but the cascade line */

static void write_mask(void)
{
    outb(MASTER_DATA, mask & 0xFF);
    outb(SLAVE_DATA, mask >> 8);
}

static int in_service(uint16_t cmd, int bit)
{
    outb(cmd, READ_ISR);
    return (inb(cmd) >> bit) & 1;
}

static void pic_dispatch(uint32_t vector)
{
    int line = (int)(vector - VEC_FIRST_IRQ);
    if (line == 7 && !in_service(MASTER_CMD, 7)) {
        irq_stats.spurious_pic++;
        return;
    }
    if (line == 15 && !in_service(SLAVE_CMD, 7)) {
        irq_stats.spurious_pic++;
        outb(MASTER_CMD, EOI);          /* the master did see the cascade */
        return;
    }
    if (handlers[line])
        handlers[line](line);
    if (line >= 8)
        outb(SLAVE_CMD, EOI);
    outb(MASTER_CMD, EOI);
}

void pic_init(void)
{
    outb(MASTER_CMD, 0x11);             /* ICW1: edge, cascade, ICW4 follows */
    outb(SLAVE_CMD, 0x11);
    outb(MASTER_DATA, VEC_FIRST_IRQ);   /* ICW2: vector base */
    outb(SLAVE_DATA, VEC_FIRST_IRQ + 8);
    outb(MASTER_DATA, 0x04);            /* ICW3: slave on line 2 */
    outb(SLAVE_DATA, 0x02);
    outb(MASTER_DATA, 0x01);            /* ICW4: 8086 mode */
    outb(SLAVE_DATA, 0x01);
    write_mask();
    for (int line = 0; line < 16; line++)
        irq_set_handler(VEC_FIRST_IRQ + line, pic_dispatch);
}

void pic_set_handler(int line, pic_handler_t fn)
{
    if (line < 0 || line > 15)
        return;
    handlers[line] = fn;
    pic_unmask(line);
}

void pic_mask_all(void) { mask = 0xFFFF; write_mask(); }
void pic_mask(int line) { mask |= (uint16_t)(1u << line); write_mask(); }
void pic_unmask(int line) { mask &= (uint16_t)~(1u << line); write_mask(); }
