/* sources: kernel/lguest/kversion.c */
/* Reading a guest image's Linux release: from a bzImage's setup header
 * (the kernel_version pointer, inside the setup sectors only), from a
 * vmlinux's banner (the first one with a release after it), nothing from
 * images without either; and the lguest generation each release implies. */
#include <stdint.h>
#include <stdlib.h>
#include "kernel/lguest/kversion.h"
#include "tests/unit/check.h"

static uint8_t img[64 * 1024];

static void bzimage(uint16_t ptr, const char *text)
{
    memset(img, 0, sizeof(img));
    img[0x1F1] = 4;                         /* setup: 4 sectors after the boot sector */
    memcpy(img + 0x202, "HdrS", 4);
    img[0x20E] = (uint8_t)ptr;
    img[0x20F] = (uint8_t)(ptr >> 8);
    if (text)
        memcpy(img + 0x200 + ptr, text, strlen(text) + 1);
}

static void from_setup_header(void)
{
    char v[KVERSION_MAX];
    bzimage(0x300, "3.10.108 (root@build) #1 Tue");
    CHECK(kernel_version(img, sizeof(img), v));
    CHECK(strcmp(v, "3.10.108") == 0);
    bzimage(0x300, "2.6.32.69-lg #2");
    CHECK(kernel_version(img, sizeof(img), v) && strcmp(v, "2.6.32.69-lg") == 0);
}

static void setup_pointer_checked(void)
{
    char v[KVERSION_MAX];
    bzimage(0, 0);                          /* no pointer */
    CHECK(!kernel_version(img, sizeof(img), v));
    bzimage(0x900, "4.4.220");              /* past the 5 setup sectors */
    CHECK(!kernel_version(img, sizeof(img), v));
    CHECK_EQ(v[0], 0);
    bzimage(0x300, "3.10.108");
    CHECK(!kernel_version(img, 0x300, v));  /* the image ends before it */
    bzimage(0x300, "garbage");
    CHECK(!kernel_version(img, sizeof(img), v));
}

static void from_banner(void)
{
    char v[KVERSION_MAX];
    memset(img, 'L', sizeof(img));          /* many false starts */
    const char *fake = "Linux version unknown";
    const char *real = "Linux version 4.4.220 (gcc version 12) #1";
    memcpy(img + 1000, fake, strlen(fake));
    memcpy(img + 40000, real, strlen(real));
    CHECK(kernel_version(img, sizeof(img), v));
    CHECK(strcmp(v, "4.4.220") == 0);
    memset(img, 0, sizeof(img));
    memcpy(img + sizeof(img) - 14, "Linux version ", 14);     /* at the very end: nothing after */
    CHECK(!kernel_version(img, sizeof(img), v));
}

static void release_cut_at_limit(void)
{
    char v[KVERSION_MAX];
    bzimage(0x300, "3.10.108-a-very-long-local-version-suffix-indeed");
    CHECK(kernel_version(img, sizeof(img), v));
    CHECK_EQ(strlen(v), KVERSION_MAX - 1);
}

static void generations(void)
{
    CHECK(strcmp(kernel_generation("2.6.32.69"), "2.6") == 0);
    CHECK(strcmp(kernel_generation("3.10.108"), "3.10") == 0);
    CHECK(strcmp(kernel_generation("3.2"), "3.10") == 0);
    CHECK(strcmp(kernel_generation("4.4.220"), "4") == 0);
    CHECK(strcmp(kernel_generation("4.13.16"), "4") == 0);
    CHECK(kernel_generation("4.14.1") == 0);
    CHECK(kernel_generation("5.10") == 0);
    CHECK(kernel_generation("2.4.37") == 0);
    CHECK(kernel_generation("3") == 0);
    CHECK(kernel_generation("") == 0);
}

int main(void)
{
    RUN(from_setup_header);
    RUN(setup_pointer_checked);
    RUN(from_banner);
    RUN(release_cut_at_limit);
    RUN(generations);
    return CHECK_EXIT_STATUS();
}
