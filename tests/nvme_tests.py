"""NVMe guest disks: the SATA tests' guests and GPT image (tests/sata_tests.py)
on QEMU's NVMe controller (`-device nvme`), whose namespace the hypervisor
finds as nvme0. The guests only see virtio-blk, so the same guest programs
(test=block, test=diskpat) run unchanged.
"""
import os
import re

import guest_cases as cases
import sata_tests as st
from boot_tests import ELF, TESTDIR, check
from device_tests import BLOCK_EXPECT, save_log, no_broken_device
from guest_tests import ALL_STOPPED, program_checks
from qemu import boot

PART_SECTORS = st.PART_SECTORS


def drive_args(img, blkdebug=None, throttle=""):
    file = f"blkdebug:{blkdebug}:{img}" if blkdebug else img
    return ["-drive", f"if=none,id=nv,file={file},format=raw{throttle}",
            "-device", "nvme,drive=nv,serial=lgtest"]


def boot_nvme(machine, img, guests, until=ALL_STOPPED, timeout=400, blkdebug=None, throttle="", send=None,
              append=""):
    """guests: [(name, disk spec, args[, more module options])]."""
    mods = [f"{cases.GUEST_ELF} kernel name={g[0]} mem=16M net=off disk={g[1]} {g[3] if len(g) > 3 else ''} "
            f"-- {g[2]}" for g in guests]
    return boot(until=until, timeout=timeout, machine=machine, kernel=ELF, append=f"console=com1 {append}".strip(),
                initrd=",".join(mods), e1000=False, extra=drive_args(img, blkdebug, throttle), send=send)


def driver_checks(results, tag, out):
    check(results, f"{tag}/controller", re.search(r"nvmectl0: 1b36:0010 at .* NVMe \d+\.\d+, 'QEMU NVMe Ctrl' "
                                                  r"serial 'lgtest', at most \d+ namespace\(s\)", out), "no controller line")
    check(results, f"{tag}/disk", re.search(r"nvme0: nvmectl0 namespace 1: 'QEMU NVMe Ctrl', 22528 sectors "
                                            r"\(11 MiB\), queue depth \d+", out), "no disk line")
    check(results, f"{tag}/gpt", "nvme0: GPT, 3 partition(s)" in out, "no GPT line")
    check(results, f"{tag}/irq", re.search(r"nvmectl0: interrupt: (MSI|GSI)", out), "no interrupt line")


def block_test(machine):
    """test=block (guest/tests/block.c) on partition 1 of nvme0: every
    request shape (the odd segments go through PRP splits and the bounce
    page), 64 requests at once, the error statuses, FLUSH, a restart; the
    completions came by interrupt (the monitor's irq count); the image is
    then read on the host. Three more guests are refused: the
    first one's partition again, a partition and a disk that are not
    there."""
    def run():
        results = []
        tag = f"nvme/{machine}/block"
        img = st.fresh_image(tag)
        b = boot_nvme(machine, img, [("t", "nvme0:alpha", f"test=block sectors={PART_SECTORS} id=lgvisor:t"),
                                     ("c", "nvme0:1", "test=hello"), ("d", "nvme0:nope", "test=hello"),
                                     ("e", "nvme1:1", "test=hello")],
                      send=[(ALL_STOPPED, b"disks\r"), (r"nvme0 +'QEMU NVMe Ctrl'.* busy", b"irq\r")],
                      until=r": \d+: nvmectl0")
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        driver_checks(results, tag, out)
        program_checks(results, tag, out, "t", BLOCK_EXPECT)
        check(results, f"{tag}/restarted", "guest t: restarting: block phase 1 done" in out, "no restart")
        no_broken_device(results, tag, out, ["t"])
        st.rolling_kicks(results, tag, out)
        data = st.part_bytes(img, "alpha")
        check(results, f"{tag}/on-disk-marker", data[:20] == b"LGTEST BLOCK PHASE 2", repr(data[:20]))
        want = st.pattern(st.SEED_WRITE, PART_SECTORS)
        bad = sum(1 for s in range(1, PART_SECTORS) if data[s * 512:(s + 1) * 512] != want[s * 512:(s + 1) * 512])
        check(results, f"{tag}/on-disk-data", bad == 0, f"{bad} sectors differ from what the guest wrote")
        st.neighbours_unchanged(results, tag, img, ["alpha"])
        m = re.search(r"nvme0 +'QEMU NVMe Ctrl', 11 MiB, depth \d+: (\d+) reads .* (\d+) writes .* (\d+) flushes, "
                      r"0 errors, 0 controller resets, 0 busy", out)
        check(results, f"{tag}/monitor-disks", m and int(m.group(1)) and int(m.group(2)) and int(m.group(3)),
              "the monitor's disks line: " + (m.group(0) if m else "missing"))
        m = re.search(r": (\d+): nvmectl0", out)
        check(results, f"{tag}/interrupts", m and int(m.group(1)) > 0,
              "the monitor's irq line: " + (m.group(0) if m else "missing"))
        check(results, f"{tag}/monitor-guest-disk",
              re.search(r"t +nvme0p1 'alpha', 8192 sectors from LBA 2048", out), "no guest line in disks")
        refusals = {"c": r"guest c: disk=nvme0:1: partition 1 of nvme0 is guest t's already; not started",
                    "d": r"guest d: disk=nvme0:nope: nvme0 has no partition named 'nope'; not started",
                    "e": r"guest e: disk=nvme1:1: there is no disk nvme1 \(1 NVMe disk\(s\) found\); not started"}
        for g, want in refusals.items():
            check(results, f"{tag}/{g}-refused", re.search(want, out), f"no '{want}'")
            check(results, f"{tag}/{g}-not-started", f"[{g}] lgtest" not in out, f"guest {g} ran")
        return results
    return run


