"""Virtio device tests: lgtest guests (guest/tests/console.c, block.c,
vring_hostile.c, guest/shell.c) driving lgvisor's console and block
devices, on QEMU pc and q35.

  device/M/console        test=console: output through virtio TX (several
                          lines in one buffer, a buffer in segments, more
                          buffers than the ring holds), input typed into
                          the serial port (before and after the driver
                          attached) echoed back as ECHO lines, in order
  device/M/console-focus  two console guests: the first typed line goes to
                          a (default focus), Ctrl-] moves it to b, Ctrl-]
                          again to the monitor, which lists both guests
  device/M/block          test=block on a 4 MiB image made here with a known
                          pattern: config, GET_ID, the image read back, the
                          whole disk rewritten in several request shapes and
                          compared, queue depth, error statuses, FLUSH, then
                          a restart and the data checked again
  device/M/block-plain    the same with virtio=plain (no INDIRECT/EVENT_IDX)
  device/M/vring-hostile  test=vring_hostile breaks console, block and net
                          with hand-made rings (each case: the host's log
                          line, the guest's PASS for "broken" and for
                          "recovers"), next to a guest doing test=block on
                          its own disk, which must pass; the monitor still
                          answers afterwards
  device/M/shell          test=shell: commands typed at the lgtest$ prompt,
                          a sector written, the guest rebooted from the
                          shell, the sector read again, power off
"""
import os
import sys
import re
import threading
from array import array

import guest_cases as cases
from boot_tests import ELF, TESTDIR, check
from guest_tests import ALL_STOPPED, MACHINES, guest_lines, program_checks, stopped_reason
from qemu import boot

# The disk image: word j of sector s is pat(s, j, SEED_IMAGE), as
# guest/tests/block.c computes it.
SECTORS = 8192
SEED_IMAGE = 0x1D15C000
IMAGE = os.path.join(TESTDIR, "device-disk.img")
_image_lock = threading.Lock()


def pat(s, j, seed):
    return ((s * 2654435761) ^ (j * 2246822519) ^ seed) & 0xFFFFFFFF


def disk_image():
    """Makes IMAGE once per run (tests run in threads)."""
    with _image_lock:
        if os.path.exists(IMAGE) and os.path.getsize(IMAGE) == SECTORS * 512:
            return IMAGE
        os.makedirs(TESTDIR, exist_ok=True)
        cols = [(j * 2246822519) & 0xFFFFFFFF for j in range(128)]
        words = array("I")
        for s in range(SECTORS):
            row = ((s * 2654435761) ^ SEED_IMAGE) & 0xFFFFFFFF
            words.extend(row ^ c for c in cols)
        if words.itemsize != 4:
            raise RuntimeError("array('I') is not 32-bit here")
        if sys.byteorder != "little":
            words.byteswap()
        tmp = IMAGE + ".tmp"
        with open(tmp, "wb") as f:
            words.tofile(f)
        os.replace(tmp, IMAGE)
        return IMAGE


def boot_devices(guests, disks=(), until=ALL_STOPPED, timeout=300, machine="pc", send=None):
    """guests: [(name, mem, args[, module options])]; disks: names that get
    a copy of the image as `disk name=NAME`."""
    mods = [f"{cases.GUEST_ELF} kernel name={g[0]} mem={g[1]} {g[3] if len(g) > 3 else ''} -- {g[2]}"
            for g in guests]
    if disks:
        image = disk_image()
        mods += [f"{image} disk name={d}" for d in disks]
    return boot(until=until, timeout=timeout, machine=machine, kernel=ELF, append="console=com1",
                initrd=",".join(mods), send=send)


def save_log(tag, out):
    """The whole serial output, for people: build/test/device-*.log."""
    os.makedirs(TESTDIR, exist_ok=True)
    with open(os.path.join(TESTDIR, tag.replace("/", "-") + ".log"), "w") as f:
        f.write(out)


