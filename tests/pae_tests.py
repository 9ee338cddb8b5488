"""PAE guests (issue 11): lgtest built with PAE page tables
(build/guest/lgtest-pae.elf, -DLG_PAE: a 4-entry PDPT, 8-byte entries, a
kernel PMD shared by every address space, SET_PGD/SET_PMD/SET_PTE in their
PAE forms, process PDPTs 32 bytes into their page), the way a Linux 3.10
HIGHMEM64G lguest guest keeps them. The host learns the format from the
guest's first NEW_PGTABLE and shadows the three-level tables into its own
two-level ones; PAE and 2-level guests run side by side and must get the
same results; the PAE misuse a host must refuse stops only that guest."""
import re

import device_tests as dev
import generation_tests as gen
import guest_cases as cases
import net_tests as net
from boot_tests import ELF, check
from guest_tests import ALL_STOPPED, guest_lines, program_checks
from qemu import boot

ELF_PAE = "build/guest/lgtest-pae.elf"
PAE_LINE = "PAE (3-level) page tables (its first page table is a PDPT"
TWO_LINE = "2-level page tables (its first page table is a page directory"


def expect(test):
    return next(c for c in cases.TESTS if c["test"] == test)["expect"]


def mode_checks(results, tag, out, pae, two):
    for n in pae:
        check(results, f"{tag}/{n}/mode-pae", f"guest {n}: {PAE_LINE}" in out, f"no PAE line for {n}")
    for n in two:
        check(results, f"{tag}/{n}/mode-2level", f"guest {n}: {TWO_LINE}" in out, f"no 2-level line for {n}")


def side_by_side_test():
    """Two PAE guests and two 2-level guests in one machine: the paging
    checks in each format, and the same checksum work giving the same
    value in both."""
    results = []
    tag = "pae/side-by-side"
    mods = [f"{ELF_PAE} kernel name=pp mem=16M -- test=paging",
            f"{ELF_PAE} kernel name=ps mem=16M -- test=checksum loops=8 seed=3",
            f"{cases.GUEST_ELF} kernel name=np mem=16M -- test=paging",
            f"{cases.GUEST_ELF} kernel name=ns mem=16M -- test=checksum loops=8 seed=3"]
    b = boot(until=ALL_STOPPED, timeout=400, kernel=ELF, append="console=com1", initrd=",".join(mods),
             e1000=False)
    out = b.output
    dev.save_log(tag, out)
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    for n in ("pp", "np"):
        program_checks(results, f"{tag}/{n}", out, n, expect("paging"))
    for n in ("ps", "ns"):
        program_checks(results, f"{tag}/{n}", out, n, ["checksum/value", "checksum/guest-page-faults"])
    values = [re.search(r"PASS (checksum/value 0x[0-9a-f]+)", "\n".join(guest_lines(out, n))) for n in ("ps", "ns")]
    check(results, f"{tag}/same-checksum", all(values) and values[0].group(1) == values[1].group(1),
          f"{[v and v.group(1) for v in values]}")
    mode_checks(results, tag, out, ["pp", "ps"], ["np", "ns"])
    return results


PROGRAMS = ["hypercalls", "traps", "syscalls", "segments", "fpu"]


def programs_test():
    """The guest's own checks of the ABI, each in a PAE guest (the timer's,
    whose bounds are tight, alone afterwards)."""
    results = []
    tag = "pae/programs"
    mods = [f"{ELF_PAE} kernel name=p{i} mem=16M -- test={t}" for i, t in enumerate(PROGRAMS)]
    b = boot(until=ALL_STOPPED, timeout=400, kernel=ELF, append="console=com1", initrd=",".join(mods),
             e1000=False)
    out = b.output
    dev.save_log(tag, out)
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    for i, t in enumerate(PROGRAMS):
        program_checks(results, f"{tag}/{t}", out, f"p{i}", expect(t))
    mode_checks(results, tag, out, [f"p{i}" for i in range(len(PROGRAMS))], [])
    b = boot(until=ALL_STOPPED, timeout=240, kernel=ELF, append="console=com1", e1000=False,
             initrd=f"{ELF_PAE} kernel name=t mem=16M -- test=timer")
    check(results, f"{tag}/timer-finished", not b.timed_out, "timed out: " + b.output[-1500:])
    program_checks(results, f"{tag}/timer", b.output, "t", expect("timer"))
    return results


