/* The guest command line (copied from GPA cmd_line_ptr at boot): words
 * test=NAME, seed=N, loops=N; anything else is ignored. */
#ifndef GUEST_CMDLINE_H
#define GUEST_CMDLINE_H
#include "guest/layout.h"

extern char boot_cmdline[2048];

struct options {
    char test[64];          /* default "hello" */
    u32 seed;               /* default 1 */
    u32 loops;              /* 0: the test's own default */
};

void cmdline_parse(const char *cmdline, struct options *o);

#endif
