#ifndef DRIVERS_AHCI_BENCH_H
#define DRIVERS_AHCI_BENCH_H
/* make bench's bare-disk baselines (bench=on): the hypervisor itself
 * drives the GPT partition named "bench" of sata0, the one the benchmark
 * guest then gets, before any guest runs. Logs "bench-baseline
 * ahci_bare_read_64k N MB/s", ..._write_64k, and "bench-baseline
 * ahci_bare_randread_4k_qd1 N IOPS", ..._qd32; nothing without the
 * partition. */
void ahci_bench_baselines(void);
#endif
