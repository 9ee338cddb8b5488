#ifndef ARCH_X86_PIC_H
#define ARCH_X86_PIC_H

typedef void (*pic_handler_t)(int line);

/* Remaps the two 8259s to vectors 0x20-0x2F, all lines masked. */
void pic_init(void);
/* Installs the handler for a line and unmasks it. */
void pic_set_handler(int line, pic_handler_t fn);
void pic_mask(int line);
/* Every line, the cascade too: the I/O APIC carries the interrupts. */
void pic_mask_all(void);
void pic_unmask(int line);

#endif
