"""What lgtest (our own lguest guest, guest/) is expected to print, for the
harness that boots it under lgvisor. Data only.

Protocol of a test run (see guest/test.h):
  lgtest: booted, mem N MiB, tsc K kHz, cmdline '...'     (always first)
  PASS group/check            one line per check that passed
  FAIL group/check: reason    one line per check that failed
  DONE P passed, F failed     then the guest powers off with "done"
                              (or "N checks failed")
A run is good when every name in "expect" has its PASS line (a PASS line may
carry more text after the name, e.g. the checksum value), no FAIL line
appears and the DONE line says 0 failed. Lines that start with anything
else are information for people (measurements, the user program's hello).

test=bench prints "BENCH name cycles" lines and then a bare "DONE".
test=kill:NAME prints "KILL NAME starting" and must then be stopped by the
host; if it is not, it prints "FAIL kill/not-stopped: ..." and powers off.
"""
import os

# LGTEST_ELF: test another build of the guest (e.g. while guest/ is mid-change)
GUEST_ELF = os.environ.get("LGTEST_ELF", "build/guest/lgtest.elf")

# The guest's first line, every boot (a restart shows it again).
BANNER = r"lgtest: booted, mem \d+ MiB, tsc \d+ kHz, cmdline '.*'"

# Line formats.
PASS_RE = r"^PASS (\S+)"
FAIL_RE = r"^FAIL (\S+): (.*)$"
DONE_RE = r"^DONE (\d+) passed, (\d+) failed$"
BENCH_RE = r"^BENCH (\S+) (\d+)$"

