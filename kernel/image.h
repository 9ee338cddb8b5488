/* Symbols from linker.ld: where the hypervisor image lies. */
#ifndef KERNEL_IMAGE_H
#define KERNEL_IMAGE_H
extern char __image_start[], __text_end[], __image_end[], __bss_start[], __bss_end[];
extern unsigned long long boot_tsc;
#endif