def lines_of(out, name, prefix):
    return [ln.rstrip("\n") for ln in guest_lines(out, name) if ln.startswith(prefix)]


def no_broken_device(results, tag, out, names):
    for n in names:
        m = re.search(rf"guest {re.escape(n)}: virtio .*device stopped until reset.*$", out, re.M)
        check(results, f"{tag}/{n}/no-broken-device", not m, m.group(0) if m else "")


# ---- console ----

CONSOLE_EXPECT = ["console/bus-scan", "console/device", "console/attach", "console/features",
                  "console/tx-virtio", "console/tx-multiline", "console/tx-segments",
                  "console/tx-ring-wrap", "console/rx", "console/rx-nothing-dropped",
                  "console/no-notify-after-attach"]
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TYPED = ["early bird", "hello virtio", "  spaced   words  ", "x" * 150]
# "early bird" goes in while the guest waits 1 s before attaching its
# driver: the host must keep it until RX buffers come
CONSOLE_SEND = [(r"\[c\] console: attaching in 1 s", b"early bird\r"),
                (r"\[c\] READY console", b"hello virtio\r"),
                (r"\[c\] ECHO hello virtio", TYPED[2].encode() + b"\r"),
                (r"\[c\] ECHO   spaced", TYPED[3].encode() + b"\r"),
                (r"\[c\] ECHO x{150}", b"done\r")]


def console_test(machine):
    def run():
        results = []
        tag = f"device/{machine}/console"
        send = CONSOLE_SEND
        b = boot_devices([("c", "16M", "test=console")], machine=machine, timeout=180, send=send)
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        program_checks(results, tag, out, "c", CONSOLE_EXPECT)
        echoes = [ln[5:] for ln in lines_of(out, "c", "ECHO ")]
        check(results, f"{tag}/echo", echoes == TYPED, f"echoed {echoes}, typed {TYPED}")
        want = [f"TXLINE {i} of 10: {ALPHABET[:i * 4]}" for i in range(10)]
        got = [ln.rstrip() for ln in lines_of(out, "c", "TXLINE ")]
        check(results, f"{tag}/tx-multiline-lines", got == [w.rstrip() for w in want], f"got {got}")
        check(results, f"{tag}/tx-segments-joined", "SEGS one two three" in lines_of(out, "c", "SEGS"),
              f"got {lines_of(out, 'c', 'SEGS')}")
        want = [f"WRAP {i} " + "0123456789" * 4 for i in range(8)]
        got = lines_of(out, "c", "WRAP ")
        check(results, f"{tag}/tx-ring-wrap-lines", got == want, f"got {got}")
        no_broken_device(results, tag, out, ["c"])
        return results
    return run


def console_only_test(machine):
    """net=off and no disk: the console is still offered, alone (a 3.10
    guest without one jumps into freed memory at its first console write)."""
    def run():
        results = []
        tag = f"device/{machine}/console-only"
        send = CONSOLE_SEND
        b = boot_devices([("c", "16M", "test=console devices=1", "net=off")], machine=machine,
                         timeout=180, send=send)
        out = b.output
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        program_checks(results, tag, out, "c", CONSOLE_EXPECT + ["console/device-count"])
        return results
    return run


