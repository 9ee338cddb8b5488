"""Integration tests of the foundation: boot lgvisor under QEMU and check what
its serial console shows. Each test returns a list of (name, ok, detail)."""
import os
import re

from qemu import boot

BUILD = "build"
ELF = os.path.join(BUILD, "lgvisor.elf")
TESTDIR = os.path.join(BUILD, "test")
READY = r"ready in [0-9.]+ ms"
HALTED = r"system halted"

# modules given to the main boot: (file name, size, module string)
# (GRUB drops quotes from module lines, so none are used here)
MODULES = [("guest-a.bin", 5000, "kernel name=web mem=64M -- console=hvc0 root=/dev/vda"),
           ("disk-a.img", 12288, "disk name=web")]


def check(results, name, ok, detail=""):
    results.append((name, bool(ok), detail))


def mem_kib(mem):
    return int(mem[:-1]) * (1024 if mem.endswith("M") else 1024 * 1024)


def find_int(pattern, text, default=None):
    m = re.search(pattern, text)
    return int(m.group(1)) if m else default


def common_checks(results, tag, b, mem, loader, slack_kib):
    out = b.output
    check(results, f"{tag}/banner", re.search(r"lgvisor \S+: a type-1 hypervisor", out),
          "no banner")
    check(results, f"{tag}/loader", f"boot: {loader}" in out, f"expected 'boot: {loader}'")
    avail = find_int(r"memory: (\d+) KiB available", out)
    want = mem_kib(mem)
    check(results, f"{tag}/memory-map-total",
          avail is not None and want - slack_kib <= avail <= want,
          f"available {avail} KiB, -m {want} KiB, allowed shortfall {slack_kib} KiB")
    ms = re.search(r"ready in ([0-9.]+) ms", out)
    check(results, f"{tag}/ready-under-1s", ms and float(ms.group(1)) < 1000,
          f"ready line: {ms.group(0) if ms else 'missing'}")


def prepare():
    """Builds the module files and the test ISOs the boots below use."""
    import subprocess
    os.makedirs(TESTDIR, exist_ok=True)
    mod_args = []
    for fname, size, string in MODULES:
        path = os.path.join(TESTDIR, fname)
        with open(path, "wb") as f:
            f.write(bytes((i * 7 + 3) & 0xFF for i in range(size)))
        mod_args += [path, string]
    for name, opts, mods in (("main", "test_ticks=5", mod_args), ("fault", "test_fault=pf", []),
                             ("crash", "test_fault=pf on_fault=reboot", [])):
        iso = os.path.join(TESTDIR, f"{name}.iso")
        subprocess.run(["boot/mkiso.sh", iso, ELF, opts] + mods, check=True)


def main_iso_boot(machine, firmware):
    """GRUB multiboot2 boot with modules and timer ticks, then console input."""
    tag = f"iso/{machine}-{firmware}"
    results = []
    mem = "256M"
    b = boot(iso=os.path.join(TESTDIR, "main.iso"), machine=machine, firmware=firmware,
             mem=mem, until=r"uptime \d+\.\d+ s", timeout=120,
             send=[(r"5 ticks done", b"uptime\r")])
    out = b.output
    # OVMF keeps several MiB for runtime services and ACPI; SeaBIOS about 0.5 MiB
    common_checks(results, tag, b, mem, "multiboot2 from GRUB",
                  16384 if firmware == "uefi" else 2048)
    for i, (fname, size, string) in enumerate(MODULES):
        check(results, f"{tag}/module-{i}",
              re.search(rf"module {i}: '{re.escape(string)}' at 0x[0-9a-f]+, {size} bytes", out),
              f"module {i} ('{string}', {size} bytes) not listed")
    nic = re.search(r"net: [0-9a-f]{2}:[0-9a-f]{2}\.\d Intel 82540EM \(8086:100e\), irq line \d+: the uplink", out)
    check(results, f"{tag}/pci-e1000", nic, "e1000 not reported")
    check(results, f"{tag}/pci-listing", re.search(r"pci [0-9a-f]{2}:[0-9a-f]{2}\.\d 8086:100e class 02\.00\.00", out),
          "e1000 function missing from the PCI listing")
    ticks = [(int(n), int(t), int(d)) for n, t, d in
             re.findall(r"selftest: tick (\d+) at (\d+) us, deadline (\d+) us", out)]
    ok = [n for n, _, _ in ticks] == [1, 2, 3, 4, 5]
    # deadlines 10 ms apart; an event never fires early, and not more than
    # 50 ms late (software emulation with two CPUs on a busy two-core host
    # has been seen 26 ms late; a lost or slice-late event is far more)
    ok = ok and all(d2 - d1 == 10000 for (_, _, d1), (_, _, d2) in zip(ticks, ticks[1:]))
    ok = ok and all(0 <= t - d < 50000 for _, t, d in ticks)
    check(results, f"{tag}/timer-ticks", ok, f"ticks (n, at, deadline): {ticks}")
    check(results, f"{tag}/guest-config",
          "guest web: kernel module 0, disk module 1, 64 MiB, command line "
          "'console=hvc0 root=/dev/vda'" in out, "guest 'web' not configured from its modules")
    check(results, f"{tag}/console-input", re.search(r"uptime \d+\.\d{6} s", out),
          "typed 'uptime' got no answer" + (" (timed out)" if b.timed_out else ""))
    return results


