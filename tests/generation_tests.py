"""Guests of other lguest generations beside 3.10 ones (issue 14). lgtest
built as a 2.6.32-era guest (build/guest/lgtest-2632.elf: vmcall hypercalls,
the host builds its first page tables and reports them in lguest_data.pgdir,
the 2.6.32 lguest_data layout and device status protocol) runs its own
checks next to the ordinary 3.10-style build in the same machine: the host
must tell them apart by their first hypercall and serve each in its own
way, the vmcalls patched in the kernel image and emulated outside it.

lgtest built as a 4.x guest (build/guest/lgtest-4.elf: the 4.x lguest_data
with noirq_iret, no NOTIFY, devices on virtio-pci found through 0xCF8/0xCFC
and driven by emulated MMIO in BAR0, VERSION_1, the early console through
emerg_wr) runs the console, block, net, trap and hostile checks (gen/4/...),
then the virtio-pci misuse the host must refuse or stop it for, beside
neighbours that must not notice; gen/all/side-by-side runs one guest of
each generation in one machine, each pinging the other two."""
import re

import device_tests as dev
import guest_cases as cases
from boot_tests import ELF, check
from guest_tests import ALL_STOPPED, guest_lines, program_checks
from qemu import boot

ELF_2632 = "build/guest/lgtest-2632.elf"
ELF_4 = "build/guest/lgtest-4.elf"
HYPERCALLS = next(c for c in cases.TESTS if c["test"] == "hypercalls")["expect"]
GEN_LINE = "its hypercalls are vmcall: a 2.6.32-era lguest guest"


def side_by_side_test():
    """A 2.6.32 guest and a 3.10 guest run the hypercall checks at once,
    beside a 2.6.32 guest using virtio-rng."""
    results = []
    tag = "gen/2632/side-by-side"
    mods = [f"{ELF_2632} kernel name=old mem=16M -- test=hypercalls",
            f"{cases.GUEST_ELF} kernel name=new mem=16M -- test=hypercalls",
            f"{ELF_2632} kernel name=rnd mem=16M rng=on -- test=rng"]
    b = boot(until=ALL_STOPPED, timeout=240, kernel=ELF, append="console=com1", initrd=",".join(mods),
             e1000=False)
    out = b.output
    dev.save_log(tag, out)
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    program_checks(results, f"{tag}/old", out, "old",
                   HYPERCALLS + ["hypercalls/vmcall-patched", "hypercalls/vmcall-emulated",
                                "hypercalls/vmcall-straddling", "hypercalls/vmcall-read-only"])
    program_checks(results, f"{tag}/new", out, "new", HYPERCALLS)
    program_checks(results, f"{tag}/rng", out, "rnd", dev.RNG_EXPECT)
    check(results, f"{tag}/old-recognised", f"guest old: {GEN_LINE}" in out, out[-1500:])
    check(results, f"{tag}/new-not", f"guest new: {GEN_LINE}" not in out, "a 3.10 guest was taken for 2.6.32")
    check(results, f"{tag}/generations-logged",
          "guest old: lguest generation 2.6.32 (LGUEST_INIT by vmcall)" in out and
          "guest new: lguest generation 3.10 (LGUEST_INIT by int $0x1f, syscall_vec 0x80 at lguest_data+0x56c)" in out,
          "the boot log does not say which generation each runs and why")
    m = re.search(r"guest old: first page tables at (0x[0-9a-f]+) \(RAM at 0 and at 0xc0000000\)", out)
    told = [ln for ln in guest_lines(out, "old") if "the host's first tables at" in ln]
    check(results, f"{tag}/boot-tables", m and told and told[0].endswith(hex(int(m.group(1), 16))),
          f"host said {m.group(0) if m else 'nothing'}; the guest read {told}")
    lines = guest_lines(out, "old")
    said = [f"lgtest: vmcall {w}" for w in ("in the kernel image", "outside the kernel image",
                                             "across a page boundary", "in a read-only page")]
    check(results, f"{tag}/vmcall-lines", all(w in lines for w in said), f"{lines[-12:]}")
    return results


