#ifndef KERNEL_BENCH_H
#define KERNEL_BENCH_H
/* Logs "bench-baseline NAME N cycles" lines (option bench=on). */
void bench_baselines(void);
#endif
