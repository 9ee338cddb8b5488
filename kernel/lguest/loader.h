/* Loading a guest kernel image (ELF vmlinux or bzImage) into guest RAM and
 * choosing where the initrd goes. Pure logic: the caller owns the buffers.
 * Guest-physical address g is at ram + g; only [0, mem) is ever touched.
 * The layout rules are those of docs lguest-abi.md sections 1.1, 1.2, 1.4. */
#ifndef KERNEL_LGUEST_LOADER_H
#define KERNEL_LGUEST_LOADER_H
#include <stdint.h>

/* GPA 0 holds boot_params, 0x1000 the command line (ABI 1.1): nothing the
 * loader places may cover [0, LOADER_LOW_RESERVED). */
#define LOADER_LOW_RESERVED 0x2000u
/* Where a bzImage's protected-mode payload is copied (ABI 1.2). */
#define LOADER_BZ_PAYLOAD_GPA 0x100000u

struct kernel_load {
    uint32_t entry;         /* start EIP, a GPA */
    /* GPA range the kernel occupies, end exclusive. ELF: all PT_LOAD
     * segments including their zero-filled tails (bss). bzImage: the payload
     * at 0x100000 and, when the header says (protocol 2.10+), the area the
     * decompressor will unpack into, [pref. address, + init_size). */
    uint32_t start, end;
    const char *kind;       /* "ELF vmlinux" or "bzImage"; 0 on failure */
    int relocatable;        /* bzImage relocatable_kernel byte; 0 for ELF */
    char error[160];        /* why load_kernel failed; "" on success */
};

/* Recognises and loads image[0, len) into ram[0, mem). 0 on success; -1 with
 * out->error set, in which case ram is left exactly as it was. With ram
 * NULL it only checks the image and fills in out (where it would go). */
int load_kernel(const uint8_t *image, uint32_t len, uint8_t *ram, uint32_t mem,
                struct kernel_load *out);

/* Chooses the initrd's GPA: the top of RAM, page aligned (ABI 1.1, 1.4).
 * 0 with *gpa set; -1 with a reason in err. The caller copies the bytes. */
int place_initrd(uint32_t initrd_len, uint32_t mem, const struct kernel_load *k,
                 uint32_t *gpa, char err[160]);

#endif
