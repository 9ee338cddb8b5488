"""SATA (AHCI) guest disks: lgtest guests on GPT partitions of a disk image
made here (tests/mkgpt.py), on QEMU's AHCI controller (`-device ahci` on
pc, the built-in one on q35).
"""
import os
import sys
from array import array

from boot_tests import ELF, TESTDIR, check

SEED_IMAGE = 0x1D15C000
PART_SECTORS = 8192
DISK_SECTORS = 22528
LAYOUT = [("alpha", 2048, PART_SECTORS), ("beta", 10240, PART_SECTORS), ("gamma", 18432, 2048)]


def pattern_sector(s):
    cols = [(j * 2246822519) & 0xFFFFFFFF for j in range(128)]
    row = ((s * 2654435761) ^ SEED_IMAGE) & 0xFFFFFFFF
    w = array("I", (row ^ c for c in cols))
    if sys.byteorder != "little":
        w.byteswap()
    return w.tobytes()


def make_image(path):
    import mkgpt
    fills = [pattern_sector, pattern_sector, lambda s: b"\xc3" * 512]
    mkgpt.write_image(path, DISK_SECTORS, [(n, f, c, fill) for (n, f, c), fill in zip(LAYOUT, fills)])
    return path


# ---- the tests ----

import hashlib
import re
import threading

import guest_cases as cases
from device_tests import BLOCK_EXPECT, SEED_IMAGE as BLOCK_SEED, save_log, no_broken_device
from guest_tests import ALL_STOPPED, program_checks
from qemu import boot

assert BLOCK_SEED == SEED_IMAGE
SEED_WRITE = 0x5EED0002                 # guest/tests/block.c's second pattern
_lock = threading.Lock()
_fresh = {}


def fresh_image(tag):
    """A new image per test (tests run in parallel and write to it)."""
    os.makedirs(TESTDIR, exist_ok=True)
    path = os.path.join(TESTDIR, tag.replace("/", "-") + ".img")
    with _lock:
        if "master" not in _fresh:
            master = os.path.join(TESTDIR, "sata-master.img")
            make_image(master)
            with open(master, "rb") as f:
                _fresh["master"] = f.read()
    with open(path, "wb") as f:
        f.write(_fresh["master"])
    return path


def part_bytes(path, name):
    first, count = next((f, c) for n, f, c in LAYOUT if n == name)
    with open(path, "rb") as f:
        f.seek(first * 512)
        return f.read(count * 512)


def digest(data):
    return hashlib.sha256(data).hexdigest()[:16]


def pattern(seed, sectors):
    cols = [(j * 2246822519) & 0xFFFFFFFF for j in range(128)]
    w = array("I")
    for s in range(sectors):
        row = ((s * 2654435761) ^ seed) & 0xFFFFFFFF
        w.extend(row ^ c for c in cols)
    if sys.byteorder != "little":
        w.byteswap()
    return w.tobytes()


def neighbours_unchanged(results, tag, img, mine):
    fresh = os.path.join(TESTDIR, "sata-master.img")
    for n, _, _ in LAYOUT:
        if n in mine:
            continue
        got, want = digest(part_bytes(img, n)), digest(part_bytes(fresh, n))
        check(results, f"{tag}/neighbour-{n}-unchanged", got == want, f"sha256 {got}, was {want}")


def drive_args(machine, img, blkdebug=None, throttle=""):
    file = f"blkdebug:{blkdebug}:{img}" if blkdebug else img
    drive = ["-drive", f"if=none,id=d0,file={file},format=raw{throttle}"]
    if machine == "q35":                # its built-in ICH9 AHCI, bus ide.N
        return drive + ["-device", "ide-hd,drive=d0,bus=ide.0"]
    return ["-device", "ahci,id=ahci"] + drive + ["-device", "ide-hd,drive=d0,bus=ahci.0"]