def traps_test():
    """Traps in a 2.6.32 guest, a user-mode vmcall among them: its #UD is
    the guest's, never a hypercall and never patched."""
    results = []
    tag = "gen/2632/traps"
    case = next(c for c in cases.TESTS if c["test"] == "traps")
    b = boot(until=ALL_STOPPED, timeout=240, kernel=ELF, append="console=com1",
             initrd=f"{ELF_2632} kernel name=t mem=16M -- test=traps", e1000=False)
    out = b.output
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    program_checks(results, tag, out, "t", case["expect"])
    check(results, f"{tag}/recognised", f"guest t: {GEN_LINE}" in out, out[-1500:])
    return results


def block_run(tag, elf):
    """The whole block test in guest t, built as elf: (results, output)."""
    results = []
    mods = [f"{elf} kernel name=t mem=16M -- {dev.block_args('t')}", f"{dev.disk_image()} disk name=t"]
    b = boot(until=ALL_STOPPED, timeout=400, kernel=ELF, append="console=com1", initrd=",".join(mods),
             e1000=False)
    out = b.output
    dev.save_log(tag, out)
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    dev.block_checks(results, tag, out, "t", False)
    dev.no_broken_device(results, tag, out, ["t"])
    return results, out


def block_test():
    """The 2.6.32 status protocol (every status write notified, the device
    started at DRIVER_OK or its first kick) with the whole block test."""
    tag = "gen/2632/block"
    results, out = block_run(tag, ELF_2632)
    check(results, f"{tag}/recognised", f"guest t: {GEN_LINE}" in out, out[-1500:])
    return results


GEN4_LINE = ("lguest generation 4.x (LGUEST_INIT by int $0x1f, syscall_vec 0x80 at lguest_data+0x568 "
             "(noirq_iret layout))")


def gen4_recognised(results, tag, out, name):
    check(results, f"{tag}/recognised", f"guest {name}: {GEN4_LINE}" in out,
          f"no 4.x generation line for {name}: " + out[-1500:])
    check(results, f"{tag}/on-virtio-pci",
          re.search(rf"guest {re.escape(name)}: virtio-pci \(virtio 1\.0\): host bridge 00:00\.0, 00:01\.0 console",
                    out), "the host did not put its devices on virtio-pci with the console at 00:01.0")


def gen4_console_test():
    """The console test of device/pc/console in the 4.x build: the early
    output (everything before the attach) went by emerg_wr through the
    PCI-config window, then the driver over virtio-pci."""
    results = []
    tag = "gen/4/console"
    b = boot(until=ALL_STOPPED, timeout=240, kernel=ELF, append="console=com1", send=dev.CONSOLE_SEND,
             initrd=f"{ELF_4} kernel name=c mem=16M -- test=console")
    out = b.output
    dev.save_log(tag, out)
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    program_checks(results, tag, out, "c", dev.CONSOLE_EXPECT)
    echoes = [ln[5:] for ln in dev.lines_of(out, "c", "ECHO ")]
    check(results, f"{tag}/echo", echoes == dev.TYPED, f"echoed {echoes}, typed {dev.TYPED}")
    gen4_recognised(results, tag, out, "c")
    lines = guest_lines(out, "c")
    probed = [ln for ln in lines if ln.startswith("virtio-pci: 00:")]
    check(results, f"{tag}/probed", any(re.match(r"virtio-pci: 00:01\.0 console: BAR0 0x[0-9a-f]+ irq 1, 2 queue",
                                                 ln) for ln in probed) and
          any(ln.startswith("virtio-pci: 00:00.0 1b36:0008 class 060000") for ln in lines),
          f"the guest's probe lines: {probed}")
    check(results, f"{tag}/early-console", any(ln.startswith("lgtest: 4.x ABI: noirq_iret at 0xc") for ln in lines),
          "the banner written through emerg_wr did not arrive")
    dev.no_broken_device(results, tag, out, ["c"])
    return results


