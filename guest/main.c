/* lgtest's C entry (from entry.S, on the boot stack at its virtual
 * address): the rest of the lguest_init work, the banner, then the test
 * the command line names. */
#include <stdio.h>
#include <string.h>
#include "guest/cmdline.h"
#include "guest/fpu.h"
#include "guest/gdt.h"
#include "guest/hcall.h"
#include "guest/idt.h"
#include "guest/irq.h"
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"
#include "guest/timer.h"
#include "guest/user.h"
#include "guest/x86.h"

struct options opts;
u32 tsc_khz;

u32 cycles_to_us(u64 cycles) { return (u32)(cycles * 1000 / tsc_khz); }
u64 us_to_cycles(u64 us) { return us * tsc_khz / 1000; }
u64 ns_to_cycles(u64 ns) { return ns * tsc_khz / 1000000; }

void spin_us(u32 us)
{
    u64 end = rdtsc() + us_to_cycles(us);
    while (rdtsc() < end)
        ;
}

static const struct test_entry {
    const char *name;
    void (*run)(void);
} tests[] = {
    { "hello", test_hello },
    { "hypercalls", test_hypercalls },
    { "traps", test_traps },
    { "syscalls", test_syscalls },
    { "timer", test_timer },
    { "irqs", test_irqs },
    { "segments", test_segments },
    { "paging", test_paging },
    { "fpu", test_fpu },
    { "poweroff", test_poweroff },
    { "restart", test_restart },
    { "panic", test_panic },
    { "checksum", test_checksum },
    { "bench", test_bench },
    { "fuzz", test_fuzz },
    { "hostile", test_hostile },
    { "console", test_console },
    { "block", test_block },
    { "diskpat", test_diskpat },
    { "vring_hostile", test_vring_hostile },
    { "shell", test_shell },
    { "net", test_net },
    { "netpeer", test_netpeer },
    { "blkbench", test_blkbench },
    { "satabench", test_satabench },
    { "netbench", test_netbench },
    { "nethdr", test_nethdr },
    { "tso", test_tso },
    { "tsorecv", test_tsorecv },
    { "spam", test_spam },
    { "ticker", test_ticker },
    { "rng", test_rng },
    { "pci_hostile", test_pci_hostile },
};

void kernel_main(void)
{
    /* Descriptor tables first: until the IDT exists every fault kills us. */
    gdt_init();
    idt_init();
    hcall(LHCALL_SET_STACK, SEL_KERNEL_DS, (u32)boot_stack_top, KSTACK_PAGES);
    mm_init();
    user_init();
    fpu_init();
    timer_init();
    /* printf straight to write(): the console does the line buffering. */
    setvbuf(stdout, 0, _IONBF, 0);
    irq_enable();

    tsc_khz = lguest_data.tsc_khz;
    if (!tsc_khz)
        tsc_khz = 1000000;      /* only for our conversions; the init check reports it */
    cmdline_parse(boot_cmdline, &opts);
    printf("lgtest: booted, mem %u MiB, tsc %u kHz, cmdline '%s'\n", (unsigned)(ram_bytes >> 20),
           (unsigned)lguest_data.tsc_khz, boot_cmdline);
#ifdef LG_GEN4
    printf("lgtest: 4.x ABI: noirq_iret at 0x%x, devices on virtio-pci\n", (unsigned)lguest_data.noirq_iret);
#endif
#ifdef LG_GEN2632
    extern u32 host_boot_pgdir;
    printf("lgtest: 2.6.32 ABI: hypercalls by vmcall, the host's first tables at 0x%x\n",
           (unsigned)host_boot_pgdir);
#endif

    /* Our kernel windows must lie below what the host keeps. */
    u32 reserve = lguest_data.reserve_mem;
    if (reserve > 0u - (SPARE_VA + (4u << 20)))
        panic("host reserves 0x%x bytes at the top, our windows end at 0x%x", (unsigned)reserve,
              (unsigned)(SPARE_VA + (4u << 20)));

    if (strncmp(opts.test, "kill:", 5) == 0)
        test_kill(opts.test + 5);
    for (unsigned i = 0; i < ARRAY_SIZE(tests); i++) {
        if (strcmp(opts.test, tests[i].name) == 0) {
            tests[i].run();
            tests_done();
        }
    }
    fail("lgtest/test", "unknown test '%s'", opts.test);
    tests_done();
}
