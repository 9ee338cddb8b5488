#ifndef KERNEL_SELFTEST_H
#define KERNEL_SELFTEST_H
/* Test-only behaviour selected on the command line (test_fault=,
 * test_ticks=): lets the integration tests observe the fault reporter and
 * the timer. Does nothing by default. */
void selftest_run(void);
#endif