def console_focus_test(machine):
    def run():
        results = []
        tag = f"device/{machine}/console-focus"
        both_ready = r"(?s)(?=.*\[a\] READY console)(?=.*\[b\] READY console)"
        send = [(both_ready, b"to-a\r"),
                (r"\[a\] ECHO to-a", b"\x1dto-b\r"),
                (r"\[b\] ECHO to-b", b"\x1dguests\r")]

        def listed(text):
            return re.search(r"(?m)^a\s+running", text) and re.search(r"(?m)^b\s+running", text)

        b = boot_devices([("a", "16M", "test=console"), ("b", "16M", "test=console")], until=listed,
                         machine=machine, timeout=180, send=send)
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        a_echo, b_echo = lines_of(out, "a", "ECHO "), lines_of(out, "b", "ECHO ")
        check(results, f"{tag}/first-line-to-a", a_echo == ["ECHO to-a"], f"a echoed {a_echo}")
        check(results, f"{tag}/second-line-to-b-only", b_echo == ["ECHO to-b"], f"b echoed {b_echo}")
        check(results, f"{tag}/focus-moved", "-- console: guest b" in out, "no focus announcement for b")
        check(results, f"{tag}/monitor-lists-both", listed(out), "the monitor did not list a and b")
        for n in ("a", "b"):
            fails = [ln for ln in guest_lines(out, n) if ln.startswith("FAIL")]
            check(results, f"{tag}/{n}/no-fail", not fails, str(fails))
            check(results, f"{tag}/{n}/no-kill", stopped_reason(out, n) is None, stopped_reason(out, n))
        no_broken_device(results, tag, out, ["a", "b"])
        return results
    return run


# ---- block ----

BLOCK_PHASE1 = ["attach", "features", "capacity", "config", "get-id", "read-image", "used-len",
                "write-shapes", "readback", "queue-depth", "rolling", "past-end", "straddle-end",
                "straddle-write-untouched", "huge-sector", "unsupported", "wrong-direction",
                "still-works", "short-header", "flush", "marker-written"]
BLOCK_PHASE2 = ["marker-found", "persisted", "persisted-checksum"]
BLOCK_EXPECT = [f"block/{c}" for c in BLOCK_PHASE1 + BLOCK_PHASE2]


def block_args(name, plain=False):
    return f"test=block sectors={SECTORS} id=lgvisor:{name}" + (" virtio=plain" if plain else "")


def block_checks(results, tag, out, name, plain):
    program_checks(results, tag, out, name, BLOCK_EXPECT)
    check(results, f"{tag}/restarted", f"guest {name}: restarting: block phase 1 done" in out,
          "no restart after phase 1")
    banners = len(re.findall(rf"\[{name}\] {cases.BANNER}", out))
    check(results, f"{tag}/two-boots", banners == 2, f"{banners} banners")
    mode = "(chains, flags)" if plain else "(indirect, event index)"
    feats = lines_of(out, name, "block: features")
    check(results, f"{tag}/ring-mode", len(feats) == 2 and all(mode in f for f in feats),
          f"wanted {mode} in both boots: {feats}")


def block_test(machine, plain=False):
    def run():
        results = []
        tag = f"device/{machine}/block" + ("-plain" if plain else "")
        b = boot_devices([("t", "16M", block_args("t", plain))], disks=["t"], machine=machine,
                         timeout=400)
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        block_checks(results, tag, out, "t", plain)
        no_broken_device(results, tag, out, ["t"])
        return results
    return run


# ---- hostile vrings ----

HOSTILE_DEVICES = ["console", "block", "net"]
# case -> what the host's reason must mention (so the case tested what it
# meant to, not some other flaw of the ring)
HOSTILE_REASONS = {
    "desc-loop": r"descriptor loop",
    "next-out-of-range": r"next \d+ beyond",
    "head-out-of-range": r"avail entry names descriptor \d+",
    "indirect-nested": r"nested indirect",
    "indirect-oversized": r"indirect table of \d+ bytes",
    "indirect-outside-memory": r"indirect table.*0x0*40000000.*outside",
    "buffer-outside-memory": r"0x0*40000000\+\d+ outside",
    "addr-len-wrap-32": r"0x0*fffff000\+8192 outside",
    "addr-len-wrap-64": r"0xfffffffffffff000\+8192 outside",
    "huge-length": r"\+4294967040 outside",
    "avail-idx-jump": r"avail index moved from \d+ to \d+",
    "readable-after-writable": r"readable buffer after a writable",
    "readable-for-writable": r".",
    "kick-before-start": r"before the device was started",
}
HOSTILE_CASES = list(HOSTILE_REASONS)
HOSTILE_EXPECT = (["vring/devices"]
                  + [f"vring/{d}/{x}" for d in HOSTILE_DEVICES for x in ("works", "kick-while-broken")]
                  + [f"vring/{d}/{c}{s}" for d in HOSTILE_DEVICES for c in HOSTILE_CASES
                     for s in ("", "/recovers")])


