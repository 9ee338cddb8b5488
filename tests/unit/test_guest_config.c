/* sources: kernel/lguest/guest_config.c kernel/cmdline.c kernel/diag.c */
/* Guest configuration from module strings: roles, names, memory sizes, the
 * guest command line after "--", attachment of initrds and disks, and that a
 * bad line costs only its own guest. */
#include <string.h>
#include "kernel/lguest/guest_config.h"
#include "tests/unit/check.h"

static struct boot_module mods[80];
static struct guest_config g[MAX_GUESTS];
static struct diag d;

static uint32_t parse(const char *const *lines)
{
    uint32_t n = 0;
    memset(&d, 0, sizeof(d));
    memset(g, 0x5A, sizeof(g));
    for (; lines[n]; n++) {
        memset(&mods[n], 0, sizeof(mods[n]));
        mods[n].string = lines[n];
    }
    return guest_configs_parse(mods, n, g, &d);
}

static void one_guest_all_parts(void)
{
    const char *l[] = { "initrd name=web", "kernel name=web mem=128M -- console=hvc0 root=/dev/vda",
                        "disk name=web", NULL };
    CHECK_EQ(parse(l), 1);
    CHECK_EQ(d.n, 0);
    CHECK_STR(g[0].name, "web");
    CHECK_EQ(g[0].kernel, 1);
    CHECK_EQ(g[0].initrd, 0);
    CHECK_EQ(g[0].disk, 2);
    CHECK_EQ(g[0].mem, 128u << 20);
    CHECK_STR(g[0].args, "console=hvc0 root=/dev/vda");
}

static void defaults(void)
{
    const char *l[] = { "kernel", "initrd", NULL };
    CHECK_EQ(parse(l), 1);
    CHECK_STR(g[0].name, "guest0");
    CHECK_EQ(g[0].mem, GUEST_MEM_DEFAULT);
    CHECK_EQ(g[0].initrd, 1);
    CHECK_EQ(g[0].disk, -1);
    CHECK_STR(g[0].args, "");
}

static void args_keep_everything_after_dashes(void)
{
    const char *l[] = { "kernel name=a --   init=/bin/sh -- x=\"y z\" --", NULL };
    CHECK_EQ(parse(l), 1);
    CHECK_STR(g[0].args, "init=/bin/sh -- x=\"y z\" --");
}

static void dashes_inside_a_word_are_not_a_separator(void)
{
    const char *l[] = { "kernel name=a--b", NULL };
    CHECK_EQ(parse(l), 1);
    CHECK_STR(g[0].name, "a--b");
    CHECK_STR(g[0].args, "");
}

static void two_guests_and_shared_order(void)
{
    const char *l[] = { "kernel name=a mem=16M", "disk name=b", "kernel name=b", "disk name=a", NULL };
    CHECK_EQ(parse(l), 2);
    CHECK_STR(g[0].name, "a");
    CHECK_EQ(g[0].disk, 3);
    CHECK_EQ(g[0].mem, 16u << 20);
    CHECK_STR(g[1].name, "b");
    CHECK_EQ(g[1].disk, 1);
}

static void bad_mem_costs_only_that_guest(void)
{
    const char *l[] = { "kernel name=a mem=7M", "kernel name=b mem=32M", "initrd name=a", NULL };
    CHECK_EQ(parse(l), 1);
    CHECK_STR(g[0].name, "b");
    CHECK_CONTAINS(d.msg[0], "module 0: mem=7M is not a whole number of MiB from 8 to 768 MiB");
    CHECK_CONTAINS(d.msg[d.n - 1], "guest 'a' not started");
}

static void on_kill_choices(void)
{
    const char *l[] = { "kernel name=a on_kill=restart", "kernel name=b on_kill=stop",
                        "kernel name=c", "kernel name=d on_kill=reboot", "initrd name=a on_kill=stop",
                        NULL };
    /* a loses to its initrd's bad option, d to its bad value */
    CHECK_EQ(parse(l), 2);
    CHECK_STR(g[0].name, "b");
    CHECK_EQ(g[0].restart_on_kill, 0);
    CHECK_STR(g[1].name, "c");
    CHECK_EQ(g[1].restart_on_kill, 0);
    CHECK_CONTAINS(d.msg[0], "module 3: on_kill=reboot is not stop or restart");
    CHECK_CONTAINS(d.msg[1], "module 4: unknown option 'on_kill'");
}

