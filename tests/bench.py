"""make bench: boots lgvisor (bench=on, so it measures its bare-metal
baselines first) with the benchmark guest (lgtest test=bench) and prints one
line per figure, each against the baseline measured in the same boot:

  bench NAME N cycles baseline BASE M cycles ratio R

Figures are medians of many runs in TSC cycles. Under QEMU's software
emulation (the default) cycles are emulated cycles: compare ratios, not
absolute numbers, with real hardware (ACCEL=kvm)."""
import re
import sys

sys.path.insert(0, "tests")
import guest_cases as cases  # noqa: E402
from boot_tests import ELF  # noqa: E402
from qemu import boot  # noqa: E402

# which bare-metal figure each guest figure is compared with
BASELINE = {
    "hypercall_rt": "int_iret_rt",      # cheapest hypercall vs a bare ring-0 int/iret
    "trap_rt": "int_iret_rt",           # a trap reflected into the guest and its iret
    "pagefault": "int_iret_rt",         # a fault the shadow code resolves silently
    "as_switch": "cr3_reload",          # NEW_PGTABLE between cached address spaces
    "timer_latency": "host_timer_latency",  # SET_CLOCKEVENT deadline to guest handler
}


def main():
    b = boot(until=r"; 0 running", timeout=300, kernel=ELF, append="console=com1 bench=on",
             initrd=f"{cases.GUEST_ELF} kernel name=bench mem=32M -- test=bench")
    out = b.output
    base = {m.group(1): int(m.group(2))
            for m in re.finditer(r"bench-baseline (\S+) (\d+) cycles", out)}
    figs = {m.group(1): int(m.group(2))
            for m in re.finditer(r"^\[bench\] BENCH (\S+) (\d+)", out, re.M)}
    ok = True
    print(f"{'':6}{'figure':<16}{'cycles':>10}   {'baseline':<20}{'cycles':>10}   ratio")
    for name, bname in BASELINE.items():
        if name not in figs or bname not in base:
            print(f"bench {name} missing (guest figure {figs.get(name)}, baseline {base.get(bname)})")
            ok = False
            continue
        ratio = figs[name] / max(1, base[bname])
        print(f"bench {name} {figs[name]} cycles baseline {bname} {base[bname]} cycles ratio {ratio:.2f}")
    for name in sorted(set(figs) - set(BASELINE)):
        print(f"bench {name} {figs[name]} cycles (no baseline)")
    if not ok:
        print(out[-3000:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