def boot_sata(machine, img, guests, until=ALL_STOPPED, timeout=400, blkdebug=None, smp=None, throttle="",
              send=None):
    """guests: [(name, disk spec, args[, more module options])]."""
    mods = [f"{cases.GUEST_ELF} kernel name={g[0]} mem=16M net=off disk={g[1]} {g[3] if len(g) > 3 else ''} "
            f"-- {g[2]}" for g in guests]
    extra = drive_args(machine, img, blkdebug, throttle) + (["-smp", str(smp)] if smp else [])
    return boot(until=until, timeout=timeout, machine=machine, kernel=ELF, append="console=com1",
                initrd=",".join(mods), e1000=False, extra=extra, send=send)


def driver_checks(results, tag, out):
    check(results, f"{tag}/controller", re.search(r"ahci0: 8086:2922 at .* AHCI \d+\.\d+, \d+ ports", out),
          "no controller line")
    check(results, f"{tag}/disk", re.search(r"sata0: ahci0 port 0: 'QEMU HARDDISK', 22528 sectors .* NCQ", out),
          "no disk line")
    check(results, f"{tag}/gpt", "sata0: GPT, 3 partition(s)" in out, "no GPT line")
    check(results, f"{tag}/irq", re.search(r"ahci0: interrupt: (MSI|GSI)", out), "no interrupt line")


def rolling_kicks(results, tag, out):
    """block/rolling kept 8 reads in flight, each slot refilled and kicked
    if the ring asked for it: on a real disk the host takes what is posted
    behind requests in flight without a kick, so some refills needed none
    (on a ramdisk, which answers within the kick, every refill is one:
    1 + 256 - 8 in all). How many depends on timing; make bench measures
    what it is worth."""
    m = re.findall(r"\[t\] block: rolling: (\d+) reads, (\d+) in flight, (\d+) kicks", out)
    check(results, f"{tag}/rolling-fewer-kicks", m and all(int(k) < 1 + int(n) - int(d) for n, d, k in m),
          f"reads, depth, kicks of each boot: {m}")


def block_test(machine):
    """test=block (guest/tests/block.c, as on a ramdisk) on partition 1:
    every request shape, 64 requests at once, the error statuses, FLUSH,
    a guest restart; then the image itself is read on the host."""
    def run():
        results = []
        tag = f"sata/{machine}/block"
        img = fresh_image(tag)
        b = boot_sata(machine, img, [("t", "sata0:alpha", f"test=block sectors={PART_SECTORS} id=lgvisor:t")],
                      send=[(ALL_STOPPED, b"disks\r")], until=r"sata0 +'QEMU HARDDISK'.* busy")
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        driver_checks(results, tag, out)
        program_checks(results, tag, out, "t", BLOCK_EXPECT)
        check(results, f"{tag}/restarted", "guest t: restarting: block phase 1 done" in out, "no restart")
        no_broken_device(results, tag, out, ["t"])
        rolling_kicks(results, tag, out)
        # on the disk: sector 0 the marker, the rest the second pattern, at the partition's place
        data = part_bytes(img, "alpha")
        check(results, f"{tag}/on-disk-marker", data[:20] == b"LGTEST BLOCK PHASE 2", repr(data[:20]))
        want = pattern(SEED_WRITE, PART_SECTORS)
        bad = sum(1 for s in range(1, PART_SECTORS) if data[s * 512:(s + 1) * 512] != want[s * 512:(s + 1) * 512])
        check(results, f"{tag}/on-disk-data", bad == 0, f"{bad} sectors differ from what the guest wrote")
        neighbours_unchanged(results, tag, img, ["alpha"])
        m = re.search(r"sata0 +'QEMU HARDDISK', 11 MiB, NCQ depth 32: (\d+) reads .* (\d+) writes .* (\d+) flushes, "
                      r"0 errors, 0 port resets, 0 busy", out)
        check(results, f"{tag}/monitor-disks", m and int(m.group(1)) and int(m.group(2)) and int(m.group(3)),
              "the monitor's disks line: " + (m.group(0) if m else "missing"))
        check(results, f"{tag}/monitor-guest-disk",
              re.search(r"t +sata0p1 'alpha', 8192 sectors from LBA 2048", out), "no guest line in disks")
        return results
    return run


