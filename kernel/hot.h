/* HOT marks the functions on the path of every guest exit. The compiler
 * puts them in .text.hot, which the linker script places first, so that
 * path runs from a few adjacent pages: after each CR3 load an emulator
 * looks every page up again, and on hardware it is fewer TLB entries. */
#ifndef KERNEL_HOT_H
#define KERNEL_HOT_H
#define HOT __attribute__((hot))
#endif