def gen4_block_test():
    """The whole block test (two boots, the disk persisting) over virtio-pci."""
    results = []
    tag = "gen/4/block"
    mods = [f"{ELF_4} kernel name=t mem=16M -- {dev.block_args('t')}", f"{dev.disk_image()} disk name=t"]
    b = boot(until=ALL_STOPPED, timeout=400, kernel=ELF, append="console=com1", initrd=",".join(mods),
             e1000=False)
    out = b.output
    dev.save_log(tag, out)
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    dev.block_checks(results, tag, out, "t", False)
    dev.no_broken_device(results, tag, out, ["t"])
    gen4_recognised(results, tag, out, "t")
    return results


def gen4_net_test():
    """Three 4.x guests: a serves, b exchanges pings and UDP with a, c pings
    the wire peer and a; the wire ARPs and pings all three (12-byte
    VERSION_1 headers both ways)."""
    import net_tests as net
    results = []
    tag = "gen/4/net"
    names = ("a", "b", "c")
    guests = [("a", net.MEM, f"test=net ip={net.IP['a']}", f"mac={net.MAC['a']}", ELF_4),
              ("b", net.MEM, f"test=netpeer ip={net.IP['b']} peer={net.IP['a']} count=300", f"mac={net.MAC['b']}",
               ELF_4),
              ("c", net.MEM, f"test=net ip={net.IP['c']} ping={net.PEER_IP} ping2={net.IP['a']}",
               f"mac={net.MAC['c']}", ELF_4)]
    r = net.Run(guests, "pc")
    try:
        if all(net.ready(results, tag, r, n) for n in names):
            for name in names:
                net.arp_checks(results, tag, r.peer, name)
                net.ping_checks(results, tag, r.peer, name, 20)
            r.wait_for(r"\[c\] (PASS|FAIL) net/ping-out-2", 120)
            m = r.wait_for(r"\[b\] (PASS|FAIL) netpeer/udp.*$", 600)
            check(results, f"{tag}/b/exchange-ended", m, "b never finished its UDP exchange")
            for name in ("b", "c", "a"):
                r.quit(name)
        else:
            r.abort = True
    finally:
        r.abort = r.abort or not r.wait_for(ALL_STOPPED, 10)
        b = r.finish()
    serve = [f"net/{c}" for c in net.SERVE_EXPECT]
    net.end_checks(results, tag, b, [("a", serve), ("b", net.NETPEER_EXPECT),
                                     ("c", net.NET_EXPECT + ["net/ping-out-2"])])
    if b:
        for name in names:
            gen4_recognised(results, f"{tag}/{name}", b.output, name)
    return results


def gen4_traps_test():
    """Traps, the hostile instruction checks and the hypercalls (NOTIFY
    aside: 4.x has none) of a 4.x guest, and virtio-rng as a virtio-pci
    function (00:02.0 with net=off), four guests at once."""
    results = []
    tag = "gen/4/traps"
    traps = next(c for c in cases.TESTS if c["test"] == "traps")["expect"]
    mods = [f"{ELF_4} kernel name=t mem=16M -- test=traps", f"{ELF_4} kernel name=h mem=16M -- test=hostile",
            f"{ELF_4} kernel name=y mem=16M -- test=hypercalls",
            f"{ELF_4} kernel name=r mem=16M net=off rng=on -- test=rng"]
    b = boot(until=ALL_STOPPED, timeout=300, kernel=ELF, append="console=com1", initrd=",".join(mods),
             e1000=False)
    out = b.output
    dev.save_log(tag, out)
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    program_checks(results, f"{tag}/traps", out, "t", traps)
    program_checks(results, f"{tag}/hostile", out, "h", ["hostile/emulated-cli-in-out"])
    program_checks(results, f"{tag}/hypercalls", out, "y", [h for h in HYPERCALLS if h != "hypercalls/notify"])
    program_checks(results, f"{tag}/rng", out, "r", dev.RNG_EXPECT)
    check(results, f"{tag}/rng/on-virtio-pci", "guest r: virtio-pci (virtio 1.0): host bridge 00:00.0, 00:01.0 "
          "console irq 1, 00:02.0 entropy irq 2" in out, "the entropy device is not the function after the console")
    for name in ("t", "h", "y", "r"):
        check(results, f"{tag}/{name}/recognised", f"guest {name}: {GEN4_LINE}" in out, out[-1000:])
    return results