def power_cycle_test():
    """As sata/pc/power-cycle on nvme0: a pattern written, flushed, powered
    off; read back after a fresh QEMU, a second pattern written and
    flushed, QEMU killed (SIGKILL) right after the guest said the flush
    completed; read back again, and the edges of the partition refused
    (reads and writes just past its end fail; the neighbours unchanged)."""
    def run():
        results = []
        tag = "nvme/pc/power-cycle"
        img = st.fresh_image(tag)
        base = f"test=diskpat sectors={PART_SECTORS} count=2048"
        b1 = boot_nvme("pc", img, [("p", "nvme0:2", f"{base} write=0x1111")])
        b2 = boot_nvme("pc", img, [("p", "nvme0:2", f"{base} verify=0x1111 write=0x2222 then=spin")],
                       until=r"diskpat: flush completed")
        b3 = boot_nvme("pc", img, [("p", "nvme0:2", f"{base} verify=0x2222 bounds=1")])
        save_log(tag, b1.output + b2.output + b3.output)
        for i, b in enumerate((b1, b2, b3), 1):
            check(results, f"{tag}/boot{i}-finished", not b.timed_out, "timed out: " + b.output[-1000:])
        check(results, f"{tag}/boot1", "PASS diskpat/write" in b1.output and "DONE 3 passed, 0 failed" in b1.output,
              b1.output[-800:])
        check(results, f"{tag}/boot2-read-back", "PASS diskpat/verify" in b2.output, b2.output[-800:])
        check(results, f"{tag}/boot2-killed-after-flush", "flush completed (seed 0x2222" in b2.output and not b2.exited,
              b2.output[-500:])
        program_checks(results, f"{tag}/boot3", b3.output, "p",
                       ["diskpat/attach", "diskpat/capacity", "diskpat/verify", "diskpat/bounds"])
        st.neighbours_unchanged(results, tag, img, ["beta"])
        return results
    return run


def abandon_test():
    """As sata/pc/abandon: a guest restarts with 32 reads of 128 KiB that
    QEMU throttles; the restart cancels them, they do not finish within
    2 s, so the controller is reset, which stops them, none is answered
    into the new run, and the restarted guest's disk works."""
    def run():
        results = []
        tag = "nvme/pc/abandon"
        img = st.fresh_image(tag)
        b = boot_nvme("pc", img, [("t", "nvme0:alpha", f"test=diskpat sectors={PART_SECTORS} count=64 "
                                   f"verify=0x{st.SEED_IMAGE:x} abandon=1", "restart_delay=0")],
                      throttle=",throttling.iops-total=10")
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        check(results, f"{tag}/submitted", "[t] diskpat: 32 reads of 128 KiB submitted" in out, "")
        m = re.search(r"guest t: (\d+) NVMe request\(s\) in flight at the device reset: dropped", out)
        check(results, f"{tag}/dropped", m and int(m.group(1)) > 0, "no requests dropped at the restart")
        check(results, f"{tag}/no-leftover", "still counted after the cancel" not in out, "")
        check(results, f"{tag}/controller-reset",
              re.search(r"nvmectl0: \d+ cancelled command\(s\) did not finish in 2 s", out), "no reset for the cancel")
        check(results, f"{tag}/no-io-errors", "I/O error" not in out, "a cancelled request was logged as failed")
        program_checks(results, tag, out, "t", ["diskpat/attach", "diskpat/verify", "diskpat/after-abandon"])
        st.neighbours_unchanged(results, tag, img, ["alpha"])
        return results
    return run