def hostile_log_checks(results, tag, out):
    """Each VRING marker line must be followed, before the next one, by the
    host's line about that device."""
    marks = list(re.finditer(r"(?m)\[h\] VRING (\S+) (\S+)\s*$", out))
    seen = {(m.group(1), m.group(2)) for m in marks}
    for dev in HOSTILE_DEVICES:
        for case in HOSTILE_CASES:
            check(results, f"{tag}/started/{dev}/{case}", (dev, case) in seen, "the case never started")
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(out)
        seg = out[m.end():end]
        log = re.search(rf"(?m)guest h: virtio {re.escape(m.group(1))}: (.*); device stopped until reset$", seg)
        want = HOSTILE_REASONS.get(m.group(2), ".")
        check(results, f"{tag}/log/{m.group(1)}/{m.group(2)}", log and re.search(want, log.group(1)),
              f"wanted 'guest h: virtio {m.group(1)}: <{want}>; device stopped until reset', got "
              + (f"'{log.group(0)}'" if log else "no such line"))


def hostile_test(machine):
    def run():
        results = []
        tag = f"device/{machine}/vring-hostile"
        # the console case needs input waiting for its (readable) RX buffer:
        # h is the first guest, so it has the focus
        send = [(r"\[h\] VRING console readable-for-writable", b"stimulus\r"),
                (ALL_STOPPED, b"guests\r")]

        def listed(text):
            return re.search(r"(?m)^h\s+stopped", text) and re.search(r"(?m)^b\s+stopped", text)

        b = boot_devices([("h", "16M", "test=vring_hostile"), ("b", "16M", block_args("b"))],
                         disks=["h", "b"], until=listed, machine=machine, timeout=500, send=send)
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        program_checks(results, f"{tag}/h", out, "h", HOSTILE_EXPECT)
        hostile_log_checks(results, tag, out)
        block_checks(results, f"{tag}/b", out, "b", False)
        no_broken_device(results, f"{tag}", out, ["b"])
        check(results, f"{tag}/hypervisor-alive", listed(out), "the monitor did not list h and b at the end")
        return results
    return run


# ---- shell ----

SHELL_COMMANDS = ["help", "devices", "mem", "disk", "dread", "dwrite", "echo", "uptime", "poweroff",
                  "reboot"]


