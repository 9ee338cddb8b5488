#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H
/* The hypervisor cannot go on: log why and halt. Never for guest errors:
 * those stop only the guest. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
#endif