# Under emulation some of these take a while; the budget is per boot.
TESTS = [
    {"test": "hello", "mem": "8M", "args": "", "timeout": 60,
     "expect": ["hello/ram", "hello/mem-size"]},
    {"test": "hello-64M", "mem": "64M", "args": "test=hello", "timeout": 60,
     "expect": ["hello/ram", "hello/mem-size"]},
    {"test": "hypercalls", "mem": "16M", "args": "test=hypercalls", "timeout": 120,
     "expect": [
         "hypercalls/init-reserve-mem", "hypercalls/init-tsc-khz", "hypercalls/init-time",
         "hypercalls/init-guest-fields", "hypercalls/flush-async", "hypercalls/regs-preserved",
         "hypercalls/new-pgtable", "hypercalls/flush-tlb-user", "hypercalls/flush-tlb-all",
         "hypercalls/set-pte", "hypercalls/set-pgd", "hypercalls/load-idt-entry",
         "hypercalls/set-stack", "hypercalls/ts", "hypercalls/set-clockevent", "hypercalls/halt",
         "hypercalls/load-tls", "hypercalls/load-gdt-entry", "hypercalls/notify",
         "hypercalls/send-interrupts", "hypercalls/async-ts", "hypercalls/async-set-pte",
         "hypercalls/async-new-pgtable", "hypercalls/async-ring-full",
     ]},
    {"test": "traps", "mem": "16M", "args": "test=traps", "timeout": 120,
     "expect": [
         "traps/divide", "traps/int3", "traps/ud2", "traps/gp-selector", "traps/pf-read-unmapped",
         "traps/pf-write-readonly", "traps/kernel-frame", "traps/eflags-image", "traps/interrupt-gate",
         "traps/emulated-cli", "traps/emulated-in", "traps/emulated-out", "traps/emulated-dr-read",
         "traps/user-pf-read", "traps/user-pf-write-readonly", "traps/user-pf-kernel-page",
         "traps/user-hypercall-gp", "traps/user-int3", "traps/user-ud2", "traps/user-vmcall-ud", "traps/user-divide",
         "traps/user-cli-gp", "traps/user-in-gp", "traps/user-hlt-gp", "traps/user-frame",
     ]},
    {"test": "syscalls", "mem": "16M", "args": "test=syscalls", "timeout": 120,
     "expect": [
         "syscalls/args", "syscalls/five-args", "syscalls/regs-preserved", "syscalls/write",
         "syscalls/bad-pointer", "syscalls/errors", "syscalls/many", "syscalls/exit-code",
         "syscalls/getpid-and-arg", "syscalls/frame-selectors", "syscalls/frame-on-kernel-stack",
         "syscalls/irqs-stay-on", "syscalls/no-traps", "syscalls/two-processes",
     ]},
    {"test": "timer", "mem": "16M", "args": "test=timer", "timeout": 120,
     "expect": [
         "timer/oneshot-100us", "timer/oneshot-500us", "timer/oneshot-1000us",
         "timer/oneshot-3000us", "timer/oneshot-10000us", "timer/handler-state", "timer/cancel",
         "timer/replace-earlier", "timer/replace-later", "timer/time-advances",
     ]},
    {"test": "irqs", "mem": "16M", "args": "test=irqs", "timeout": 120,
     "expect": [
         "irqs/held-while-disabled", "irqs/pending-flag", "irqs/delivered-on-enable",
         "irqs/blocked-line", "irqs/halt-pending-returns", "irqs/halt-sleeps", "irqs/periodic-rearm",
     ]},
    {"test": "segments", "mem": "16M", "args": "test=segments", "timeout": 120,
     "expect": [
         "segments/fs-base", "segments/fs-rebase", "segments/tls-user-1",
         "segments/tls-user-2", "segments/kernel-selectors", "segments/ds-es-0x68",
     ]},
    {"test": "paging", "mem": "16M", "args": "test=paging", "timeout": 120,
     "expect": [
         "paging/two-spaces", "paging/set-pte-user", "paging/set-pte-other-space",
         "paging/accessed-bit", "paging/dirty-bit", "paging/accessed-dirty-again",
         "paging/kernel-accessed-dirty", "paging/invalidate-page", "paging/kernel-mapping-shared",
         "paging/kernel-set-pte-everywhere", "paging/kernel-pgd-added", "paging/neighbour-unused",
         "paging/neighbour-clean", "paging/neighbour-changed", "paging/guest-demand-fault",
         "paging/flush-kmap-rounds", "paging/flush-accessed-dirty", "paging/flush-read-only",
         "paging/flush-set-pte", "paging/flush-set-pgd", "paging/flush-pde-silent", "paging/flush-user-only",
         "paging/no-leak",
     ]},
    {"test": "fpu", "mem": "16M", "args": "test=fpu loops=10", "timeout": 300,
     "expect": [
         "fpu/keep-state-1", "fpu/keep-state-2", "fpu/rounding-per-process", "fpu/lazy-switch",
         "fpu/sse-c-code", "fpu/long-loop-1", "fpu/long-loop-2",
     ]},
    {"test": "hostile", "mem": "16M", "args": "test=hostile", "timeout": 300, "expect": []},
    {"test": "fuzz-survivable", "mem": "16M", "args": "test=fuzz calls=3000 fatal=0", "timeout": 300,
     "expect": []},
    {"test": "checksum", "mem": "16M", "args": "test=checksum loops=8 seed=1", "timeout": 300,
     "expect": ["checksum/value", "checksum/guest-page-faults", "checksum/timer-ran"]},
]

# Several guests at once (one lgvisor boot, one module line per guest, each
# with its own name): each guest must pass on its own, and guests running
# the same checksum arguments must print the same value.
MULTI = [
    {"name": "fpu-x2", "mem": "16M", "guests": ["test=fpu loops=20", "test=fpu loops=20"],
     "expect": ["fpu/long-loop-1", "fpu/long-loop-2", "fpu/keep-state-1", "fpu/keep-state-2"]},
    {"name": "checksum-x2", "mem": "16M", "guests": ["test=checksum loops=8"] * 2,
     "expect": ["checksum/value"], "same_value": "checksum/value"},
    {"name": "checksum-x4", "mem": "16M", "guests": ["test=checksum loops=8"] * 4,
     "expect": ["checksum/value"], "same_value": "checksum/value"},
]

# The checksum guest next to a guest that gets itself killed: the
# checksum guest must still pass (and agree with a lone run).
SIBLING = {"args": "test=checksum loops=8", "expect": ["checksum/value"]}

