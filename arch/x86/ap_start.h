/* The data block the boot CPU fills in the start-up page before it wakes
 * an application processor (offsets from the start of the page). */
#ifndef ARCH_X86_AP_START_H
#define ARCH_X86_AP_START_H

#define AP_DATA        0xF00
#define AP_DATA_CR0    (AP_DATA + 0x00)
#define AP_DATA_CR3    (AP_DATA + 0x04)
#define AP_DATA_CR4    (AP_DATA + 0x08)
#define AP_DATA_ESP    (AP_DATA + 0x0C)
#define AP_DATA_ENTRY  (AP_DATA + 0x10)
#define AP_DATA_INDEX  (AP_DATA + 0x14)
#define AP_DATA_EFER   (AP_DATA + 0x18)    /* EFER's low word, or 0: no EFER to set */

#ifndef __ASSEMBLER__
#include <stdint.h>
extern const uint8_t ap_start_begin[], ap_start_end[];
#endif

#endif