def power_cycle_test():
    """Three boots of the machine on one image: a pattern written, flushed,
    powered off; read back after a fresh QEMU, a second pattern written and
    flushed, QEMU killed (SIGKILL) right after the guest said the flush
    completed (while it goes on writing elsewhere); read back again, and
    the edges of the partition refused. Partition 2, by number."""
    def run():
        results = []
        tag = "sata/pc/power-cycle"
        img = fresh_image(tag)
        base = f"test=diskpat sectors={PART_SECTORS} count=2048"
        b1 = boot_sata("pc", img, [("p", "sata0:2", f"{base} write=0x1111")])
        b2 = boot_sata("pc", img, [("p", "sata0:2", f"{base} verify=0x1111 write=0x2222 then=spin")],
                       until=r"diskpat: flush completed")
        b3 = boot_sata("pc", img, [("p", "sata0:2", f"{base} verify=0x2222 bounds=1")])
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
        neighbours_unchanged(results, tag, img, ["beta"])
        return results
    return run


def two_guests_test():
    """q35's built-in AHCI, -smp 2: two guests running test=block at once
    on two partitions of one disk (one by name, one by number); a third
    asks for the first one's partition, a fourth for a partition that is
    not there, a fifth for a disk that is not there: each is refused with
    its reason and not started, the others run."""
    def run():
        results = []
        tag = "sata/q35/two-guests-smp"
        img = fresh_image(tag)
        blk = f"test=block sectors={PART_SECTORS}"
        b = boot_sata("q35", img, [("a", "sata0:alpha", f"{blk} id=lgvisor:a"),
                                   ("b", "sata0:2", f"{blk} id=lgvisor:b"),
                                   ("c", "sata0:1", "test=hello"), ("d", "sata0:nope", "test=hello"),
                                   ("e", "sata1:1", "test=hello")], smp=2, timeout=600)
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        driver_checks(results, tag, out)
        for g in ("a", "b"):
            program_checks(results, f"{tag}/{g}", out, g, BLOCK_EXPECT)
        no_broken_device(results, tag, out, ["a", "b"])
        check(results, f"{tag}/on-two-cpus", re.search(r"guest a: on CPU (\d)", out) and
              re.search(r"guest a: on CPU (\d)", out).group(1) != re.search(r"guest b: on CPU (\d)", out).group(1),
              "a and b on the same CPU")
        refusals = {"c": r"guest c: disk=sata0:1: partition 1 of sata0 is guest a's already; not started",
                    "d": r"guest d: disk=sata0:nope: sata0 has no partition named 'nope'; not started",
                    "e": r"guest e: disk=sata1:1: there is no disk sata1 \(1 SATA disk\(s\) found\); not started"}
        for g, want in refusals.items():
            check(results, f"{tag}/{g}-refused", re.search(want, out), f"no '{want}'")
            check(results, f"{tag}/{g}-not-started", f"[{g}] lgtest" not in out, f"guest {g} ran")
        neighbours_unchanged(results, tag, img, ["alpha", "beta"])
        return results
    return run


def abandon_test():
    """A guest restarts itself with 32 reads of 128 KiB on the disk, which
    QEMU throttles to 10 requests a second (so they are still there): the
    restart cancels them before its memory is reloaded; they do not finish
    within the 2 s it waits, so the port is reset, which stops them, and
    none is answered into the new run; the restarted guest's disk works."""
    def run():
        results = []
        tag = "sata/pc/abandon"
        img = fresh_image(tag)
        b = boot_sata("pc", img, [("t", "sata0:alpha", f"test=diskpat sectors={PART_SECTORS} count=64 "
                                   f"verify=0x{SEED_IMAGE:x} abandon=1", "restart_delay=0")],
                      throttle=",throttling.iops-total=10")
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        check(results, f"{tag}/submitted", "[t] diskpat: 32 reads of 128 KiB submitted" in out, "")
        m = re.search(r"guest t: (\d+) SATA request\(s\) in flight at the device reset: dropped", out)
        check(results, f"{tag}/dropped", m and int(m.group(1)) > 0, "no requests dropped at the restart")
        check(results, f"{tag}/no-leftover", "still counted after the cancel" not in out, "")
        check(results, f"{tag}/port-reset", re.search(r"sata0: \d+ cancelled request\(s\) did not finish in 2 s", out),
              "no port reset for the cancel")
        check(results, f"{tag}/no-io-errors", "I/O error" not in out, "a cancelled request was logged as failed")
        program_checks(results, tag, out, "t", ["diskpat/attach", "diskpat/verify", "diskpat/after-abandon"])
        neighbours_unchanged(results, tag, img, ["alpha"])
        return results
    return run


