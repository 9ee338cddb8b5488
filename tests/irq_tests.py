"""Device interrupts (issue 10): the I/O APIC path and the irq=pic fallback
on pc and q35. Each boot has QEMU's edu device and test_msi=on (MSI, then
INTx through the controller in use), the PIT as the timer (ISA IRQ 0, GSI 2
through the MADT override under the I/O APIC), and the e1000 (its INTx GSI
found by a test interrupt); the monitor's `irq`, typed over serial, must be
answered (the UART interrupt wakes the idle hypervisor) and show every line
with its count. A short ping through the e1000 into a guest checks that the
NIC's interrupt keeps working under each controller."""
import re

from boot_tests import ELF, check, kernel_boot
from net_tests import IP, MAC, MEM, Run, arp_checks, ping_checks, ready

IOAPIC_LINE = r"irq: I/O APIC 0 at 0xfec00000 \(24 lines\), 8259s masked; ISA IRQ 0 -> GSI 2"
# pc routes PCI INTx to the ISA line SeaBIOS chose (11 for slots 3 and 4);
# q35 has PIRQ A-H on GSI 16-23
E1000_GSI = {"pc": r"1[01]", "q35": r"(?:1[6-9]|2[0-3])"}
EDU = ["-device", "edu"]


def controller_boot(machine, mode):
    """One boot, the monitor's `irq` answered; checks per controller."""
    def run():
        results = []
        tag = f"irq/{machine}-{mode}"
        append = "timer=pit test_ticks=3 test_msi=on" + (" irq=pic" if mode == "pic" else "")
        b = kernel_boot(append, machine=machine, extra=EDU, until=r"spurious: pic \d+",
                        send=[(r"3 ticks done", b"irq\r")])
        out = b.output
        check(results, f"{tag}/ticks", "3 ticks done" in out, "the PIT did not tick: " + out[-800:])
        check(results, f"{tag}/monitor-answers", not b.timed_out and "spurious: pic" in out,
              "the monitor never answered 'irq' over serial")
        if mode == "ioapic":
            check(results, f"{tag}/mode-line", re.search(IOAPIC_LINE, out), "no I/O APIC mode line")
            check(results, f"{tag}/monitor-mode", "mode: I/O APIC, 1 controller(s)" in out, "monitor mode")
            # (not one interrupt per tick: a tick that comes late, on a busy
            # host, runs in the same interrupt as the next one)
            check(results, f"{tag}/pit-gsi2",
                  re.search(r"GSI 2 \(ISA 0\) edge/high vector 0x32 apic 0: ([1-9]\d*): pit", out),
                  "the PIT's ticks did not arrive on GSI 2")
            check(results, f"{tag}/uart-gsi4", re.search(r"GSI 4 \(ISA 4\) edge/high .*: [1-9]\d*: uart", out),
                  "no UART interrupt on GSI 4")
            gsi = E1000_GSI[machine]
            m = re.search(rf"e1000: INTx -> GSI ({gsi}) \(found by a test interrupt\)", out)
            check(results, f"{tag}/e1000-gsi", m, "e1000 GSI not found by its test interrupt")
            if m:
                check(results, f"{tag}/e1000-line", re.search(rf"GSI {m.group(1)} \(?.*level/.*: \d+: .*e1000", out),
                      "the monitor does not list the e1000's GSI")
            check(results, f"{tag}/msi", re.search(r"msi: edu at 00:0[34]\.0 delivered vector 0x7[0-9a-f] "
                                                   r"through MSI", out), "no MSI delivery")
            check(results, f"{tag}/edu-intx", re.search(rf"irq: edu INTx -> GSI {gsi} delivered", out),
                  "no INTx delivery through the I/O APIC")
        else:
            check(results, f"{tag}/mode-line", "irq: 8259 PIC (irq=pic)" in out, "no PIC mode line")
            check(results, f"{tag}/monitor-mode", "mode: 8259 PIC (irq=pic)" in out, "monitor mode")
            check(results, f"{tag}/pit-line0", re.search(r"line 0 \(ISA 0\): ([1-9]\d*): pit", out),
                  "the PIT's ticks did not arrive on line 0")
            check(results, f"{tag}/uart-line4", re.search(r"line 4 \(ISA 4\): [1-9]\d*: uart", out),
                  "no UART interrupt on line 4")
            check(results, f"{tag}/e1000-line", re.search(r"e1000: .*irq 8259 line 11", out), "e1000 not on line 11")
            check(results, f"{tag}/no-msi", "msi: not used with the 8259s (irq=pic)" in out, "MSI used with irq=pic")
            check(results, f"{tag}/edu-intx", "irq: edu INTx -> 8259 line 11 delivered" in out,
                  "no INTx delivery through the 8259s")
        check(results, f"{tag}/no-errors", not re.search(r"(?m)^.*(error: |warning: (irq|msi|ioapic)).*$", out),
              (re.search(r"(?m)^.*(error: |warning: (irq|msi|ioapic)).*$", out) or [""])[0])
        return results
    return run


def no_madt():
    results = []
    b = kernel_boot("", extra=["-no-acpi"])
    check(results, "irq/no-acpi/pic", "irq: 8259 PIC (no I/O APIC in the MADT)" in b.output,
          "no PIC fallback line")
    return results


def net_ping(machine, mode):
    """The e1000's interrupt under each controller: pings from the wire
    into an idle guest (nothing else wakes the hypervisor)."""
    def run():
        results = []
        tag = f"irq/{machine}-{mode}/net"
        append = "console=com1" + (" irq=pic" if mode == "pic" else "")
        r = Run([("a", MEM, f"test=net ip={IP['a']}", f"mac={MAC['a']}")], machine, timeout=300,
                append=append)
        try:
            if ready(results, tag, r, "a"):
                arp_checks(results, tag, r.peer, "a")
                ping_checks(results, tag, r.peer, "a", 20)
                r.quit("a")
            else:
                r.abort = True
        finally:
            r.abort = True
            b = r.finish()
        want = "irq: 8259 PIC (irq=pic)" if mode == "pic" else "irq: I/O APIC 0 at"
        check(results, f"{tag}/mode", b and want in b.output, f"no '{want}'")
        return results
    return run


def tests():
    t = []
    for machine in ("pc", "q35"):
        for mode in ("ioapic", "pic"):
            t.append((f"irq/{machine}-{mode}", controller_boot(machine, mode)))
    t.append(("irq/no-acpi", no_madt))
    # the I/O APIC path's network is net_tests' own (the default mode)
    t += [("irq/pc-pic/net", net_ping("pc", "pic")), ("irq/q35-pic/net", net_ping("q35", "pic"))]
    return t