# test=kill:CASE, one boot each: the host must log
#   guest NAME: stopped: <reason containing "reason">
# after the guest printed "KILL CASE starting", and no DONE line may follow.
KILLS = [
    {"case": "init-twice", "args": "test=kill:init-twice", "reason": "already have lguest_data"},
    {"case": "hcall-3", "args": "test=kill:hcall-3", "reason": "bad hypercall"},
    {"case": "hcall-20", "args": "test=kill:hcall-20", "reason": "bad hypercall"},
    {"case": "hcall-ffffffff", "args": "test=kill:hcall-ffffffff", "reason": "bad hypercall"},
    {"case": "set-pmd", "args": "test=kill:set-pmd", "reason": "bad hypercall"},
    {"case": "idt-vector", "args": "test=kill:idt-vector", "reason": "bad IDT vector"},
    {"case": "idt-type", "args": "test=kill:idt-type", "reason": "bad IDT type"},
    {"case": "idt-handler", "args": "test=kill:idt-handler", "reason": "bad IDT handler"},
    {"case": "stack-segment", "args": "test=kill:stack-segment", "reason": "bad stack segment"},
    {"case": "stack-pages", "args": "test=kill:stack-pages", "reason": "bad stack pages"},
    {"case": "stack-switcher", "args": "test=kill:stack-switcher", "reason": "bad stack page"},
    {"case": "stack-unmapped", "args": "test=kill:stack-unmapped", "reason": "bad stack page"},
    {"case": "gdt-index", "args": "test=kill:gdt-index", "reason": "bad GDT index"},
    {"case": "tls-address", "args": "test=kill:tls-address", "reason": "bad TLS address"},
    {"case": "pgd-index", "args": "test=kill:pgd-index", "reason": "bad pgd index"},
    {"case": "pte-switcher", "args": "test=kill:pte-switcher", "reason": "switcher"},
    {"case": "pde-pse", "args": "test=kill:pde-pse", "reason": "bad page directory entry"},
    {"case": "pde-pwt", "args": "test=kill:pde-pwt", "reason": "bad page directory entry"},
    {"case": "pde-beyond", "args": "test=kill:pde-beyond", "reason": "bad page directory entry"},
    {"case": "pte-beyond", "args": "test=kill:pte-beyond", "reason": "bad page table entry"},
    {"case": "pte-pat", "args": "test=kill:pte-pat", "reason": "bad page table entry"},
    {"case": "flush-pte-pat", "args": "test=kill:flush-pte-pat", "reason": "bad page table entry"},
    {"case": "flush-pte-beyond", "args": "test=kill:flush-pte-beyond", "reason": "bad page table entry"},
    {"case": "flush-pde-pse", "args": "test=kill:flush-pde-pse", "reason": "bad page directory entry"},
    {"case": "notify-beyond", "args": "test=kill:notify-beyond", "reason": "bad notify address"},
    {"case": "pf-no-gate", "args": "test=kill:pf-no-gate", "reason": "unhandled trap 14"},
]
KILL_STARTED = "KILL {case} starting"
KILL_LOG = "guest {name}: stopped: "

# Shutdown cases: "log" lists what the host's log must show (NAME is the
# guest's name); "banners" how often the banner must appear before the
# harness may stop the host (a restarting guest restarts forever).
SPECIAL = [
    {"case": "poweroff", "args": "test=poweroff", "log": ["guest {name}: power off: bye"], "banners": 1},
    {"case": "restart", "args": "test=restart", "log": ["guest {name}: restarting: again"], "banners": 2},
    {"case": "panic", "args": "test=panic", "log": ["guest {name}: power off: panic: test panic"],
     "banners": 1},
    # Linux's reboot message pointer is __pa(NULL) = 0x40000000, outside
    # memory: the restart must happen all the same, with an empty message.
    {"case": "shutdown-unreadable", "args": "test=kill:shutdown-unreadable",
     "log": ["guest {name}: restarting:"], "banners": 2},
    # The default test: banner, checks, DONE, power off with "done".
    {"case": "hello-poweroff", "args": "", "log": ["guest {name}: power off: done"], "banners": 1},
]

# test=bench: one line each, then "DONE"; values are TSC cycles (medians).
BENCH = {"args": "test=bench", "mem": "16M",
         "names": ["hypercall_rt", "trap_rt", "pagefault", "as_switch", "timer_latency"]}