# 4.x guests stopped for virtio-pci misuse (and NOTIFY): case -> reason.
GEN4_KILLS = {
    "notify-4x": "bad hypercall 17 (NOTIFY is not part of the 4.x lguest ABI",
    "mmio-insn": "by an instruction that is not a plain mov",
    "mmio-movzx": "by an instruction that is not a plain mov",
    "mmio-outside-bar": "bad page table entry",
    "mmio-below-bars": "bad page table entry",
}
# What the host's log must say for the refusals of test=pci_hostile.
PCI_HOSTILE_LOG = [
    r"guest p: virtio-pci: in of 4 byte\(s\) at port 0xcfd.*: access not of 1, 2 or 4 bytes inside one dword",
    r"guest p: virtio-pci: out of 4 byte\(s\) at port 0xcfe",
    r"guest p: virtio-pci: out of 4 byte\(s\) at port 0xcfc.*BAR0 address over RAM, another device or outside",
    r"guest p: virtio-pci: block: 4-byte read at BAR0\+0x014 of 00:0\d\.0: wrong width",
    r"guest p: virtio-pci: block: 4-byte read at BAR0\+0x800 .*no register there",
    r"guest p: virtio-pci: block: write to read-only register 0x04",
    r"guest p: virtio block: queue 0: size 3 \(a power of two up to 256\); device stopped until reset",
    r"guest p: virtio block: queue 0: size 0 \(a power",
    r"guest p: virtio block: queue 0: descriptor table at 0x0000000[0-9a-f]+ \(4096 bytes\) outside RAM or misaligned",
    r"guest p: virtio block: queue 0: used ring at .* outside RAM or misaligned",
    r"guest p: virtio block: queue 0 enabled before FEATURES_OK",
]
PCI_HOSTILE_EXPECT = ["pci_hostile/devices", "pci_hostile/cfg-unaligned", "pci_hostile/cfg-bad-address",
                      "pci_hostile/cfg-id-read-only", "pci_hostile/bar-over-ram", "pci_hostile/bar-over-device",
                      "pci_hostile/bar-outside-window", "pci_hostile/device-answers",
                      "pci_hostile/register-misuse", "pci_hostile/queue-size", "pci_hostile/queue-address",
                      "pci_hostile/queue-before-features", "pci_hostile/block-works-after"]


