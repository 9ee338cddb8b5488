/* The three ways out (lguest-abi.md 10), one boot each. The harness reads
 * the host's log for them (tests/guest_cases.py SPECIAL). */
#include "guest/hcall.h"
#include "guest/test.h"
#include "guest/tests/tests.h"

void test_poweroff(void) { shutdown("bye", LGUEST_SHUTDOWN_POWEROFF); }

/* Every boot prints the banner and restarts, so the banner appears again
 * and again until the harness stops the host. */
void test_restart(void) { shutdown("again", LGUEST_SHUTDOWN_RESTART); }

/* What Linux's panic notifier does: power off with the text. */
void test_panic(void) { shutdown("panic: test panic", LGUEST_SHUTDOWN_POWEROFF); }
