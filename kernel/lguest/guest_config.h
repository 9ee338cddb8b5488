#ifndef KERNEL_LGUEST_GUEST_CONFIG_H
#define KERNEL_LGUEST_GUEST_CONFIG_H
#include <stdint.h>
#include "kernel/bootinfo.h"
#include "kernel/cmdline.h"

#define MAX_GUESTS 64
#define GUEST_NAME_MAX 16
#define GUEST_ARGS_MAX 2048             /* the guest copies 2048 bytes */
#define GUEST_MEM_DEFAULT (64u << 20)
#define GUEST_MEM_MIN (8u << 20)
/* A guest without HIGHMEM stops seeing RAM (and the device page after it)
 * near 880 MiB; stay clear of it (lguest ABI §1.3). */
#define GUEST_MEM_MAX (768u << 20)
#define GUEST_SATA_MAX 48               /* "sataN:" and a GPT name of up to 36 characters */
#define GUEST_CPU_LIMIT 64              /* cpu=N: N below this (and below the CPUs online) */
#define GUEST_WEIGHT_DEFAULT 256        /* weight=N: CPU share against the guests on its CPU */
#define GUEST_WEIGHT_MAX 65535
/* A guest that fails again within GUEST_QUICK_FAIL_NS of its start is
 * restarted after a delay (restart_delay ms, doubling each time, at most
 * 10 s; 0: at once), and left stopped after restart_limit such failures in
 * a row (0: never). */
#define GUEST_RESTART_LIMIT_DEFAULT 10
#define GUEST_RESTART_LIMIT_MAX 1000
#define GUEST_RESTART_DELAY_DEFAULT 50
#define GUEST_RESTART_DELAY_MAX 10000
#define GUEST_QUICK_FAIL_NS 30000000000ull

/* One guest as its GRUB modules describe it:
 *   module2 /boot/vmlinux  kernel name=web mem=64M [on_kill=restart] [net=off] [mac=02:..] [cpu=N]
 *                          [weight=N] [cap=PERCENT] [restart_limit=N] [restart_delay=MS] [gdb=on] [rng=on]
 *                          [disk=sataN:NAME | disk=sataN:NUMBER | disk=nvmeN:...] [abi=2.6|3.10|4]
 *                          [paging=2level|pae]
 *                          -- console=hvc0 root=/dev/vda
 *   module2 /boot/initrd   initrd name=web
 *   module2 /boot/root.img disk   name=web
 * Everything after "--" is the guest kernel's own command line (GRUB drops
 * quotes from module lines, so no quoting is needed or used). */
/* abi=: the lguest generation a guest must speak, or learnt at its
 * LGUEST_INIT (lguest ABI appendix F). */
enum guest_abi { GUEST_ABI_AUTO, GUEST_ABI_2632, GUEST_ABI_310, GUEST_ABI_4 };
/* paging=: the guest's page-table format, or learnt from its first
 * NEW_PGTABLE (kernel/lguest/shadow_mode.c). */
enum guest_paging { GUEST_PAGING_AUTO, GUEST_PAGING_2LEVEL, GUEST_PAGING_PAE };

struct guest_config {
    char name[GUEST_NAME_MAX];
    int kernel;                 /* module indexes; -1 when absent */
    int initrd;
    int disk;
    char sata[GUEST_SATA_MAX];  /* disk=sataN:NAME|NUMBER (or nvmeN:), a GPT partition; "" when none */
    uint32_t mem;               /* bytes of guest RAM, a multiple of 1 MiB */
    int restart_on_kill;        /* on_kill=restart: start afresh when stopped for bad input */
    uint32_t restart_limit;     /* quick failures in a row before it is left stopped; 0: none */
    uint32_t restart_delay;     /* ms before the first quick restart, doubling; 0: at once */
    int net;                    /* net=off drops the network device */
    int cpu;                    /* cpu=N pins it to CPU N; -1: the least loaded */
    uint32_t weight;            /* its share of its CPU against the others there (default 256) */
    uint32_t cap;               /* at most this percent of one CPU; 0: no cap */
    int gdb;                    /* gdb=on: the gdb stub holds it before its first instruction */
    int rng;                    /* rng=on: a virtio entropy device (off by default, as in the Launcher) */
    enum guest_abi abi;         /* abi=2.6|3.10|4; GUEST_ABI_AUTO: learnt */
    enum guest_paging paging;   /* paging=2level|pae; GUEST_PAGING_AUTO: learnt */
    int has_mac;                /* mac=..., else one derived from the name */
    uint8_t mac[6];
    char args[GUEST_ARGS_MAX];
};

/* Builds the guest list from the modules. A bad module line is reported in
 * d by module number and guest name; it costs that guest only (or just that
 * module when no guest can be named). Returns the number of good guests. */
uint32_t guest_configs_parse(const struct boot_module *mods, uint32_t nmods,
                             struct guest_config *out, struct diag *d);

#endif
