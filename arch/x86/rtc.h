#ifndef ARCH_X86_RTC_H
#define ARCH_X86_RTC_H
#include <stdint.h>
/* Seconds since 1970 from the CMOS clock (years 2000-2099), 0 if unreadable. */
uint64_t rtc_read_epoch(void);
#endif
