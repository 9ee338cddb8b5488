#ifndef DRIVERS_WATCHDOG_H
#define DRIVERS_WATCHDOG_H
#include <stdint.h>

/* A hardware watchdog that resets the machine when lgvisor stops petting
 * it: the Intel 6300ESB's (QEMU's i6300esb). watchdog=SECONDS arms it;
 * the boot CPU's scheduler pets it, so a hypervisor that hangs (a loop with
 * interrupts off, a deadlock) is reset. */
void watchdog_init(uint32_t seconds);
/* Cheap when called often: the device is touched at most every 100 ms. */
void watchdog_pet(void);

#endif