def fault_report_checks(results, tag, out, vector, name, extra=()):
    check(results, f"{tag}/vector", f"hypervisor fault: vector {vector} ({name})" in out,
          f"no report of vector {vector} ({name})")
    regs = all(re.search(p, out) for p in (
        r"eip=[0-9a-f]{8} cs=0050 eflags=[0-9a-f]{8}",
        r"eax=[0-9a-f]{8} ebx=[0-9a-f]{8} ecx=[0-9a-f]{8} edx=[0-9a-f]{8}",
        r"esi=[0-9a-f]{8} edi=[0-9a-f]{8} ebp=[0-9a-f]{8} esp=[0-9a-f]{8}",
        r"cr0=[0-9a-f]{8} cr2=[0-9a-f]{8} cr3=[0-9a-f]{8} cr4=[0-9a-f]{8}"))
    check(results, f"{tag}/registers", regs, "register dump incomplete")
    check(results, f"{tag}/stack-walk", re.search(r"stack: [0-9a-f]{8}( [0-9a-f]{8})+", out),
          "no stack walk with at least one caller")
    check(results, f"{tag}/halted", out.rstrip().endswith("system halted"),
          "did not end with 'system halted'")
    for name2, pattern in extra:
        check(results, f"{tag}/{name2}", re.search(pattern, out), f"missing /{pattern}/")


def fault_iso_boot(machine):
    tag = f"iso/{machine}-fault"
    results = []
    b = boot(iso=os.path.join(TESTDIR, "fault.iso"), machine=machine, until=HALTED, timeout=90)
    fault_report_checks(results, tag, b.output, 14, "page fault",
                        [("cr2", r"cr2=00000010 \(not-present, write, supervisor\)")])
    return results


def kernel_boot(append, until=READY, **kw):
    return boot(kernel=ELF, append=append, until=until, timeout=60, **kw)


def faults_fast():
    """Every provoked fault kind, through the multiboot1 fast path."""
    results = []
    for kind, vector, name in (("de", 0, "divide error"), ("ud", 6, "invalid opcode"),
                               ("gp", 13, "general protection"), ("df", 8, "double fault")):
        b = kernel_boot(f"test_fault={kind}", until=HALTED)
        fault_report_checks(results, f"kernel/fault-{kind}", b.output, vector, name)
    return results


