/* Which Linux a guest image is, from the image itself: the setup header's
 * kernel_version string in a bzImage, the "Linux version" banner in a
 * vmlinux. Pure logic; the generation it implies is only an expectation
 * (a guest's first hypercall settles it). */
#ifndef KERNEL_LGUEST_KVERSION_H
#define KERNEL_LGUEST_KVERSION_H
#include <stdbool.h>
#include <stdint.h>

#define KVERSION_MAX 32

/* The release ("3.10.108", "2.6.32.69-lg") into out; false when the
 * image carries none that can be read. */
bool kernel_version(const uint8_t *img, uint32_t len, char out[KVERSION_MAX]);

/* The lguest generation a release belongs to: "2.6", "3.10" (every 3.x)
 * or "4" (4.0 to 4.13, when lguest went away); NULL for anything else. */
const char *kernel_generation(const char *release);

#endif