static void cpu_pinning(void)
{
    const char *l[] = { "kernel name=a cpu=3", "kernel name=b", "kernel name=c cpu=64",
                        "kernel name=d cpu=x", "disk name=b cpu=1", NULL };
    /* c and d lose to their bad values, b to its disk's misplaced option */
    CHECK_EQ(parse(l), 1);
    CHECK_STR(g[0].name, "a");
    CHECK_EQ(g[0].cpu, 3);
    CHECK_CONTAINS(d.msg[0], "module 2: cpu=64 is not a CPU number from 0 to 63");
    CHECK_CONTAINS(d.msg[1], "module 3: cpu=x is not a CPU number from 0 to 63");
    const char *u[] = { "kernel name=a", NULL };
    CHECK_EQ(parse(u), 1);
    CHECK_EQ(g[0].cpu, -1);
}

static void weight_and_cap(void)
{
    const char *l[] = { "kernel name=a weight=512 cap=25", "kernel name=b", "kernel name=c weight=0",
                        "kernel name=d weight=65536", "kernel name=e cap=101", "kernel name=f cap=100",
                        "kernel name=h cap=x", NULL };
    CHECK_EQ(parse(l), 3);
    CHECK_STR(g[0].name, "a");
    CHECK_EQ(g[0].weight, 512);
    CHECK_EQ(g[0].cap, 25);
    CHECK_EQ(g[1].weight, GUEST_WEIGHT_DEFAULT);        /* unset: the default, no cap */
    CHECK_EQ(g[1].cap, 0);
    CHECK_STR(g[2].name, "f");
    CHECK_EQ(g[2].cap, 0);                              /* 100% of a CPU is no cap */
    CHECK_CONTAINS(d.msg[0], "module 2: weight=0 is not a number from 1 to 65535");
    CHECK_CONTAINS(d.msg[1], "module 3: weight=65536 is not a number from 1 to 65535");
    CHECK_CONTAINS(d.msg[2], "module 4: cap=101 is not a percentage of one CPU");
    CHECK_CONTAINS(d.msg[3], "module 6: cap=x is not a percentage of one CPU");
}

/* A guest command line up to 2047 characters arrives whole (module
 * strings were cut at 255 once); a longer one is refused by name. */
static void limits(void)
{
    static char a[2100], b[2100];
    memcpy(a, "kernel name=a -- ", 17);
    memset(a + 17, 'x', 2047);
    memcpy(b, "kernel name=b -- ", 17);
    memset(b + 17, 'y', 2048);
    const char *m[] = { a, b, NULL };
    CHECK_EQ(parse(m), 1);
    CHECK_EQ(strlen(g[0].args), 2047);
    CHECK_CONTAINS(d.msg[0], "module 1: guest command line longer than 2047 characters");
}

static void gdb_choices(void)
{
    const char *l[] = { "kernel name=a gdb=on", "kernel name=b gdb=off", "kernel name=c",
                        "kernel name=d gdb=yes", "disk name=c gdb=on", NULL };
    /* d loses to its bad value, c to its disk's misplaced option */
    CHECK_EQ(parse(l), 2);
    CHECK_STR(g[0].name, "a");
    CHECK_EQ(g[0].gdb, 1);
    CHECK_STR(g[1].name, "b");
    CHECK_EQ(g[1].gdb, 0);
    CHECK_CONTAINS(d.msg[0], "module 3: gdb=yes is not on or off");
    CHECK_CONTAINS(d.msg[1], "module 4: unknown option 'gdb'");
}

static void abi_choices(void)
{
    const char *l[] = { "kernel name=a abi=2.6", "kernel name=b abi=3.10", "kernel name=c abi=4",
                        "kernel name=d", "kernel name=e abi=4.4", "initrd name=d abi=4", NULL };
    /* e loses to its bad value, d to its initrd's misplaced option */
    CHECK_EQ(parse(l), 3);
    CHECK_EQ(g[0].abi, GUEST_ABI_2632);
    CHECK_EQ(g[1].abi, GUEST_ABI_310);
    CHECK_EQ(g[2].abi, GUEST_ABI_4);
    CHECK_CONTAINS(d.msg[0], "module 4: abi=4.4 is not 2.6, 3.10 or 4");
    CHECK_CONTAINS(d.msg[1], "module 5: unknown option 'abi'");
    const char *m[] = { "kernel name=x", NULL };
    CHECK_EQ(parse(m), 1);
    CHECK_EQ(g[0].abi, GUEST_ABI_AUTO);
}

static void paging_choices(void)
{
    const char *l[] = { "kernel name=a paging=pae", "kernel name=b paging=2level", "kernel name=c",
                        "kernel name=e paging=3level", NULL };
    CHECK_EQ(parse(l), 3);
    CHECK_EQ(g[0].paging, GUEST_PAGING_PAE);
    CHECK_EQ(g[1].paging, GUEST_PAGING_2LEVEL);
    CHECK_EQ(g[2].paging, GUEST_PAGING_AUTO);
    CHECK_CONTAINS(d.msg[0], "module 3: paging=3level is not 2level or pae");
}