def cmdline_errors():
    results = []
    b = kernel_boot('bogus=1 baud=1000 console=com1 loglevel=loud pci=maybe timer x="oops')
    out = b.output
    tag = "kernel/cmdline"
    check(results, f"{tag}/unknown", "unknown option 'bogus' ignored" in out, "bogus not reported")
    check(results, f"{tag}/baud", "option baud: 1000 is not a divisor of 115200; ignored" in out,
          "bad baud not reported")
    check(results, f"{tag}/choice", "option loglevel: 'loud' is not one of err|warn|info|debug" in out,
          "bad loglevel not reported")
    check(results, f"{tag}/bool", "option pci: 'maybe' is not on or off" in out, "bad bool not reported")
    check(results, f"{tag}/no-value", "option timer: '' is not one of auto|apic|pit" in out,
          "valueless choice not reported")
    check(results, f"{tag}/quote", "unterminated quote" in out, "unterminated quote not reported")
    check(results, f"{tag}/defaults-kept",
          "options: console=com1 baud=115200 loglevel=info timer=auto pci=on" in out,
          "defaults not kept")
    check(results, f"{tag}/still-ready", re.search(READY, out), "did not reach ready")
    return results


def bad_guest_lines():
    """A bad module line costs its own guest only (multiboot1 modules)."""
    results = []
    mods = os.path.join(TESTDIR, "disk-a.img")
    b = kernel_boot("", initrd=f"{mods} kernel name=Bad,{mods} kernel name=ok mem=7M,"
                              f"{mods} kernel name=good,{mods} disk name=good,{mods} blob")
    out = b.output
    check(results, "kernel/guests/bad-name", "module 0: guest name 'Bad' must be" in out,
          "bad guest name not reported")
    check(results, "kernel/guests/bad-mem", "module 1: mem=7M is not a whole number of MiB" in out,
          "bad mem not reported")
    check(results, "kernel/guests/bad-role", "module 4: 'blob' does not start with kernel" in out,
          "unknown module role not reported")
    check(results, "kernel/guests/good-kept",
          "guest good: kernel module 2, disk module 3, 64 MiB" in out and re.search(READY, out),
          "the good guest was not kept, or boot did not finish")
    check(results, "kernel/guests/bad-image", "error: guest good: kernel module 2: " in out
          and "0 guest(s) running" in out, "a kernel module that is no kernel was not reported")
    return results


def console_com2():
    results = []
    b = kernel_boot("console=com2", serial_port=2)
    check(results, "kernel/console-com2", re.search(READY, b.output) and "lgvisor" in b.output,
          "no boot log on COM2")
    b = kernel_boot("console=com2", until=None, serial_port=1)
    check(results, "kernel/console-com2-quiet-com1", "lgvisor" not in b.output,
          "output appeared on COM1 with console=com2")
    return results


def memory_sizes():
    results = []
    for mem in ("64M", "512M"):
        b = kernel_boot("", mem=mem)
        avail = find_int(r"memory: (\d+) KiB available", b.output)
        want = mem_kib(mem)
        check(results, f"kernel/memory-{mem}", avail and want - 2048 <= avail <= want,
              f"available {avail} KiB for -m {mem}")
        free = find_int(r"(\d+) KiB free for guests", b.output)
        check(results, f"kernel/frames-{mem}", free and free <= avail - 8192 and free > avail - 16384,
              f"{free} KiB free of {avail}: image and heap not excluded as expected")
    return results


def pit_timer_and_no_nic():
    results = []
    b = kernel_boot("timer=pit test_ticks=3", until=r"3 ticks done", e1000=False)
    out = b.output
    check(results, "kernel/timer-pit", "timer: PIT one-shot" in out and "3 ticks done" in out,
          "PIT fallback did not tick")
    check(results, "kernel/no-e1000", "net: guests have no wire: no NIC lgvisor can drive" in out, "missing the no-NIC warning")
    return results


def crash_record(how):
    """on_fault=reboot: the fault report, a reset 3 s later, and the next
    boot says how the previous one ended (test_fault faults again, so every
    boot after the first has a record)."""
    def run():
        results = []
        tag = f"kernel/crash-record-{how}"
        until = r"crash record:   hypervisor fault: vector 14 \(page fault\)[^\n]*\n"
        if how == "grub":
            b = boot(iso=os.path.join(TESTDIR, "crash.iso"), until=until, timeout=120, reboot=True)
        else:
            b = boot(kernel=ELF, append="test_fault=pf on_fault=reboot", until=until, timeout=120,
                     reboot=True)
        out = b.output
        check(results, f"{tag}/reset", "on_fault=reboot: resetting the machine in 3 s" in out and
              len(re.findall(r"lgvisor \S+: a type-1 hypervisor", out)) >= 2, out[-1500:])
        check(results, f"{tag}/printed", re.search(
            r"error: crash record: the previous boot ended with:\n.*crash record:   hypervisor fault: "
            r"vector 14 \(page fault\), error code 0x\w+ at eip [0-9a-f]{8}, cr2 [0-9a-f]{8}", out),
            "no crash record after the reset: " + out[-2000:])
        first = out.split("crash record: the previous")[0]
        check(results, f"{tag}/not-before", "crash record" not in first.split("on_fault=reboot")[0],
              "a crash record was printed on the first boot")
        return results
    return run