def block_test():
    """The whole block test in a PAE guest: its buffers reached through
    its three-level tables."""
    tag = "pae/block"
    results, out = gen.block_run(tag, ELF_PAE)
    mode_checks(results, tag, out, ["t"], [])
    return results


def net_test():
    """A PAE guest and a 2-level guest on the switch, each pinging the
    other, the wire peer pinging both."""
    results = []
    tag = "pae/net"
    elf = {"a": ELF_PAE, "b": cases.GUEST_ELF}     # a: PAE, b: 2-level
    names = list(elf)
    guests = [(n, net.MEM, f"test=net ip={net.IP[n]} ping2={net.IP[o]}", f"mac={net.MAC[n]}", elf[n])
              for n, o in (("a", "b"), ("b", "a"))]
    r = net.Run(guests, "pc")
    try:
        if all(net.ready(results, tag, r, n) for n in names):
            for n in names:
                net.arp_checks(results, tag, r.peer, n)
                net.ping_checks(results, tag, r.peer, n, 10)
            for n in names:
                r.wait_for(rf"\[{n}\] (PASS|FAIL) net/ping-out-2", 120)
            for n in names:
                r.quit(n)
        else:
            r.abort = True
    finally:
        r.abort = r.abort or not r.wait_for(ALL_STOPPED, 10)
        b = r.finish()
    serve = [f"net/{c}" for c in net.SERVE_EXPECT] + ["net/ping-out-2"]
    net.end_checks(results, tag, b, [(n, serve) for n in names])
    if b:
        mode_checks(results, tag, b.output, ["a"], ["b"])
    return results


# PAE guests stopped for PAE misuse (and a 2-level call): case -> reason.
KILLS = {
    "pae-pgd-index": "bad pgd index: a PDPT has 4 entries",
    "pae-2level-pgd": "bad pgd index: a PDPT has 4 entries",
    "pae-pmd-index": "bad pmd index: a PMD page has 512 entries",
    "pae-pmd-unaligned": "bad PMD address: not page aligned",
    "pae-pgtable-outside": "bad page table address 0xf0000000",
    "pae-pmd-nx": "bad page middle directory entry 0x80000000",
    "pae-pte-reserved": "reserved bits 52-62",
    "pae-pte-beyond": "bad page table entry: frame beyond guest memory",
    "pae-pmd-pse": "bad page middle directory entry: forbidden flag",
    "pae-pmd-beyond": "bad page middle directory entry: frame beyond guest memory",
    "pae-pdpte-flags": "bad PDPT entry: flag other than present",
}


def hostile_test():
    """Every PAE case in its own guest, each stopped with its reason, beside
    a 2-level and a PAE checksum guest that must not notice; and a 2-level
    guest's SET_PMD stopped as a PAE call."""
    results = []
    tag = "pae/hostile"
    kills = list(KILLS)
    mods = [f"{ELF_PAE} kernel name=k{i} mem=16M net=off -- test=kill:{c}" for i, c in enumerate(kills)]
    mods += [f"{cases.GUEST_ELF} kernel name=m mem=16M net=off -- test=kill:set-pmd",
             f"{cases.GUEST_ELF} kernel name=n mem=16M net=off -- test=checksum loops=8 seed=1",
             f"{ELF_PAE} kernel name=p mem=16M net=off -- test=checksum loops=8 seed=1"]
    b = boot(until=ALL_STOPPED, timeout=400, kernel=ELF, append="console=com1", initrd=",".join(mods),
             e1000=False, mem="512M")
    out = b.output
    dev.save_log(tag, out)
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    for i, c in enumerate(kills + ["set-pmd"]):
        name = f"k{i}" if i < len(kills) else "m"
        want = KILLS.get(c, "SET_PMD is for PAE guests; this one uses 2-level page tables")
        started = f"KILL {c} starting" in guest_lines(out, name)
        m = re.search(rf"guest {name}: stopped: (.*)$", out, re.M)
        check(results, f"{tag}/kill/{c}", started and m and want in m.group(1),
              f"started {started}, stopped: {m.group(1) if m else 'no'}; want {want!r}")
        check(results, f"{tag}/kill/{c}/no-done", not any(ln.startswith("DONE") for ln in guest_lines(out, name)),
              "the guest ran on after its kill case")
    for n in ("n", "p"):
        program_checks(results, f"{tag}/neighbour-{n}", out, n, ["checksum/value"])
    return results