static void on_kill_restart_kept(void)
{
    const char *l[] = { "kernel name=a on_kill=restart -- x", NULL };
    CHECK_EQ(parse(l), 1);
    CHECK_EQ(g[0].restart_on_kill, 1);
    CHECK_STR(g[0].args, "x");
    CHECK_EQ(g[0].restart_limit, GUEST_RESTART_LIMIT_DEFAULT);
    CHECK_EQ(g[0].restart_delay, GUEST_RESTART_DELAY_DEFAULT);
    const char *dl[] = { "kernel name=a restart_delay=0", "kernel name=b restart_delay=10001", NULL };
    CHECK_EQ(parse(dl), 1);
    CHECK_EQ(g[0].restart_delay, 0);
    CHECK_CONTAINS(d.msg[0], "module 1: restart_delay=10001 is not a number of milliseconds");
    const char *m[] = { "kernel name=a on_kill=restart restart_limit=3", "kernel name=b restart_limit=0",
                        "kernel name=c restart_limit=1001", "kernel name=d restart_limit=-1", NULL };
    CHECK_EQ(parse(m), 2);
    CHECK_EQ(g[0].restart_limit, 3);
    CHECK_EQ(g[1].restart_limit, 0);
    CHECK_CONTAINS(d.msg[0], "module 2: restart_limit=1001 is not a number from 0 (no limit) to 1000");
    CHECK_CONTAINS(d.msg[1], "module 3: restart_limit=-1 is not a number");
}

static void mem_limits(void)
{
    const char *ok_lo[] = { "kernel mem=8M", NULL }, *ok_hi[] = { "kernel mem=768M", NULL };
    const char *hi[] = { "kernel mem=769M", NULL }, *frac[] = { "kernel mem=10000K", NULL };
    const char *junk[] = { "kernel mem=lots", NULL }, *huge[] = { "kernel mem=4294967296", NULL };
    CHECK_EQ(parse(ok_lo), 1);
    CHECK_EQ(parse(ok_hi), 1);
    CHECK_EQ(parse(hi), 0);
    CHECK_EQ(parse(frac), 0);
    CHECK_EQ(parse(junk), 0);
    CHECK_EQ(parse(huge), 0);
}

static void unknown_role_and_option(void)
{
    const char *l[] = { "firmware name=a", "kernel name=b colour=blue", "kernel name=c", NULL };
    CHECK_EQ(parse(l), 1);
    CHECK_STR(g[0].name, "c");
    CHECK_CONTAINS(d.msg[0], "module 0: 'firmware name=a' does not start with kernel, initrd or disk");
    CHECK_CONTAINS(d.msg[1], "module 1: unknown option 'colour'");
}

static void bad_names(void)
{
    const char *upper[] = { "kernel name=Web", NULL }, *empty[] = { "kernel name=", NULL };
    const char *longn[] = { "kernel name=abcdefghijklmnop", NULL };
    const char *ok[] = { "kernel name=abcdefghijklmno", NULL };
    CHECK_EQ(parse(upper), 0);
    CHECK_CONTAINS(d.msg[0], "guest name 'Web' must be 1-15 characters");
    CHECK_EQ(parse(empty), 0);
    CHECK_EQ(parse(longn), 0);
    CHECK_EQ(parse(ok), 1);
}

static void duplicate_names(void)
{
    const char *l[] = { "kernel name=a mem=16M", "kernel name=a mem=32M", NULL };
    CHECK_EQ(parse(l), 1);
    CHECK_EQ(g[0].mem, 16u << 20);
    CHECK_CONTAINS(d.msg[0], "module 1: a guest named 'a' already exists");
}

static void orphan_and_ambiguous_attachments(void)
{
    const char *orphan[] = { "kernel name=a", "disk name=zz", NULL };
    CHECK_EQ(parse(orphan), 1);
    CHECK_EQ(g[0].disk, -1);
    CHECK_CONTAINS(d.msg[0], "module 1: disk names a guest that has no kernel module");
    const char *ambiguous[] = { "kernel name=a", "kernel name=b", "initrd", NULL };
    CHECK_EQ(parse(ambiguous), 2);
    CHECK_EQ(g[0].initrd, -1);
    CHECK_EQ(g[1].initrd, -1);
    CHECK_CONTAINS(d.msg[0], "initrd needs name= when there is not exactly one guest");
}

static void second_initrd_stops_the_guest(void)
{
    const char *l[] = { "kernel name=a", "initrd name=a", "initrd name=a", "kernel name=b", NULL };
    CHECK_EQ(parse(l), 1);
    CHECK_STR(g[0].name, "b");
    CHECK_CONTAINS(d.msg[0], "module 2: guest 'a' already has an initrd (module 1)");
}

