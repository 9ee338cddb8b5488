/* The 2.6.32-era lguest guest ABI where it differs from 3.10 (lguest ABI
 * appendix F). */
#ifndef KERNEL_LGUEST_GEN2632_H
#define KERNEL_LGUEST_GEN2632_H
#include <stdbool.h>
#include <stdint.h>

struct guest;

/* A #UD from the guest: if it is a vmcall in the guest kernel (ring 1),
 * makes it the hypercall it means and returns true; otherwise false (the
 * #UD is the guest's). */
bool gen2632_vmcall(struct guest *g);

/* Builds the first page tables of a 2.6.32 guest whose kernel lives at
 * page_offset; their top level's GPA in *pgdir_gpa. False (guest killed)
 * when they cannot be placed. */
bool gen2632_boot_tables(struct guest *g, uint32_t page_offset, uint32_t *pgdir_gpa);

#endif
