#ifndef KERNEL_HEAP_H
#define KERNEL_HEAP_H
#include <stddef.h>
/* Gives newlib's malloc its memory (through sbrk). */
void heap_init(void *start, size_t size);
size_t heap_used(void);
#endif
