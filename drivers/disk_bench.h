#ifndef DRIVERS_DISK_BENCH_H
#define DRIVERS_DISK_BENCH_H
/* make bench's bare-disk baselines (bench=on): the hypervisor itself
 * drives the GPT partition spec names ("sata0:bench", "nvme0:bench"), the
 * one the benchmark guest then gets, before any guest runs. Logs
 * "bench-baseline PREFIX_bare_read_64k N MB/s", ..._write_64k, the same
 * with 8 in flight (..._read_64k_qd8, ..._write_64k_qd8), and
 * "bench-baseline PREFIX_bare_randread_4k_qd1 N IOPS", ..._qd32; nothing
 * but a "none" line without the partition. */
void disk_bench_baselines(const char *spec, const char *prefix);
#endif