def watchdog_test():
    """watchdog=2 with QEMU's i6300esb: a machine with no guests is kept
    alive (the scheduler pets it) for 5 s, past the timeout, and a hypervisor hung
    with interrupts off (test_fault=hang) is reset by it; without the
    device, watchdog= says so."""
    results = []
    esb = ["-device", "i6300esb"]
    b = boot(kernel=ELF, append="watchdog=2 test_ticks=500", until=r"500 ticks done", timeout=90,
             reboot=True, extra=esb)
    out = b.output
    check(results, "kernel/watchdog/armed", re.search(r"watchdog: Intel 6300ESB at \S+ armed: the machine "
                                                      r"resets if lgvisor stops for 2 s", out), out[-1500:])
    boots = len(re.findall(r"lgvisor \S+: a type-1 hypervisor", out))
    check(results, "kernel/watchdog/idle-kept", boots == 1, f"{boots} boots while idle: " + out[-800:])
    b = boot(kernel=ELF, append="watchdog=2 test_fault=hang", until=r"(?s)hanging with interrupts off.*"
             r"lgvisor \S+: a type-1 hypervisor", timeout=90, reboot=True, extra=esb)
    check(results, "kernel/watchdog/hang-reset", not b.timed_out, "no reset after the hang: " + b.output[-800:])
    b = kernel_boot("watchdog=2")
    check(results, "kernel/watchdog/absent", "warning: watchdog: watchdog=2, but no Intel 6300ESB" in b.output,
          b.output[-800:])
    return results


def all_tests():
    tests = []
    for machine in ("pc", "q35"):
        tests.append((f"iso/{machine}", lambda m=machine: main_iso_boot(m, "bios")))
        tests.append((f"iso/{machine}-fault", lambda m=machine: fault_iso_boot(m)))
    tests.append(("iso/q35-uefi", lambda: main_iso_boot("q35", "uefi")))
    tests += [("kernel/faults", faults_fast), ("kernel/cmdline", cmdline_errors),
              ("kernel/com2", console_com2), ("kernel/guests", bad_guest_lines), ("kernel/memory", memory_sizes),
              ("kernel/pit", pit_timer_and_no_nic),
              ("kernel/crash-record-kernel", crash_record("kernel")),
              ("kernel/crash-record-grub", crash_record("grub")),
              ("kernel/watchdog", watchdog_test)]
    tests += [("acpi/tables", acpi_tables), ("acpi/uefi", acpi_uefi), ("acpi/none", acpi_none),
              ("acpi/poweroff", acpi_poweroff), ("acpi/reboot", acpi_reboot)]
    return tests


# ---- ACPI: tables, fallback, power ----

ACPI_RSDP = r"acpi: RSDP rev (\d+) \(.{6}\) (from the multiboot2 (?:old|new) RSDP tag|at 0x[0-9a-f]+), " \
            r"(RSDT|XSDT) at 0x[0-9a-f]+ with \d+ tables: ([A-Z0-9 ]+)"
BANNER = r"lgvisor \S+: a type-1 hypervisor"