BLKDEBUG = """[inject-error]
event = "read_aio"
errno = "5"
sector = "{always}"
once = "off"

[inject-error]
event = "read_aio"
errno = "5"
sector = "{once}"
once = "on"
"""


def io_error_test():
    """QEMU's blkdebug fails reads of one sector always and of another
    once: the first ends, after the port was reset and the read retried,
    as IOERR in the guest (and the disk still works); the second succeeds
    on its retry. Never a hang."""
    def run():
        results = []
        tag = "sata/pc/io-errors"
        img = fresh_image(tag)
        conf = os.path.join(TESTDIR, "sata-blkdebug.conf")
        first = LAYOUT[0][1]
        with open(conf, "w") as f:
            f.write(BLKDEBUG.format(always=first + 100, once=first + 200))
        b = boot_sata("pc", img, [("t", "sata0:alpha", f"test=diskpat sectors={PART_SECTORS} count=64 "
                                   f"verify=0x{SEED_IMAGE:x} ioerr=100 retried=200")], blkdebug=conf)
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        program_checks(results, tag, out, "t", ["diskpat/verify", "diskpat/ioerr", "diskpat/after-ioerr",
                                                "diskpat/retried"])
        resets = len(re.findall(r"sata0: port error \(the device reported an error\).*; resetting the port", out))
        check(results, f"{tag}/ports-reset", resets == 4, f"{resets} resets (3 for the bad sector, 1 for the other)")
        check(results, f"{tag}/io-error-logged",
              re.search(rf"error: sata0: read of 1 sectors at LBA {first + 100} failed 3 times; I/O error", out),
              "no I/O error line")
        return results
    return run


def hostile_test():
    """device/M/vring-hostile with both guests' disks on SATA partitions:
    hand-made broken rings stop the SATA-backed block device (and the
    console and net) and it recovers; the neighbour runs test=block."""
    def run():
        import device_tests as dt
        results = []
        tag = "sata/pc/vring-hostile"
        img = fresh_image(tag)
        # "guests" once both have stopped for good (b restarts once: "0 running" alone may come too early)
        both = r"(?s)\A(?=.*guest h: stopped)(?=.*guest b: stopped \(powered off\))"
        send = [(r"\[h\] VRING console readable-for-writable", b"stimulus\r"), (both, b"guests\r")]

        def listed(text):
            return re.search(r"(?m)^h\s+stopped", text) and re.search(r"(?m)^b\s+stopped", text)

        mods = [f"{cases.GUEST_ELF} kernel name=h mem=16M disk=sata0:alpha -- test=vring_hostile",
                f"{cases.GUEST_ELF} kernel name=b mem=16M disk=sata0:beta -- test=block sectors={PART_SECTORS} "
                f"id=lgvisor:b"]
        b = boot(until=listed, timeout=500, machine="pc", kernel=ELF, append="console=com1", initrd=",".join(mods),
                 send=send, extra=drive_args("pc", img))
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        program_checks(results, f"{tag}/h", out, "h", dt.HOSTILE_EXPECT)
        dt.hostile_log_checks(results, tag, out)
        dt.block_checks(results, f"{tag}/b", out, "b", False)
        no_broken_device(results, tag, out, ["b"])
        neighbours_unchanged(results, tag, img, ["alpha", "beta"])
        return results
    return run


def tests():
    return [("sata/pc/block", block_test("pc")), ("sata/q35/block", block_test("q35")),
            ("sata/pc/power-cycle", power_cycle_test()), ("sata/q35/two-guests-smp", two_guests_test()),
            ("sata/pc/io-errors", io_error_test()), ("sata/pc/abandon", abandon_test()),
            ("sata/pc/vring-hostile", hostile_test())]