static void sata_disk_option(void)
{
    const char *l[] = { "kernel name=a disk=sata0:data-web", "kernel name=b disk=sata1:3",
                        "kernel name=c disk=sata0", "kernel name=d disk=sata0:", "kernel name=e disk=usb0:x",
                        "kernel name=f disk=satax:1", "kernel name=g disk=sata0:a:b", NULL };
    CHECK_EQ(parse(l), 2);
    CHECK_STR(g[0].sata, "sata0:data-web");
    CHECK_EQ(g[0].disk, -1);
    CHECK_STR(g[1].sata, "sata1:3");
    CHECK_CONTAINS(d.msg[0], "module 2: disk=sata0 is not sataN:NAME or sataN:NUMBER");
    CHECK_CONTAINS(d.msg[1], "module 3: disk=sata0: is not");
    CHECK_CONTAINS(d.msg[2], "module 4: disk=usb0:x is not");
    CHECK_CONTAINS(d.msg[3], "module 5: disk=satax:1 is not");
    CHECK_CONTAINS(d.msg[4], "module 6: disk=sata0:a:b is not");
    const char *none[] = { "kernel name=a", NULL };
    CHECK_EQ(parse(none), 1);
    CHECK_STR(g[0].sata, "");
}

static void nvme_disk_option(void)
{
    const char *l[] = { "kernel name=a disk=nvme0:data-web", "kernel name=b disk=nvme1:3",
                        "kernel name=c disk=nvme0", "kernel name=d disk=nvmex:1", "kernel name=e disk=nvm0:1", NULL };
    CHECK_EQ(parse(l), 2);
    CHECK_STR(g[0].sata, "nvme0:data-web");
    CHECK_STR(g[1].sata, "nvme1:3");
    CHECK_CONTAINS(d.msg[0], "module 2: disk=nvme0 is not");
    CHECK_CONTAINS(d.msg[1], "module 3: disk=nvmex:1 is not");
    CHECK_CONTAINS(d.msg[2], "module 4: disk=nvm0:1 is not");
}

static void sata_disk_and_disk_module_is_an_error(void)
{
    const char *l[] = { "kernel name=a disk=sata0:1", "disk name=a", "kernel name=b", NULL };
    CHECK_EQ(parse(l), 1);
    CHECK_STR(g[0].name, "b");
    CHECK_CONTAINS(d.msg[0], "module 1: guest 'a' has disk=sata0:1 on its kernel line and a disk module");
    CHECK_CONTAINS(d.msg[1], "guest 'a' not started");
}

static void args_only_for_kernels(void)
{
    const char *l[] = { "kernel name=a", "disk name=a -- oops", NULL };
    CHECK_EQ(parse(l), 0);
    CHECK_CONTAINS(d.msg[0], "module 1: only a kernel module takes a command line after --");
}

static void too_many_guests(void)
{
    const char *l[MAX_GUESTS + 2];
    char names[MAX_GUESTS + 1][32];
    for (int i = 0; i <= MAX_GUESTS; i++) {
        snprintf(names[i], sizeof(names[i]), "kernel name=g%d", i);
        l[i] = names[i];
    }
    l[MAX_GUESTS + 1] = NULL;
    CHECK_EQ(parse(l), MAX_GUESTS);
    CHECK_EQ(MAX_GUESTS, 64);
    CHECK_STR(g[MAX_GUESTS - 1].name, "g63");
    CHECK_CONTAINS(d.msg[0], "module 64: more than 64 guests");
}

static void unterminated_quote_is_an_error(void)
{
    const char *l[] = { "kernel name=\"a", NULL };
    CHECK_EQ(parse(l), 0);
    CHECK_CONTAINS(d.msg[0], "module 0: unterminated quote");
}

static void no_modules(void)
{
    const char *l[] = { NULL };
    CHECK_EQ(parse(l), 0);
    CHECK_EQ(d.n, 0);
}

int main(void)
{
    RUN(one_guest_all_parts);
    RUN(defaults);
    RUN(args_keep_everything_after_dashes);
    RUN(dashes_inside_a_word_are_not_a_separator);
    RUN(two_guests_and_shared_order);
    RUN(bad_mem_costs_only_that_guest);
    RUN(mem_limits);
    RUN(on_kill_choices);
    RUN(on_kill_restart_kept);
    RUN(unknown_role_and_option);
    RUN(cpu_pinning);
    RUN(weight_and_cap);
    RUN(limits);
    RUN(gdb_choices);
    RUN(abi_choices);
    RUN(paging_choices);
    RUN(bad_names);
    RUN(duplicate_names);
    RUN(orphan_and_ambiguous_attachments);
    RUN(second_initrd_stops_the_guest);
    RUN(args_only_for_kernels);
    RUN(sata_disk_option);
    RUN(nvme_disk_option);
    RUN(sata_disk_and_disk_module_is_an_error);
    RUN(too_many_guests);
    RUN(unterminated_quote_is_an_error);
    RUN(no_modules);
    return CHECK_EXIT_STATUS();
}