def fuzz_test():
    """The survivable fuzz (3000 random hypercalls and table changes in
    their PAE forms) in a PAE guest beside a 2-level checksum guest: the
    PAE guest ends its run, nobody is stopped, the neighbour's value is
    right."""
    results = []
    tag = "pae/fuzz"
    mods = [f"{ELF_PAE} kernel name=f mem=16M net=off -- test=fuzz calls=3000 fatal=0",
            f"{cases.GUEST_ELF} kernel name=n mem=16M net=off -- test=checksum loops=8 seed=1"]
    b = boot(until=ALL_STOPPED, timeout=400, kernel=ELF, append="console=com1", initrd=",".join(mods),
             e1000=False)
    out = b.output
    dev.save_log(tag, out)
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    program_checks(results, f"{tag}/f", out, "f", [])
    program_checks(results, f"{tag}/neighbour", out, "n", ["checksum/value"])
    for n in ("f", "n"):
        m = re.search(rf"guest {n}: stopped: (.*)$", out, re.M)
        check(results, f"{tag}/{n}/not-killed", not m, f"stopped: {m and m.group(1)}")
    mode_checks(results, tag, out, ["f"], ["n"])
    return results


def monitor_mem_test():
    """A 5 GiB machine: the boot log says the hypervisor pages with PAE and
    NX, how much RAM above 4 GiB is seen and that it is not used yet, and the monitor's mem says the same and each
    running guest's memory and paging mode (a PAE and a 2-level shell)."""
    results = []
    tag = "pae/monitor-mem"
    mods = [f"{ELF_PAE} kernel name=pp mem=16M -- test=shell", f"{cases.GUEST_ELF} kernel name=np mem=24M -- test=shell"]
    b = boot(until=r"(?m)^np +24 MiB at host 0x[0-9a-f]+, [^\n]*\n", timeout=120, kernel=ELF, append="console=com1",
             initrd=",".join(mods), e1000=False, mem="5G",
             send=[(r"\[pp\] lgtest shell", b""), (r"\[np\] lgtest shell", b"\x1d\x1d"),
                   (r"lgvisor monitor", b"mem\r")])     # both shells up: both modes known
    out = b.output
    dev.save_log(tag, out)
    m = re.search(r"memory: (\d+) MiB above 4 GiB not used \(guest RAM still comes from below 4 GiB\)", out)
    check(results, f"{tag}/boot-log", m and int(m.group(1)) >= 1024, "no above-4-GiB line: " + out[-1500:])
    m2 = re.search(r"paging: PAE, NX on; (\d+) MiB of RAM above 4 GiB seen, not used", out)
    check(results, f"{tag}/boot-log-paging", re.search(r"paging: PAE \(3-level\), NX on; \d+ MiB identity-mapped", out),
          "no PAE paging line in the boot log: " + out[-1500:])
    check(results, f"{tag}/monitor-above-4g", m and m2 and m2.group(1) == m.group(1),
          "the monitor's mem: " + out[-1200:])
    check(results, f"{tag}/monitor-pae-guest", re.search(r"(?m)^pp +16 MiB at host 0x[0-9a-f]+, PAE \(3-level\) page tables", out),
          "no PAE line for pp: " + out[-1200:])
    check(results, f"{tag}/monitor-2level-guest", re.search(r"(?m)^np +24 MiB at host 0x[0-9a-f]+, 2-level page tables", out),
          "no 2-level line for np: " + out[-1200:])
    return results


def tests():
    return [("pae/side-by-side", side_by_side_test), ("pae/monitor-mem", monitor_mem_test), ("pae/programs", programs_test), ("pae/block", block_test),
            ("pae/net", net_test), ("pae/hostile", hostile_test), ("pae/fuzz", fuzz_test)]