def acpi_tables():
    results = []
    # (a) pc, SeaBIOS, two CPUs, RSDP from GRUB's multiboot2 tag
    b = boot(iso=os.path.join(TESTDIR, "main.iso"), machine="pc", until=READY, timeout=120,
             extra=["-smp", "2"])
    out = b.output
    m = re.search(ACPI_RSDP, out)
    check(results, "acpi/pc-smp2/tables", m and "multiboot2" in m.group(2)
          and all(t in m.group(4).split() for t in ("FACP", "APIC")), m.group(0) if m else "no RSDP line")
    check(results, "acpi/pc-smp2/madt",
          re.search(r"acpi: MADT: 2 CPUs \(2 enabled\), local APIC at 0xfee00000, I/O APIC 0 at "
                    r"0xfec00000 GSI base 0", out), "MADT line missing or wrong")
    check(results, "acpi/pc-smp2/fadt", re.search(r"acpi: FADT: PM1a control 0x[0-9a-f]+.*S5 sleep type \d/\d", out),
          "FADT line missing")
    check(results, "acpi/pc-smp2/no-problems", "warning: acpi" not in out, "acpi warnings on a good machine")
    # (b) q35 through the BIOS-area search (multiboot1): MCFG with the ECAM base
    b = kernel_boot("", machine="q35")
    out = b.output
    m = re.search(ACPI_RSDP, out)
    check(results, "acpi/q35/tables", m and m.group(2).startswith("at ") and "MCFG" in m.group(4),
          m.group(0) if m else "no RSDP line")
    check(results, "acpi/q35/mcfg", re.search(r"acpi: MCFG: PCIe ECAM at 0xb0000000, segment 0, buses 0-255", out),
          "MCFG line missing")
    check(results, "acpi/q35/reset-register", re.search(r"reset register I/O 0xcf9 = 0x[0-9a-f]{2}", out),
          "no reset register on q35")
    return results


def acpi_uefi():
    """(c) OVMF: the RSDP reaches us only as a multiboot2 tag."""
    results = []
    b = boot(iso=os.path.join(TESTDIR, "main.iso"), machine="q35", firmware="uefi", until=READY,
             timeout=120)
    out = b.output
    m = re.search(ACPI_RSDP, out)
    check(results, "acpi/q35-uefi/tables", m and "multiboot2" in m.group(2) and m.group(3) == "XSDT"
          and "APIC" in m.group(4), m.group(0) if m else "no RSDP line")
    n = int(os.environ.get("TEST_SMP") or 1)        # the suite may run on more CPUs
    check(results, "acpi/q35-uefi/madt", re.search(rf"acpi: MADT: {n} CPUs \({n} enabled\)", out),
          "MADT line missing")
    check(results, "acpi/q35-uefi/mcfg", "acpi: MCFG: PCIe ECAM at" in out, "MCFG line missing")
    return results


def acpi_none():
    """(d) -no-acpi: the fallback message, and the boot goes on."""
    results = []
    b = kernel_boot("", extra=["-no-acpi"])
    out = b.output
    check(results, "acpi/no-acpi/fallback", "acpi: no RSDP found; one CPU and the 8259 PIC" in out,
          "no fallback message")
    check(results, "acpi/no-acpi/ready", re.search(READY, out), "did not reach ready")
    return results


def acpi_poweroff():
    """(e) the monitor's poweroff ends QEMU on pc and q35."""
    results = []
    for machine in ("pc", "q35"):
        b = kernel_boot("", machine=machine, until=None,
                        send=[(r"lgvisor> ", b"poweroff\r")])
        out = b.output
        check(results, f"acpi/{machine}/poweroff",
              b.exited and "monitor: powering the machine off (ACPI S5)" in out
              and "power-off failed" not in out,
              "QEMU still running" if not b.exited else out[-300:])
    return results


def acpi_reboot():
    """(f) the monitor's reboot restarts the machine: the banner twice."""
    results = []
    for machine in ("pc", "q35"):
        b = kernel_boot("", machine=machine, reboot=True,
                        until=lambda text: len(re.findall(BANNER, text)) >= 2,
                        send=[(r"lgvisor> ", b"reboot\r")])
        out = b.output
        check(results, f"acpi/{machine}/reboot",
              "monitor: rebooting the machine" in out and len(re.findall(BANNER, out)) >= 2,
              f"{len(re.findall(BANNER, out))} banner(s)" + (" (timed out)" if b.timed_out else ""))
    return results