def io_error_test():
    """QEMU's blkdebug fails reads of one sector always and of another
    once: the first ends, after the controller was reset and the read
    retried, as IOERR in the guest (and the disk still works); the second
    succeeds on its retry. Never a hang."""
    def run():
        results = []
        tag = "nvme/pc/io-errors"
        img = st.fresh_image(tag)
        conf = os.path.join(TESTDIR, "nvme-blkdebug.conf")
        first = st.LAYOUT[0][1]
        with open(conf, "w") as f:
            f.write(st.BLKDEBUG.format(always=first + 100, once=first + 200))
        b = boot_nvme("pc", img, [("t", "nvme0:alpha", f"test=diskpat sectors={PART_SECTORS} count=64 "
                                   f"verify=0x{st.SEED_IMAGE:x} ioerr=100 retried=200")], blkdebug=conf)
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        program_checks(results, tag, out, "t", ["diskpat/verify", "diskpat/ioerr", "diskpat/after-ioerr",
                                                "diskpat/retried"])
        # (QEMU's own "aio failed" on stderr may land inside a line: count the lines' ends)
        resets = len(re.findall(r"\(status 0x281, .*; resetting the controller", out))
        check(results, f"{tag}/resets", resets == 4, f"{resets} resets (3 for the bad sector, 1 for the other)")
        check(results, f"{tag}/io-error-logged",
              re.search(rf"error: nvme0: read of 1 sectors at LBA {first + 100} failed 3 times; I/O error", out),
              "no I/O error line")
        return results
    return run


def intx_test():
    """irq=pic: no MSI-X, so the controller interrupts by INTx on an 8259
    line (QEMU's completion-queue count once went wrong on a doorbell
    write that took nothing, holding the line up for good: a storm that
    hung the machine); the block test's reads, writes and flushes complete
    by that interrupt (the monitor's irq count), and the pattern written
    and flushed by a second guest is on the disk."""
    def run():
        results = []
        tag = "nvme/pc/intx"
        img = st.fresh_image(tag)
        b = boot_nvme("pc", img, [("t", "nvme0:1", f"test=block sectors={PART_SECTORS} id=lgvisor:t"),
                                  ("p", "nvme0:2", f"test=diskpat sectors={PART_SECTORS} count=2048 write=0x3333")],
                      append="irq=pic", send=[(ALL_STOPPED, b"irq\r")], until=r": \d+: nvmectl0")
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        check(results, f"{tag}/intx", re.search(r"nvmectl0: interrupt: 8259 line \d+", out),
              "no INTx interrupt line in the boot log")
        program_checks(results, tag, out, "t", BLOCK_EXPECT)
        m = re.search(r": (\d+): nvmectl0", out)
        check(results, f"{tag}/interrupts", m and int(m.group(1)) > 0,
              "the monitor's irq line: " + (m.group(0) if m else "missing"))
        check(results, f"{tag}/written", "[p] PASS diskpat/write" in out and "[p] DONE 3 passed, 0 failed" in out,
              out[-800:])
        data = st.part_bytes(img, "beta")
        want = st.pattern(0x3333, 2048)
        check(results, f"{tag}/on-disk", data[:len(want)] == want, "the pattern is not on the disk")
        st.neighbours_unchanged(results, tag, img, ["alpha", "beta"])
        return results
    return run


def tests():
    return [("nvme/pc/block", block_test("pc")), ("nvme/q35/block", block_test("q35")),
            ("nvme/pc/power-cycle", power_cycle_test()), ("nvme/pc/io-errors", io_error_test()),
            ("nvme/pc/abandon", abandon_test()), ("nvme/pc/intx", intx_test())]