def gen4_hostile_test():
    """One machine: a 4.x guest misusing virtio-pci in every refusable way
    (it must go on, its block device working afterwards), 4.x guests that
    must each be stopped with their reason, and a 3.10 checksum guest
    beside them that must not notice."""
    results = []
    tag = "gen/4/hostile"
    mods = [f"{ELF_4} kernel name=p mem=16M net=off -- test=pci_hostile", f"{dev.disk_image()} disk name=p",
            f"{cases.GUEST_ELF} kernel name=n mem=16M net=off -- test=checksum loops=8 seed=1"]
    kills = list(GEN4_KILLS)
    mods += [f"{ELF_4} kernel name=k{i} mem=16M net=off -- test=kill:{c}" for i, c in enumerate(kills)]
    b = boot(until=ALL_STOPPED, timeout=400, kernel=ELF, append="console=com1", initrd=",".join(mods),
             e1000=False)
    out = b.output
    dev.save_log(tag, out)
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    program_checks(results, f"{tag}/p", out, "p", PCI_HOSTILE_EXPECT)
    for i, want in enumerate(PCI_HOSTILE_LOG):
        check(results, f"{tag}/p/log-{i}", re.search(want, out), f"no log line like {want!r}")
    program_checks(results, f"{tag}/neighbour", out, "n", ["checksum/value"])
    for i, c in enumerate(kills):
        name = f"k{i}"
        started = f"KILL {c} starting" in guest_lines(out, name)
        m = re.search(rf"guest {name}: stopped: (.*)$", out, re.M)
        check(results, f"{tag}/kill/{c}", started and m and GEN4_KILLS[c] in m.group(1),
              f"started {started}, stopped: {m.group(1) if m else 'no'}; want {GEN4_KILLS[c]!r}")
        check(results, f"{tag}/kill/{c}/no-done", not any(ln.startswith("DONE") for ln in guest_lines(out, name)),
              "the guest ran on after its kill case")
    return results


def all_generations_test():
    """A 2.6.32, a 3.10 and a 4.x guest in one machine, each with its
    network device, each pinging the other two through the switch, the
    wire peer pinging all three."""
    import net_tests as net
    results = []
    tag = "gen/all/side-by-side"
    elf = {"old": ELF_2632, "mid": cases.GUEST_ELF, "new": ELF_4}
    names = list(elf)
    guests = []
    for n in names:
        others = [net.IP[o] for o in names if o != n]
        guests.append((n, net.MEM, f"test=net ip={net.IP[n]} ping2={others[0]} ping3={others[1]}",
                       f"mac={net.MAC[n]}", elf[n]))
    r = net.Run(guests, "pc")
    try:
        if all(net.ready(results, tag, r, n) for n in names):
            for n in names:
                net.arp_checks(results, tag, r.peer, n)     # the peer learns the MAC it pings
                net.ping_checks(results, tag, r.peer, n, 10)
            for n in names:
                r.wait_for(rf"\[{n}\] (PASS|FAIL) net/ping-out-3", 120)
            for n in names:
                r.quit(n)
        else:
            r.abort = True
    finally:
        r.abort = r.abort or not r.wait_for(ALL_STOPPED, 10)
        b = r.finish()
    serve = [f"net/{c}" for c in net.SERVE_EXPECT] + ["net/ping-out-2", "net/ping-out-3"]
    net.end_checks(results, tag, b, [(n, serve) for n in names])
    if b:
        out = b.output
        check(results, f"{tag}/old/recognised", f"guest old: {GEN_LINE}" in out and
              "guest old: lguest generation 2.6.32 (LGUEST_INIT by vmcall)" in out, "old is not run as 2.6.32")
        check(results, f"{tag}/mid/recognised", "guest mid: lguest generation 3.10 (" in out,
              "mid is not run as 3.10")
        check(results, f"{tag}/new/recognised", f"guest new: {GEN4_LINE}" in out, "new is not run as 4.x")
        for n in names:
            pinged = [ln for ln in guest_lines(out, n) if ln.startswith("NET PING ")]
            check(results, f"{tag}/{n}/pinged-both", len(pinged) == 2 and all(" 5/5 replies" in p for p in pinged),
                  f"{pinged}")
    return results


def tests():
    return [("gen/2632/side-by-side", side_by_side_test), ("gen/2632/block", block_test),
            ("gen/2632/traps", traps_test), ("gen/4/console", gen4_console_test), ("gen/4/block", gen4_block_test),
            ("gen/4/net", gen4_net_test), ("gen/4/traps", gen4_traps_test), ("gen/4/hostile", gen4_hostile_test),
            ("gen/all/side-by-side", all_generations_test)]
