/* The boot_params ("zero page") at GPA 0 and the command line at GPA 0x1000
 * that an lguest guest reads at boot (lguest-abi.md sections 1.1 and 1.3).
 * Pure logic: no hypervisor dependencies. */
#ifndef KERNEL_LGUEST_BOOTPARAMS_H
#define KERNEL_LGUEST_BOOTPARAMS_H
#include <stdint.h>

/* Offsets into boot_params. The setup header (from 0x1F1) sits at the same
 * offsets in a bzImage file, so the loader uses these names too (ABI 1.3). */
#define BP_E820_ENTRIES        0x1E8   /* u8 */
#define BP_SENTINEL            0x1EF   /* u8 */
#define BP_SETUP_SECTS         0x1F1   /* u8, bzImage file only */
#define BP_HEADER              0x202   /* u32 "HdrS", bzImage file only */
#define BP_VERSION             0x206   /* u16 boot protocol version */
#define BP_TYPE_OF_LOADER      0x210   /* u8 */
#define BP_LOADFLAGS           0x211   /* u8 */
#define BP_CODE32_START        0x214   /* u32, bzImage file only */
#define BP_RAMDISK_IMAGE       0x218   /* u32 */
#define BP_RAMDISK_SIZE        0x21C   /* u32 */
#define BP_CMD_LINE_PTR        0x228   /* u32 */
#define BP_KERNEL_ALIGNMENT    0x230   /* u32 */
#define BP_RELOCATABLE_KERNEL  0x234   /* u8, bzImage file only */
#define BP_HARDWARE_SUBARCH    0x23C   /* u32 */
#define BP_HARDWARE_SUBARCH_DATA 0x240 /* u64 */
#define BP_PREF_ADDRESS        0x258   /* u64, protocol 2.10+, bzImage file only */
#define BP_INIT_SIZE           0x260   /* u32, protocol 2.10+, bzImage file only */
#define BP_SETUP_HEADER_END    0x264   /* first byte after init_size */
#define BP_E820_MAP            0x2D0   /* 20-byte packed records */

/* Values the guest needs (ABI 1.3). */
#define BP_PROTOCOL_VERSION    0x0207  /* lowest version with the lguest entry */
#define BP_LOADER_UNKNOWN      0xFF    /* non-zero, or the initrd is ignored */
#define BP_KEEP_SEGMENTS       0x40
#define BP_KERNEL_ALIGNMENT_VALUE 0x01000000u
#define BP_SUBARCH_LGUEST      1
#define BP_E820_RAM            1

/* The command line: GPA, and how many bytes the guest copies (ABI 1.1). */
#define BP_CMDLINE_GPA         0x1000u
#define BP_CMDLINE_BYTES       2048u   /* at most 2047 characters + NUL */

/* Fills page (GPA 0) with exactly the fields of ABI 1.3, all else zero.
 * initrd_len 0 means no initrd: ramdisk fields and type_of_loader stay 0. */
void build_boot_params(uint8_t page[4096], uint32_t mem, uint32_t initrd_gpa,
                       uint32_t initrd_len);

/* Copies cmdline to GPA 0x1000 and zero-fills the rest of the 2048 bytes the
 * guest reads. -1 with a reason in err (ram untouched) if it is too long,
 * if a word starts with "mem=", or if mem has no room for it. */
int write_cmdline(uint8_t *ram, uint32_t mem, const char *cmdline, char err[160]);

#endif
