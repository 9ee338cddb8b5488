/* The guest as gdb's target: see gdb_target.c. */
#ifndef KERNEL_GDB_TARGET_H
#define KERNEL_GDB_TARGET_H
#include <stdbool.h>
#include <stdint.h>
#include "kernel/gdb_cmd.h"

struct guest;

struct gdb_target gdb_target_of(struct guest *g);
/* One of our int3s is at this guest-physical address. */
bool gdb_target_has_breakpoint(uint32_t gpa);
/* Drops every breakpoint; restore: puts the original bytes back first
 * (not when the guest's memory is gone or was loaded afresh). */
void gdb_target_forget(struct guest *g, bool restore);

#endif