def shell_test(machine):
    def run():
        results = []
        tag = f"device/{machine}/shell"
        s = r"\[s\] "
        send = [(s + r"lgtest shell: ", b"help\r"),
                (s + r"\s+reboot\s+restart the guest", b"devices\r"),
                (s + r"\d+ device\(s\)", b"mem\r"),
                (s + r"mem: RAM", b"disk\r"),
                (s + r"disk: ", b"dwrite 5 hello from the shell\r"),
                (s + r"dwrite 5: ", b"dread 5\r"),
                (s + r"text: ", b"echo one two  three\r"),
                (s + r"one two  three", b"uptime\r"),
                (s + r"uptime \d", b"nosuch arg\r"),
                (r"unknown command 'nosuch'", b"reboot\r"),
                (rf"(?s)lgtest shell: .*{s}lgtest shell: ", b"dread 5\r"),
                (rf"(?s)text: .*{s}text: ", b"poweroff\r")]
        b = boot_devices([("s", "16M", "test=shell")], disks=["s"], machine=machine, timeout=240, send=send)
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        lines = guest_lines(out, "s")
        check(results, f"{tag}/prompt", re.search(r"\[s\] lgtest\$ help", out), "no 'lgtest$ help' line")
        helped = [c for c in SHELL_COMMANDS if not any(re.match(rf"\s+{c}\b", ln) for ln in lines)]
        check(results, f"{tag}/help", not helped, f"not in help: {helped}")
        devs = [ln for ln in lines if re.match(r"\d+: \S+ at 0x", ln)]
        types = [ln.split()[1] for ln in devs]
        check(results, f"{tag}/devices", types == ["net", "block", "console"], f"devices: {devs}")
        check(results, f"{tag}/mem", any(re.match(r"mem: RAM 16384 KiB, \d+ KiB free", ln) for ln in lines),
              "no mem line for 16 MiB")
        want = f"disk: {SECTORS} sectors ({SECTORS // 2} KiB), seg_max 254, id 'lgvisor:s' (OK)"
        check(results, f"{tag}/disk", want in lines, f"wanted '{want}'")
        check(results, f"{tag}/dwrite", "dwrite 5: 20 bytes, OK" in lines, "no 'dwrite 5: 20 bytes, OK'")
        texts = [ln for ln in lines if ln.startswith("text: ")]
        check(results, f"{tag}/dread", texts[:1] == ["text: 'hello from the shell'"], f"got {texts}")
        check(results, f"{tag}/dread-hex", "0000: 68 65 6c 6c 6f 20 66 72 6f 6d 20 74 68 65 20 73 |hello from the s|"
              in lines, "no hex dump line")
        check(results, f"{tag}/echo", "one two  three" in lines, "no echo output")
        check(results, f"{tag}/uptime", any(re.match(r"uptime \d+\.\d{3} s$", ln) for ln in lines), "no uptime")
        check(results, f"{tag}/unknown", "unknown command 'nosuch' (try help)" in lines, "no error for nosuch")
        check(results, f"{tag}/reboot", "guest s: restarting: reboot" in out, "no restart")
        check(results, f"{tag}/persisted", texts[1:2] == ["text: 'hello from the shell'"],
              f"after the reboot: {texts[1:]}")
        check(results, f"{tag}/poweroff", "guest s: power off: poweroff" in out, "no power off")
        check(results, f"{tag}/no-fail", not [ln for ln in lines if ln.startswith("FAIL")], "")
        no_broken_device(results, tag, out, ["s"])
        return results
    return run


# ---- entropy ----

RNG_EXPECT = ["rng/device", "rng/attach", "rng/filled", "rng/differs", "rng/capped", "rng/balanced",
              "rng/readable-refused", "rng/recovers"]


def rng_test(machine):
    """virtio-rng with rng=on: bytes that differ, capped requests, a
    readable buffer refused; the neighbour without rng=on has no such
    device (the shell test checks the default device list)."""
    def run():
        results = []
        tag = f"device/{machine}/rng"
        b = boot_devices([("r", "16M", "test=rng", "rng=on"), ("n", "16M", "test=hello")], machine=machine,
                         timeout=180)
        out = b.output
        save_log(tag, out)
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        program_checks(results, tag, out, "r", RNG_EXPECT)
        check(results, f"{tag}/source-logged", re.search(r"entropy: (RDSEED|RDRAND|ChaCha20 DRBG) for guests", out),
              "no entropy line in the boot log")
        check(results, f"{tag}/refusal-logged", "guest r: virtio entropy: entropy request with a buffer the host "
              "would read; device stopped until reset" in out, out[-1500:])
        check(results, f"{tag}/neighbour-without", not [ln for ln in lines_of(out, "n", "virtio: entropy")],
              "a guest without rng=on got an entropy device")
        return results
    return run


def tests():
    out = []
    for m in MACHINES:
        out += [(f"device/{m}/console", console_test(m)),
                (f"device/{m}/console-focus", console_focus_test(m)),
                (f"device/{m}/console-only", console_only_test(m)),
                (f"device/{m}/block", block_test(m)),
                (f"device/{m}/block-plain", block_test(m, plain=True)),
                (f"device/{m}/vring-hostile", hostile_test(m)),
                (f"device/{m}/shell", shell_test(m)),
                (f"device/{m}/rng", rng_test(m))]
    return out
