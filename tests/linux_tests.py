#!/usr/bin/env python3
"""Opt-in tests with a real Linux 3.10 lguest guest (not part of `make test`:
the project ships no Linux kernel). Usage:

    make test-linux LINUX=vmlinux INITRD=initramfs.cpio.gz [DISK=root.ext2] [PLAIN=kernel...]
    tests/linux_tests.py --linux vmlinux --initrd initramfs.cpio.gz [--disk root.ext2]
                         [--plain kernel ...] [NAME ...]      (only tests whose names contain NAME)

lgvisor boots under QEMU (TCG) with the kernel as a multiboot module; the
tests type into the serial console (the focused guest gets the input, Ctrl-]
or the monitor's `focus` moves it) and read the `[name] ` tagged lines.
What the images must provide (the recipe of /work/linux/rootfs-src does):
the initramfs and the disk (ext2 root on /dev/vda) each start a busybox
shell on /dev/hvc0 with md5sum, dd, ifconfig, ping, tftp, nc, time, dmesg.
PLAIN names kernels that are NOT lguest guests (e.g. an i386 allnoconfig
vmlinux): the hypervisor must refuse them with a message that says so.

Checks: boot to a shell with the whole boot log tagged (and the time to the
first userspace line); the disk: a file survives `reboot -f`, `poweroff -f`
stops only that guest; root on an AHCI partition (disk=sata0:root, QEMU's
ahci with a GPT image made from DISK): files survive a restart of QEMU,
e2fsck -n is clean, the neighbour partition is untouched; the network: virtio-net, ARP, pings both ways and a
TFTP (UDP) transfer each way against tests/netpeer.py on `-netdev dgram`,
TCP through QEMU's user network (hostfwd on 127.0.0.1), 64 MiB there and
back with and without the hypervisor's offloads (net_offload=off); time: `time sleep
5` and /proc/uptime against the host clock, QEMU's CPU use with two idle
guests and with a busy one; several guests (two Linux guests and an lgtest
guest) on the switch; a panic, a fork bomb and a memory hog in one guest
while others keep working; kernels that are not lguest guests.

Prints PASS/FAIL lines (INFO lines for measured figures) and ends with
`N passed, N failed`; exits 1 if anything failed, 2 without a kernel.
Console logs of every boot go to build/test/linux/."""
import argparse
import bisect
import hashlib
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boot_tests import ELF, TESTDIR  # noqa: E402
from guest_tests import program_checks  # noqa: E402
import guest_cases  # noqa: E402
from netpeer import PEER_IP, Peer, free_udp_port, mac_str  # noqa: E402
from qemu import qemu_command  # noqa: E402

LOGDIR = os.path.join(TESTDIR, "linux")
LGTEST = guest_cases.GUEST_ELF
FOCUS_KEY = b"\x1d"
PRINTK = re.compile(r"^\[\s*\d+\.\d+(?:/\d+)?\] ")
CONSOLE = "console=hvc0"
IMAGES = {}                 # linux, initrd, disk, plain: set by main()
RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append((name, bool(ok), detail))
    print(f"PASS {name}" if ok else f"FAIL {name}: {detail}")
    sys.stdout.flush()
    return bool(ok)


def info(name, text):
    print(f"INFO {name}: {text}")
    sys.stdout.flush()


def disk_copy(name):
    """A fresh copy of the disk image (the guest writes to it)."""
    os.makedirs(LOGDIR, exist_ok=True)
    path = os.path.join(LOGDIR, f"{name}.img")
    shutil.copyfile(IMAGES["disk"], path)
    return path


class Guest:
    def __init__(self, name, args="", mem="64M", kernel=None, initrd=None, disk=None, opts=""):
        self.name, self.args, self.mem, self.opts = name, args, mem, opts
        self.kernel = kernel or IMAGES["linux"]
        self.initrd, self.disk = initrd, disk

    def modules(self):
        # QEMU splits -initrd at commas; a literal one is written ",,"
        line = f"{self.kernel} kernel name={self.name} mem={self.mem} {self.opts} -- {self.args}"
        mods = [line.replace(",", ",,")]
        if self.initrd:
            mods.append(f"{self.initrd} initrd name={self.name}")
        if self.disk:
            mods.append(f"{self.disk} disk name={self.name}")
        return mods


class Qemu:
    """lgvisor with guests under QEMU; the console output so far (latin-1,
    so that string offsets are byte offsets) with the host time each byte
    arrived, and typing into the serial port."""

    def __init__(self, tag, guests, mem="256M", netdev=None, append="console=com1", extra=()):
        self.tag, self.guests = tag, guests
        mods = ",".join(m for g in guests for m in g.modules())
        extra = (["-device", "e1000,netdev=n0", "-netdev", netdev] if netdev else []) + list(extra)
        cmd = qemu_command(kernel=ELF, append=append, initrd=mods, mem=mem, e1000=not netdev, extra=extra)
        self.data = bytearray()
        self.offsets, self.stamps = [], []
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()
        self.counter = 0

    def _reader(self):
        while True:
            chunk = self.proc.stdout.read1(65536)
            if not chunk:
                return
            with self.lock:
                self.offsets.append(len(self.data))
                self.stamps.append(time.monotonic())
                self.data += chunk

    @property
    def text(self):
        with self.lock:
            return self.data.decode("latin-1")

    def time_at(self, pos):
        """Host time at which the byte at pos arrived."""
        with self.lock:
            i = bisect.bisect_right(self.offsets, pos) - 1
            return self.stamps[max(i, 0)] if self.stamps else self.t0

    def alive(self):
        return self.proc.poll() is None

    def wait(self, pattern, timeout, start=0):
        """The first match of pattern at or after offset start, or None."""
        rx = re.compile(pattern, re.M)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.text, start)
            if m or time.monotonic() > end or not self.alive():
                return m or rx.search(self.text, start)
            time.sleep(0.05)

    def send(self, data):
        if self.alive():
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                pass

    def focused(self):
        found = re.findall(r"-- console: (?:guest (\S+)|lgvisor monitor) \(Ctrl-\] switches\) --", self.text)
        return found[-1] if found else None

    def focus(self, name):
        """Moves the console focus to guest name ("" = the monitor)."""
        for _ in range(len(self.guests) + 2):
            cur = self.focused()
            if cur == name:
                return True
            pos = len(self.data)
            if cur == "" and name:
                self.send(f"focus {name}\r".encode())
            else:
                self.send(FOCUS_KEY)
            self.wait(r"-- console: (guest \S+|lgvisor monitor) \(Ctrl-\] switches\) --", 10, pos)
        return self.focused() == name

    def monitor(self, command, answer, timeout=10):
        """Types a monitor command; the match of answer, or None."""
        if not self.focus(""):
            return None
        pos = len(self.data)
        self.send(command.encode() + b"\r")
        return self.wait(answer, timeout, pos)

    def close(self):
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        self.thread.join(timeout=2)
        os.makedirs(LOGDIR, exist_ok=True)
        with open(os.path.join(LOGDIR, f"{self.tag}.log"), "w") as f:
            f.write(self.text.replace("\r\n", "\n"))

    def cpu_seconds(self):
        """User + system CPU time of the QEMU process so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Shell:
    """A guest's shell on its console."""

    def __init__(self, q, name):
        self.q, self.name = q, name

    def lines(self, start=0, end=None):
        text = self.q.text[start:end]
        return [m.group(1).rstrip("\r") for m in re.finditer(rf"\[{re.escape(self.name)}\] (.*)$", text, re.M)]

    def ready(self, timeout=180):
        """Waits until the shell answers."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.q.alive():
            if not self.q.focus(self.name):
                time.sleep(1)
                continue
            pos = len(self.q.data)
            self.q.send(b'echo "@@RE""ADY"\r')
            if self.q.wait(rf"\[{self.name}\] @@READY", 3, pos):
                return self.run("true", 30)[0] == 0
        return False

    def run(self, cmd, timeout=60):
        """Runs cmd in the guest's shell: (exit status or None, output
        lines, host time the command took)."""
        if not self.q.focus(self.name):
            return None, [f"(could not focus {self.name})"], 0
        self.q.counter += 1
        n = self.q.counter
        sep = " " if cmd.rstrip().endswith("&") else "; "
        start = len(self.q.data)
        t0 = time.monotonic()
        self.q.send(f'{cmd}{sep}echo "@@E""ND{n} rc=$?"\r'.encode())
        m = self.q.wait(rf"\[{re.escape(self.name)}\] @@END{n} rc=(\d+)", timeout, start)
        took = (self.q.time_at(m.start()) if m else time.monotonic()) - t0
        out = [ln for ln in self.lines(start, m.start() if m else None) if '@@E""ND' not in ln]
        return (int(m.group(1)) if m else None), out, took

    def ok(self, name, cmd, timeout=60, want=None):
        """run() as a check: exit status 0 and, if want, a line matching it."""
        rc, out, _ = self.run(cmd, timeout)
        hit = next((re.search(want, ln) for ln in out if re.search(want, ln)), None) if want else True
        check(name, rc == 0 and hit, f"`{cmd}`: status {rc}, output {out[-6:]}")
        return hit if rc == 0 else None


def stopped(q, name):
    m = re.search(rf"guest {re.escape(name)}: stopped: (.*)$", q.text, re.M)
    return m.group(1).strip() if m else None


def common_end(tag, q, names):
    """No guest killed, no device marked broken, the hypervisor answers."""
    text = q.text
    for n in names:
        r = stopped(q, n)
        check(f"{tag}/{n}/not-killed", r is None, f"stopped: {r}")
    bad = re.findall(r"(?m)^.*virtio.*device stopped until reset.*$", text)
    check(f"{tag}/no-broken-device", not bad, str(bad[:3]))
    fault = re.search(r"(?m)^\[\s*[\d.]+\] error: (hypervisor fault|panic:).*$", text)
    check(f"{tag}/hypervisor-ok", q.alive() and not fault, fault.group(0) if fault else "QEMU exited")


def guests_line(q, name):
    m = q.monitor("guests", rf"^{re.escape(name)}\s+(running|stopped)[^\n]*")
    return m.group(0).strip() if m else None


def parse_ping(lines):
    """busybox ping summary: (transmitted, received, (min, avg, max) ms or None)."""
    tx = rx = 0
    rtt = None
    for ln in lines:
        m = re.search(r"(\d+) packets transmitted, (\d+) packets received", ln)
        if m:
            tx, rx = int(m.group(1)), int(m.group(2))
        m = re.search(r"min/avg/max = ([\d.]+)/([\d.]+)/([\d.]+) ms", ln)
        if m:
            rtt = tuple(float(x) for x in m.group(1, 2, 3))
    return tx, rx, rtt


def ping_check(tag, sh, dst, count=5, extra=""):
    rc, out, _ = sh.run(f"ping -c {count} {extra} {dst}".replace("  ", " "), 30 + 3 * count)
    tx, rx, rtt = parse_ping(out)
    check(tag, rc == 0 and tx == count and rx == count, f"{rx}/{tx} replies, status {rc}: {out[-3:]}")
    if rtt:
        info(tag, f"{sh.name} -> {dst}: {rx}/{tx}, rtt min/avg/max {rtt[0]:.2f}/{rtt[1]:.2f}/{rtt[2]:.2f} ms")
    return rtt


# ---------------------------------------------------------------------------
# 1. boot to userspace with the initramfs

def test_boot():
    tag = "linux/boot"
    q = Qemu("boot", [Guest("lx", f"{CONSOLE} rdinit=/init", initrd=IMAGES["initrd"])])
    sh = Shell(q, "lx")
    try:
        up = sh.ready(180)
        check(f"{tag}/shell", up, "no answer from the shell on hvc0: " + q.text[-1500:])
        if not up:
            return
        text = q.text
        banner = re.search(r"lgvisor \S+: a type-1 hypervisor", text)
        # the kernel's log: tagged from its first line to the shell
        focus = text.find("-- console: guest lx")
        first_user = None
        kernel_lines = untagged = 0
        bad = []
        freed = False
        for m in re.finditer(r"^(.*)$", text[focus:], re.M):
            ln = m.group(1).rstrip("\r")
            if not ln or ln.startswith("-- console"):
                continue
            if not ln.startswith("[lx] "):
                if not re.match(r"^\[\s*\d+\.\d+(?:/\d+)?\] guest lx: ", ln):   # the hypervisor's own lines
                    untagged += 1
                    bad.append(ln)
                continue
            body = ln[5:]
            if body.startswith("@@READY"):
                break
            if '@@RE""ADY' in body:         # our own typing, echoed
                continue
            if PRINTK.match(body):
                kernel_lines += 1
                freed = freed or "Freeing unused kernel memory" in body
            elif freed and first_user is None and body.strip():
                first_user = (focus + m.start(), body)
        check(f"{tag}/log-tagged", kernel_lines >= 50 and not untagged,
              f"{kernel_lines} tagged kernel lines, {untagged} untagged: {bad[:3]}")
        check(f"{tag}/linux-version", re.search(r"(?m)^\[lx\] \[\s*[\d.]+\] Linux version 3\.10", text),
              "no tagged 'Linux version 3.10' line")
        check(f"{tag}/userspace", first_user, "no userspace line after 'Freeing unused kernel memory'")
        if banner and first_user:
            t = q.time_at(first_user[0]) - q.time_at(banner.start())
            tq = q.time_at(first_user[0]) - q.t0
            info(f"{tag}/time", f"hypervisor banner -> first userspace line '{first_user[1][:40]}': "
                 f"{t:.2f} s (from QEMU start {tq:.2f} s)")
            check(f"{tag}/time-to-userspace", t < 60, f"{t:.1f} s")
        sh.ok(f"{tag}/input", "echo $((6*7)) $(uname -r)", want=r"^42 3\.10")
        sh.ok(f"{tag}/hvc0", "tty", want=r"/dev/hvc0")
        rc, out, _ = sh.run("dmesg | grep -E 'WARNING|BUG|Oops|spurious|nobody cared' | head -5")
        check(f"{tag}/dmesg-clean", rc == 0 and not out, f"{out}")
        common_end(tag, q, ["lx"])
    finally:
        q.close()


# ---------------------------------------------------------------------------
# 2. the disk: writes survive a reboot; poweroff stops only this guest

def test_block():
    tag = "linux/block"
    if not IMAGES["disk"]:
        print(f"SKIP {tag}: no DISK given")
        return
    disk = disk_copy("block")
    q = Qemu("block", [Guest("lx", f"{CONSOLE} root=/dev/vda rw", disk=disk),
                       Guest("other", "test=checksum loops=2000", mem="16M", kernel=LGTEST)])
    sh = Shell(q, "lx")
    try:
        if not check(f"{tag}/shell", sh.ready(180), "no shell: " + q.text[-1500:]):
            return
        sh.ok(f"{tag}/root-rw", "grep ' / ' /proc/mounts", want=r"^/dev/(root|vda) / ext2 rw")
        known = "".join(f"{i}\n" for i in range(1, 150001)).encode()      # about 1 MB
        want = hashlib.md5(known).hexdigest()
        rc, out, took = sh.run("seq 1 150000 > /root/known", 300)
        check(f"{tag}/write", rc == 0, f"status {rc}: {out[-3:]}")
        info(f"{tag}/write", f"{len(known)} bytes (seq 1 150000) written in {took:.1f} s")
        got = sh.ok(f"{tag}/md5-before", "md5sum /root/known", want=r"^([0-9a-f]{32}) ")
        check(f"{tag}/md5-content", got and got.group(1) == want,
              f"guest md5 {got.group(1) if got else None}, host {want}")
        rnd = sh.ok(f"{tag}/random", "dd if=/dev/urandom of=/root/rand bs=4k count=512 2>/dev/null && "
                    "md5sum /root/rand", want=r"^([0-9a-f]{32}) ")
        sh.ok(f"{tag}/sync", "sync")
        rc, out, took = sh.run("dd if=/dev/vda of=/dev/null bs=64k 2>&1 | tail -1", 300)
        if rc == 0:
            mib = os.path.getsize(IMAGES["disk"]) / (1 << 20)
            info(f"{tag}/read", f"all of /dev/vda ({mib:.0f} MiB) read in {took:.2f} s (host clock)")
        # reboot -f: the same guest again, the writes still there
        pos = len(q.data)
        q.send(b"reboot -f\r")
        check(f"{tag}/restarting", q.wait(r"guest lx: restarting", 60, pos), "no 'restarting' line")
        if not check(f"{tag}/rebooted", sh.ready(180) and q.wait(r"\[lx\] \[\s*[\d.]+\] Linux version", 1, pos),
                     "no second boot: " + q.text[-1500:]):
            return
        after = sh.ok(f"{tag}/md5-after-reboot", "md5sum /root/known", want=r"^([0-9a-f]{32}) ")
        check(f"{tag}/persisted", after and after.group(1) == want,
              f"after reboot {after.group(1) if after else None}, written {want}")
        if rnd:
            again = sh.ok(f"{tag}/random-after-reboot", "md5sum /root/rand", want=r"^([0-9a-f]{32}) ")
            check(f"{tag}/random-persisted", again and again.group(1) == rnd.group(1),
                  f"{again.group(1) if again else None} vs {rnd.group(1)}")
        # the image's init appends a line at each boot, if it keeps /var/bootlog
        rc, out, _ = sh.run("cat /var/bootlog 2>/dev/null | wc -l")
        if rc == 0 and out and out[-1].strip().isdigit() and int(out[-1]) > 0:
            check(f"{tag}/bootlog", int(out[-1]) == 2, f"/var/bootlog has {out[-1]} lines after 2 boots")
        # poweroff -f: only this guest stops
        pos = len(q.data)
        q.send(b"poweroff -f\r")
        m = q.wait(r"guest lx: (power off|stopped)[^\n]*", 60, pos)
        check(f"{tag}/poweroff", m and "power off" in m.group(0), m.group(0) if m else "no power-off line")
        line = guests_line(q, "lx")
        check(f"{tag}/monitor-after-poweroff", line and re.match(r"lx\s+stopped", line), f"guests: {line}")
        other = guests_line(q, "other")
        check(f"{tag}/other-guest-running", other and re.match(r"other\s+running", other) or
              q.wait(r"\[other\] DONE \d+ passed, 0 failed", 1), f"guests: {other}")
        check(f"{tag}/hypervisor-alive", q.alive() and q.monitor("uptime", r"uptime \d+\.\d+ s"),
              "the monitor did not answer 'uptime'")
    finally:
        q.close()


def sata_image(name, root_sectors):
    """A GPT disk for QEMU's AHCI: partition 1 "scratch" (1 MiB of a known
    pattern, a neighbour the guest must not touch), partition 2 "root" with
    the DISK image's ext2 file system in it. Returns (path, root's first
    sector, the neighbour's md5)."""
    import mkgpt
    path = os.path.join(LOGDIR, f"{name}.img")
    scratch_first, scratch_n = 2048, 2048
    root_first = scratch_first + scratch_n
    fill = lambda s: bytes([(s * 7 + i) & 0xFF for i in range(8)]) * 64
    mkgpt.write_image(path, root_first + root_sectors + 2048,
                      [("scratch", scratch_first, scratch_n, fill), ("root", root_first, root_sectors, None)])
    with open(IMAGES["disk"], "rb") as src, open(path, "r+b") as dst:
        dst.seek(root_first * 512)
        shutil.copyfileobj(src, dst)
    return path, root_first, partition_md5(path, scratch_first, scratch_n)


def partition_md5(path, first, sectors):
    with open(path, "rb") as f:
        f.seek(first * 512)
        return hashlib.md5(f.read(sectors * 512)).hexdigest()


def partition_fsck(path, first, sectors):
    """e2fsck -n of the partition (copied out: e2fsck wants a whole device)."""
    part = path + ".root"
    with open(path, "rb") as src, open(part, "wb") as dst:
        src.seek(first * 512)
        dst.write(src.read(sectors * 512))
    r = subprocess.run(["e2fsck", "-n", "-f", part], capture_output=True, text=True)
    os.unlink(part)
    return r.returncode, (r.stdout + r.stderr).strip().splitlines()


def test_sata_root():
    """Root on a GPT partition of an AHCI disk (disk=sata0:root): files
    written survive a full power cycle of the machine (QEMU restarted), the
    file system is clean by e2fsck -n afterwards, the neighbour partition is
    untouched."""
    tag = "linux/sata-root"
    if not IMAGES["disk"]:
        print(f"SKIP {tag}: no DISK given")
        return
    if not shutil.which("e2fsck"):
        print(f"SKIP {tag}: no e2fsck (apt-get install e2fsprogs)")
        return
    import sata_tests
    sectors = (os.path.getsize(IMAGES["disk"]) + 511) // 512
    img, first, neighbour = sata_image("sata-root", sectors)
    guests = [Guest("lx", f"{CONSOLE} root=/dev/vda rw", opts="disk=sata0:root")]
    stamp = f"{random.getrandbits(64):016x}"
    q = Qemu("sata-root-1", guests, extra=sata_tests.drive_args("pc", img))
    sh = Shell(q, "lx")
    try:
        if not check(f"{tag}/shell", sh.ready(240), "no shell: " + q.text[-1500:]):
            return
        check(f"{tag}/on-sata", q.wait(r"guest lx: disk sata0p2 'root'", 1), "no boot-log line naming the partition")
        sh.ok(f"{tag}/root-rw", "grep ' / ' /proc/mounts", want=r"^/dev/(root|vda) / ext2 rw")
        rc, out, took = sh.run(f"echo {stamp} > /root/stamp && seq 1 100000 > /root/known && "
                               "dd if=/dev/urandom of=/root/rand bs=4k count=256 2>/dev/null && sync", 300)
        check(f"{tag}/write", rc == 0, f"status {rc}: {out[-3:]}")
        known = hashlib.md5("".join(f"{i}\n" for i in range(1, 100001)).encode()).hexdigest()
        rnd = sh.ok(f"{tag}/md5-before", "md5sum /root/rand", want=r"^([0-9a-f]{32}) ")
        pos = len(q.data)
        q.send(b"poweroff -f\r")
        check(f"{tag}/poweroff", q.wait(r"guest lx: power off", 60, pos), "no power-off line")
    finally:
        q.close()
    # the machine again, from cold: a new QEMU process on the same disk image
    q = Qemu("sata-root-2", guests, extra=sata_tests.drive_args("pc", img))
    sh = Shell(q, "lx")
    try:
        if not check(f"{tag}/shell-after-power-cycle", sh.ready(240), "no shell: " + q.text[-1500:]):
            return
        sh.ok(f"{tag}/stamp-persisted", "cat /root/stamp", want=rf"^{stamp}$")
        got = sh.ok(f"{tag}/known-persisted", "md5sum /root/known", want=r"^([0-9a-f]{32}) ")
        check(f"{tag}/known-content", got and got.group(1) == known, f"{got and got.group(1)} vs {known}")
        if rnd:
            again = sh.ok(f"{tag}/random-persisted", "md5sum /root/rand", want=r"^([0-9a-f]{32}) ")
            check(f"{tag}/random-content", again and again.group(1) == rnd.group(1),
                  f"{again and again.group(1)} vs {rnd.group(1)}")
        pos = len(q.data)
        q.send(b"sync; poweroff -f\r")
        check(f"{tag}/poweroff-2", q.wait(r"guest lx: power off", 60, pos), "no power-off line")
    finally:
        q.close()
    rc, out = partition_fsck(img, first, sectors)
    check(f"{tag}/e2fsck-clean", rc == 0, f"e2fsck -n exit {rc}: {out[-5:]}")
    check(f"{tag}/neighbour-untouched", partition_md5(img, 2048, 2048) == neighbour,
          "the scratch partition changed")


# ---------------------------------------------------------------------------
# 3. the network

class Tftp:
    """A TFTP server (RFC 1350, 512-byte blocks, lock-step) on a Peer, for
    the guest's busybox tftp client: UDP both ways with contents checked."""

    def __init__(self, peer, files):
        self.peer, self.files, self.uploads = peer, files, {}
        self.errors = []
        self.retries = 0
        self.stop = False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        xfers = {}              # (ip, port) -> state
        next_tid = 40000
        while not self.stop:
            try:
                src, sport, dport, data, smac = self.peer.udp.get(timeout=0.2)
            except Exception:
                data = None
            now = time.monotonic()
            for key, x in list(xfers.items()):       # retransmit after 1 s
                if not x["done"] and now - x["sent_at"] > 1.0:
                    x["retries"] += 1
                    self.retries += 1
                    x["sent_at"] = now
                    self.peer.send_udp(key[0], x["tid"], key[1], x["last"])
            if data is None or len(data) < 4:
                continue
            op = struct.unpack("!H", data[:2])[0]
            key = (src, sport)
            if dport == 69 and op in (1, 2):
                name = data[2:].split(b"\0")[0].decode("latin-1")
                x = {"tid": next_tid, "done": False, "retries": 0, "name": name, "block": 0}
                next_tid += 1
                xfers[key] = x
                if op == 1:
                    if name not in self.files:
                        self.peer.send_udp(src, x["tid"], sport, struct.pack("!HH", 5, 1) + b"no file\0")
                        x["done"] = True
                        continue
                    x.update(mode="r", content=self.files[name], block=1)
                    x["last"] = struct.pack("!HH", 3, 1) + x["content"][:512]
                else:
                    x.update(mode="w", buf=bytearray())
                    x["last"] = struct.pack("!HH", 4, 0)
                x["sent_at"] = now
                self.peer.send_udp(src, x["tid"], sport, x["last"])
                continue
            x = xfers.get(key)
            if not x or dport != x["tid"] or x["done"] and x["mode"] == "r":
                continue
            blk = struct.unpack("!H", data[2:4])[0]
            if x["mode"] == "r" and op == 4 and blk == x["block"] & 0xFFFF:
                if len(x["last"]) - 4 < 512:
                    x["done"] = True
                    continue
                x["block"] += 1
                off = (x["block"] - 1) * 512
                x["last"] = struct.pack("!HH", 3, x["block"] & 0xFFFF) + x["content"][off:off + 512]
                x["sent_at"] = now
                self.peer.send_udp(src, x["tid"], sport, x["last"])
            elif x["mode"] == "w" and op == 3:
                if blk == (x["block"] + 1) & 0xFFFF and not x["done"]:
                    x["block"] += 1
                    x["buf"] += data[4:]
                    if len(data) - 4 < 512:
                        x["done"] = True
                        self.uploads[x["name"]] = bytes(x["buf"])
                x["last"] = struct.pack("!HH", 4, blk)
                x["sent_at"] = now
                self.peer.send_udp(src, x["tid"], sport, x["last"])
            elif op == 5:
                self.errors.append(data[4:].split(b"\0")[0].decode("latin-1"))
                x["done"] = True


GUEST_MAC = "02:00:00:00:00:0a"
GUEST_IP = "10.0.0.2"


def test_net_wire():
    tag = "linux/net"
    peer = Peer()
    qport = free_udp_port()
    peer.qemu = ("127.0.0.1", qport)
    netdev = (f"dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port={qport},"
              f"remote.type=inet,remote.host=127.0.0.1,remote.port={peer.port}")
    q = Qemu("net-wire", [Guest("lx", f"{CONSOLE} rdinit=/init lgip={GUEST_IP}", initrd=IMAGES["initrd"],
                                opts=f"mac={GUEST_MAC}")], netdev=netdev)
    sh = Shell(q, "lx")
    tftp = None
    try:
        if not check(f"{tag}/shell", sh.ready(180), "no shell: " + q.text[-1500:]):
            return
        sh.ok(f"{tag}/virtio-net", "basename $(readlink /sys/class/net/eth0/device/driver)", want=r"^virtio_net$")
        sh.ok(f"{tag}/mac", "cat /sys/class/net/eth0/address", want=rf"^{GUEST_MAC}$")
        sh.ok(f"{tag}/eth0-up", f"ifconfig eth0 {GUEST_IP} netmask 255.255.255.0 up && "
              "cat /sys/class/net/eth0/operstate", want=r"^(up|unknown)$")
        # ARP and pings from the wire
        mac, frame = peer.arp(GUEST_IP, timeout=1.0, tries=5)
        check(f"{tag}/arp-reply", mac == bytes.fromhex(GUEST_MAC.replace(":", "")),
              f"who-has {GUEST_IP}: {mac_str(mac) if mac else 'no reply'}, want {GUEST_MAC}")
        _, nobody = peer.arp("10.0.0.99", timeout=0.5)
        check(f"{tag}/arp-nobody", nobody is None, "who-has 10.0.0.99 was answered")
        sizes = [56, 0, 1, 64, 100, 512, 1000, 1400, 1472]
        r = peer.ping(GUEST_IP, 100, sizes=sizes)
        check(f"{tag}/ping-from-wire", r["received"] == 100 and not r["bad"],
              f"{r['received']}/{r['sent']} intact, {r['bad']} bad: {r['errors'][:3]}")
        rtts = sorted(r["rtts"])
        if rtts:
            info(f"{tag}/ping-from-wire", f"{len(rtts)}/100, sizes 0-1472, rtt min {rtts[0] * 1e3:.2f} "
                 f"median {rtts[len(rtts) // 2] * 1e3:.2f} max {rtts[-1] * 1e3:.2f} ms")
        # the guest pings the wire
        ping_check(f"{tag}/ping-to-wire", sh, PEER_IP, 10)
        ping_check(f"{tag}/ping-to-wire-1472", sh, PEER_IP, 3, "-s 1472")
        # UDP both ways: TFTP download and upload, contents checked
        blob = random.Random(7).randbytes(300001)
        tftp = Tftp(peer, {"blob": blob})
        got = sh.ok(f"{tag}/udp-tftp-get", f"tftp -g -r blob -l /tmp/blob {PEER_IP} && md5sum /tmp/blob",
                    120, want=r"^([0-9a-f]{32}) ")
        check(f"{tag}/udp-tftp-get-content", got and got.group(1) == hashlib.md5(blob).hexdigest(),
              f"guest md5 {got.group(1) if got else None}; server errors {tftp.errors}")
        rc, out, took = sh.run(f"tftp -p -l /tmp/blob -r up {PEER_IP}", 120)
        up = tftp.uploads.get("up")
        check(f"{tag}/udp-tftp-put", rc == 0 and up == blob,
              f"status {rc} {out[-2:]}; {len(up) if up else 0} of {len(blob)} bytes arrived"
              f"{', different' if up and up != blob else ''}")
        if rc == 0:
            info(f"{tag}/udp-tftp", f"300001 bytes each way in 512-byte lock-step blocks; upload took "
                 f"{took:.2f} s; server retransmissions {tftp.retries}")
        stats = peer.stats
        check(f"{tag}/wire-clean", not stats["bad"], f"{stats}: {peer.bad_frames}")
        common_end(tag, q, ["lx"])
    finally:
        if tftp:
            tftp.stop = True
        q.close()
        peer.close()


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tcp_echo(port, data, timeout=60):
    """Connects to 127.0.0.1:port (retrying while the forward is not yet
    answered), sends data while reading the echo; (bytes back, seconds)."""
    end = time.monotonic() + timeout
    while True:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.settimeout(10)
        got = bytearray()
        t0 = time.monotonic()

        def writer():
            try:
                for i in range(0, len(data), 4096):
                    s.sendall(data[i:i + 4096])
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        w = threading.Thread(target=writer, daemon=True)
        w.start()
        try:
            while len(got) < len(data):
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except OSError:
            pass
        took = time.monotonic() - t0
        w.join(5)
        s.close()
        if got or time.monotonic() > end:
            return bytes(got), took
        time.sleep(1)           # slirp reset the connection: the guest was not listening yet


def test_net_tcp():
    tag = "linux/tcp"
    port = free_tcp_port()
    netdev = f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:5000"
    q = Qemu("net-tcp", [Guest("lx", f"{CONSOLE} rdinit=/init lgip=10.0.2.15", initrd=IMAGES["initrd"])],
             netdev=netdev)
    sh = Shell(q, "lx")
    try:
        if not check(f"{tag}/shell", sh.ready(180), "no shell: " + q.text[-1500:]):
            return
        sh.ok(f"{tag}/eth0", "ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up")
        # slirp learns the guest's MAC from its ARP; 10.0.2.2 may not answer ping under restrict=on
        sh.run("ping -c 1 -W 2 10.0.2.2 >/dev/null 2>&1", 20)
        for size in (100000, 1 << 20):
            sh.run("nc -l -p 5000 -e cat &")
            time.sleep(1)
            data = random.Random(size).randbytes(size)
            got, took = tcp_echo(port, data)
            check(f"{tag}/echo-{size}", got == data,
                  f"{len(got)} of {size} bytes back{', contents differ' if len(got) == size else ''}")
            if got == data:
                info(f"{tag}/echo-{size}", f"{size} bytes to the guest's nc and back in {took:.2f} s "
                     f"({2 * size / took / 1e6:.2f} MB/s both ways)")
            sh.run("kill %1 2>/dev/null; wait", 10)
        # host -> guest file, checked inside the guest
        data = random.Random(3).randbytes(200000)
        sh.run("nc -l -p 5000 > /tmp/rx &")
        time.sleep(1)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(data)
        time.sleep(2)
        sh.run("wait", 20)
        got = sh.ok(f"{tag}/to-guest", "md5sum /tmp/rx", want=r"^([0-9a-f]{32}) ")
        check(f"{tag}/to-guest-content", got and got.group(1) == hashlib.md5(data).hexdigest(),
              f"guest md5 {got.group(1) if got else None}, sent {hashlib.md5(data).hexdigest()}")
        common_end(tag, q, ["lx"])
    finally:
        q.close()


BULK_SIZE = 64 << 20
# VIRTIO_NET_F_CSUM, GUEST_CSUM, HOST_TSO4: the feature bits net_offload=off withdraws
OFFLOAD_BITS = {"CSUM": 0, "GUEST_CSUM": 1, "HOST_TSO4": 11}


def tcp_bulk(port, data, timeout):
    """Streams data to 127.0.0.1:port while reading what comes back, hashed
    as it arrives (64 MiB is not kept twice); retries while slirp resets the
    connection because the guest is not listening yet. (sha256 of the bytes
    back, their count, seconds from connect to the last byte)."""
    end = time.monotonic() + timeout
    while True:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.settimeout(120)           # TCG on a busy host: long pauses happen
        h, n = hashlib.sha256(), 0
        t0 = time.monotonic()

        def writer():
            try:
                view = memoryview(data)
                for i in range(0, len(data), 65536):
                    s.sendall(view[i:i + 65536])
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        w = threading.Thread(target=writer, daemon=True)
        w.start()
        try:
            while n < len(data) and time.monotonic() < end:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                h.update(chunk)
                n += len(chunk)
        except OSError:
            pass
        took = time.monotonic() - t0
        w.join(10)
        s.close()
        if n or time.monotonic() > end:
            return h.hexdigest(), n, took
        time.sleep(1)


def test_net_tcp_bulk():
    """64 MiB from a peer on 127.0.0.1 through QEMU's user network to a Linux
    guest and back (busybox nc echoing through tee into md5sum), once with
    the hypervisor's net offloads (partial checksums, 64 KiB TSO segments)
    and once with net_offload=off (every frame whole and checksummed):
    the guest's md5 of what it received and the host's sha256 of what came
    back both match what was sent."""
    tag = "linux/tcp-bulk"
    data = random.Random(64).randbytes(BULK_SIZE)
    want_md5, want_sha = hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest()
    for mode in ("offload", "no-offload"):
        t = f"{tag}/{mode}"
        port = free_tcp_port()
        netdev = f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:5000"
        append = "console=com1" + (" net_offload=off" if mode == "no-offload" else "")
        q = Qemu(f"tcp-bulk-{mode}", [Guest("lx", f"{CONSOLE} rdinit=/init lgip=10.0.2.15", mem="128M",
                                            initrd=IMAGES["initrd"])], netdev=netdev, append=append)
        sh = Shell(q, "lx")
        try:
            if not check(f"{t}/shell", sh.ready(180), "no shell: " + q.text[-1500:]):
                continue
            sh.ok(f"{t}/eth0", "ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up")
            # the device's negotiated features: the offload bits follow net_offload
            feats = sh.ok(f"{t}/features", "cat /sys/class/net/eth0/device/features", want=r"^([01]{32,})$")
            if feats:
                bits = feats.group(1)
                on = {k: bits[b] == "1" for k, b in OFFLOAD_BITS.items()}
                check(f"{t}/features-{'on' if mode == 'offload' else 'off'}",
                      all(on.values()) if mode == "offload" else not any(on.values()), f"{bits}: {on}")
            sh.run("ping -c 1 -W 2 10.0.2.2 >/dev/null 2>&1", 20)
            sh.run("rm -f /tmp/f /tmp/md5; mkfifo /tmp/f && (md5sum < /tmp/f > /tmp/md5 &) && "
                   "nc -l -p 5000 -e tee /tmp/f &")
            time.sleep(1)
            sha, n, took = tcp_bulk(port, data, 900)
            check(f"{t}/echo", n == BULK_SIZE and sha == want_sha,
                  f"{n} of {BULK_SIZE} bytes back{', contents differ' if n == BULK_SIZE else ''}")
            if n == BULK_SIZE and took > 0:
                info(t, f"{BULK_SIZE >> 20} MiB to the guest and back (echoed while receiving) in {took:.1f} s: "
                     f"{BULK_SIZE / took / 1e6:.2f} MB/s each way, {2 * BULK_SIZE / took / 1e6:.2f} MB/s both")
            sh.run("wait", 60)
            # the guest's TCP counters: retransmissions explain a slow run
            rc, out, _ = sh.run("grep '^Tcp:' /proc/net/snmp")
            if rc == 0 and len(out) >= 2:
                tcp = dict(zip(out[-2].split()[1:], out[-1].split()[1:]))
                info(t, "guest TCP: " + ", ".join(f"{k} {tcp.get(k, '?')}" for k in
                                                  ("InSegs", "OutSegs", "RetransSegs", "InErrs", "InCsumErrors")))
                check(f"{t}/no-checksum-errors", tcp.get("InCsumErrors", "0") == "0" and tcp.get("InErrs") == "0",
                      f"guest TCP counters: {tcp}")
            # receive-queue pruning: 3.10 charges each mergeable receive buffer (MRG_RXBUF,
            # offered with the offloads) as a whole page, so a full-size frame costs 4 KiB
            rc, out, _ = sh.run("grep '^TcpExt:' /proc/net/netstat")
            if rc == 0 and len(out) >= 2:
                ext = dict(zip(out[-2].split()[1:], out[-1].split()[1:]))
                info(t, "guest TcpExt: " + ", ".join(f"{k} {ext.get(k, '?')}" for k in
                                                     ("PruneCalled", "TCPRcvCollapsed", "TCPBacklogDrop",
                                                      "TCPOFOQueue")))
            got = None
            for _ in range(30):         # md5sum ends when tee closes the fifo
                rc, out, _ = sh.run("cat /tmp/md5 2>/dev/null")
                got = next((ln.split()[0] for ln in out if re.match(r"[0-9a-f]{32} ", ln)), None)
                if got:
                    break
                time.sleep(1)
            check(f"{t}/guest-md5", got == want_md5, f"guest md5 {got}, sent {want_md5}")
            # the hypervisor's counters: TSO segments and partial checksums only with offloads
            m = q.monitor("net", r"guest lx offloads: tx csum (\d+) by e1000 (\d+) in software, "
                          r"tso (\d+) by e1000 (\d+) in software;[^\n]*")
            bad = re.search(r"guest lx: rx [^\n]*; tx \d+ frames \d+ bytes, dropped (\d+) bad, (\d+) bad header",
                            q.text[m.start() - 600 if m else 0:])
            if check(f"{t}/offload-counters", m, "no offload line from the monitor's `net`"):
                csum, tso = int(m.group(1)) + int(m.group(2)), int(m.group(3)) + int(m.group(4))
                info(t, m.group(0).split(";")[0].strip())
                check(f"{t}/offloads-{'used' if mode == 'offload' else 'unused'}",
                      (csum > 0 and tso > 0) if mode == "offload" else (csum == 0 and tso == 0),
                      f"{csum} partial checksums, {tso} TSO frames from the guest")
            check(f"{t}/no-bad-frames", bad and bad.group(1) == "0" and bad.group(2) == "0",
                  bad.group(0) if bad else "no tx line from the monitor's `net`")
            common_end(t, q, ["lx"])
        finally:
            q.close()


# ---------------------------------------------------------------------------
# 4. time keeping and idle CPU

def uptime(sh):
    """(guest uptime, host time the line arrived)."""
    start = len(sh.q.data)
    rc, out, _ = sh.run("cat /proc/uptime")
    m = sh.q.wait(rf"\[{sh.name}\] (\d+\.\d+) \d+\.\d+", 1, start)
    return (float(m.group(1)), sh.q.time_at(m.start())) if rc == 0 and m else (None, None)


def cpu_sample(q, seconds):
    c0, t0 = q.cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    return (q.cpu_seconds() - c0) / (time.monotonic() - t0)


def test_time():
    tag = "linux/time"
    q = Qemu("time", [Guest("x", f"{CONSOLE} rdinit=/init", initrd=IMAGES["initrd"]),
                      Guest("y", f"{CONSOLE} rdinit=/init", initrd=IMAGES["initrd"])], mem="512M")
    x, y = Shell(q, "x"), Shell(q, "y")
    try:
        if not (check(f"{tag}/shell-y", y.ready(180), "no shell on y: " + q.text[-1500:]) and
                check(f"{tag}/shell-x", x.ready(180), "no shell on x: " + q.text[-1500:])):
            return
        u1, h1 = uptime(x)
        rc, out, took = x.run("time sleep 5", 30)
        real = next((re.search(r"real\s+(\d+)m\s*([\d.]+)s", ln) for ln in out
                     if re.search(r"real\s+(\d+)m\s*([\d.]+)s", ln)), None)
        secs = int(real.group(1)) * 60 + float(real.group(2)) if real else None
        check(f"{tag}/sleep-5", secs and abs(secs - 5) <= 0.1 and abs(took - 5) <= 0.1 + 0.2,
              f"guest says {secs} s, host clock {took:.3f} s: {out}")
        if secs:
            info(f"{tag}/sleep-5", f"`time sleep 5`: guest real {secs:.2f} s, host clock {took:.3f} s "
                 f"(command typed to its last line; includes the console round trip)")
        # the guest's clock over a longer span
        time.sleep(max(0, 30 - (time.monotonic() - h1)) if h1 else 0)
        u2, h2 = uptime(x)
        if u1 is not None and u2 is not None:
            rate = (u2 - u1) / (h2 - h1)
            check(f"{tag}/uptime-rate", abs(rate - 1) <= 0.02, f"guest {u2 - u1:.3f} s in host {h2 - h1:.3f} s")
            info(f"{tag}/uptime-rate", f"guest /proc/uptime advanced {u2 - u1:.3f} s in {h2 - h1:.3f} s of "
                 f"host time: {100 * (rate - 1):+.2f} %")
        else:
            check(f"{tag}/uptime-rate", False, "no /proc/uptime reading")
        # idle: two guests at their prompts
        time.sleep(3)
        idle = cpu_sample(q, 10)
        x.run("while :; do :; done &")
        busy = cpu_sample(q, 10)
        x.run("kill %1; wait", 10)
        time.sleep(2)
        idle2 = cpu_sample(q, 10)
        info(f"{tag}/cpu", f"QEMU process CPU: two idle Linux guests {idle:.1%} of a core "
             f"(again after the busy loop {idle2:.1%}); one guest in a busy loop {busy:.1%}")
        check(f"{tag}/idle-cpu", idle < 0.5 and idle2 < 0.5,
              f"idle {idle:.1%} / {idle2:.1%} of a core, busy {busy:.1%}")
        check(f"{tag}/busy-cpu-higher", busy > idle, f"busy {busy:.1%} vs idle {idle:.1%}")
        line = guests_line(q, "x")
        if line:
            info(f"{tag}/guests", line)
        common_end(tag, q, ["x", "y"])
    finally:
        q.close()


# ---------------------------------------------------------------------------
# 5. two Linux guests and an lgtest guest at once

LG_IP = "10.0.0.9"


def wire_run(tag, guests, mem="512M"):
    peer = Peer()
    qport = free_udp_port()
    peer.qemu = ("127.0.0.1", qport)
    netdev = (f"dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port={qport},"
              f"remote.type=inet,remote.host=127.0.0.1,remote.port={peer.port}")
    return Qemu(tag, guests, mem=mem, netdev=netdev), peer


def lgtest_quit(q, peer, name, ip):
    mac = peer.neigh.get(ip)
    if not mac:
        mac, _ = peer.arp(ip, timeout=1.0, tries=3)
    for _ in range(5):
        peer.send_udp(ip, 5556, 9, b"quit", mac)
        if q.wait(rf"\[{name}\] DONE ", 10):
            return True
    return False


def linux_guest(name, ip, mac, disk):
    if disk:
        return Guest(name, f"{CONSOLE} root=/dev/vda rw lgip={ip}", disk=disk_copy(disk), opts=f"mac={mac}")
    return Guest(name, f"{CONSOLE} rdinit=/init lgip={ip}", initrd=IMAGES["initrd"], opts=f"mac={mac}")


def test_multi():
    tag = "linux/multi"
    disk = "multi-a" if IMAGES["disk"] else None
    a = linux_guest("a", "10.0.0.2", "02:00:00:00:00:0a", disk)
    b = linux_guest("b", "10.0.0.3", "02:00:00:00:00:0b", disk and "multi-b")
    c = Guest("c", f"test=net ip={LG_IP}", mem="16M", kernel=LGTEST, opts="mac=02:00:00:00:00:0c")
    q, peer = wire_run("multi", [a, b, c])
    sa, sb = Shell(q, "a"), Shell(q, "b")
    try:
        if not (check(f"{tag}/a/shell", sa.ready(240), "no shell on a: " + q.text[-1500:]) and
                check(f"{tag}/b/shell", sb.ready(240), "no shell on b: " + q.text[-1500:])):
            return
        text = q.text
        for n in ("a", "b"):
            k = len(re.findall(rf"(?m)^\[{n}\] \[\s*\d+\.\d+\] ", text))
            check(f"{tag}/{n}/own-tag", k >= 50 and re.search(rf"(?m)^\[{n}\] \[\s*[\d.]+\] Linux version", text),
                  f"{k} kernel lines tagged [{n}]")
        check(f"{tag}/c/own-tag", re.search(rf"\[c\] NET READY ip {LG_IP} ", text), "no '[c] NET READY'")
        for sh, ip in ((sa, "10.0.0.2"), (sb, "10.0.0.3")):
            sh.run(f"ifconfig eth0 {ip} netmask 255.255.255.0 up")
        ping_check(f"{tag}/a-to-b", sa, "10.0.0.3", 10)
        ping_check(f"{tag}/b-to-a", sb, "10.0.0.2", 10)
        ping_check(f"{tag}/b-to-a-1472", sb, "10.0.0.2", 3, "-s 1472")
        ping_check(f"{tag}/a-to-c", sa, LG_IP, 5)
        ping_check(f"{tag}/b-to-c", sb, LG_IP, 5)
        for ip in ("10.0.0.2", "10.0.0.3", LG_IP):
            if not check(f"{tag}/wire-arp-{ip}", peer.arp(ip, timeout=1.0, tries=3)[0], "no ARP reply"):
                continue
            r = peer.ping(ip, 10, sizes=[56, 1000, 1472])
            check(f"{tag}/wire-to-{ip}", r["received"] == 10 and not r["bad"],
                  f"{r['received']}/{r['sent']} intact: {r['errors'][:2]}")
        # a -> b over TCP through the switch (busybox nc), contents checked
        sb.run("nc -l -p 5000 > /tmp/rx &")
        time.sleep(1)
        rc, out, took = sa.run("dd if=/dev/urandom of=/tmp/tx bs=1k count=256 2>/dev/null; "
                               "nc 10.0.0.3 5000 < /tmp/tx; md5sum /tmp/tx", 120)
        ha = next((ln.split()[0] for ln in out if re.match(r"[0-9a-f]{32} ", ln)), None)
        sb.run("wait", 30)
        rc2, out2, _ = sb.run("md5sum /tmp/rx")
        hb = next((ln.split()[0] for ln in out2 if re.match(r"[0-9a-f]{32} ", ln)), None)
        check(f"{tag}/tcp-a-to-b", ha and ha == hb, f"sent {ha}, received {hb}: {out[-2:]} {out2[-2:]}")
        check(f"{tag}/c/quit", lgtest_quit(q, peer, "c", LG_IP), "the lgtest guest did not finish")
        program_checks_print(tag + "/c", q.text, "c", [f"net/{x}" for x in ("device", "features", "link",
                                                                            "address", "device-ok", "rx-clean",
                                                                            "checksums", "tx")])
        common_end(tag, q, ["a", "b"])
    finally:
        q.close()
        peer.close()


GENERATIONS = (("26", "2.6.32", r"2\.6\.3\d"), ("310", "3.10", r"3\.\d+"), ("4", "4.x", r"4\.\d+"),
               ("pae", "3.10", r"3\.\d+"))
LABELS = {"pae": "3.10-pae"}    # a HIGHMEM64G 3.10 kernel (LINUXPAE=): PAE page tables


def test_generations():
    """Every lguest generation at once: a 2.6.32-era kernel (LINUX26=), the
    3.10 kernel (LINUX=) and a 4.x one (LINUX4=), whichever are given (two
    at least), each with its root on a disk (DISK=) and on the switch: each
    boots to a shell, reports its own release, reads and writes its disk,
    pings every other and the wire, and the boot log names its generation."""
    tag = "linux/generations"
    kernels = {"26": IMAGES.get("linux26"), "310": IMAGES["linux"], "4": IMAGES.get("linux4"),
               "pae": IMAGES.get("linuxpae")}
    have = [g for g in GENERATIONS if kernels[g[0]]]
    if len(have) < 2 or not IMAGES["disk"]:
        print(f"SKIP {tag}: needs DISK and two of LINUX26=, LINUX=, LINUX4=, LINUXPAE=")
        return
    guests, shells, ips = [], {}, {}
    for i, (key, _gen, _rel) in enumerate(have):
        name, ip = f"g{key}", f"10.0.0.{20 + i}"
        ips[name] = ip
        guests.append(Guest(name, f"{CONSOLE} root=/dev/vda rw lgip={ip}", kernel=kernels[key],
                            disk=disk_copy(f"gen-{key}"), opts=f"mac=02:00:00:00:01:{20 + i:02x} rng=on"))
    q, peer = wire_run("generations", guests)
    try:
        for (key, gen, rel), g in zip(have, guests):
            label = LABELS.get(key, gen)
            sh = shells[g.name] = Shell(q, g.name)
            if not check(f"{tag}/{label}/shell", sh.ready(300), f"no shell on {g.name}: " + q.text[-1500:]):
                return
            check(f"{tag}/{label}/generation-logged",
                  q.wait(rf"guest {g.name}: lguest generation {re.escape(gen)} ", 1), "no generation line")
            sh.ok(f"{tag}/{label}/release", "uname -r", want=rf"^{rel}")
            mode = "PAE (3-level)" if key == "pae" else "2-level"
            check(f"{tag}/{label}/paging-logged", q.wait(rf"guest {g.name}: {re.escape(mode)} page tables", 1),
                  f"no '{mode} page tables' line")
            sh.run(f"ifconfig eth0 {ips[g.name]} netmask 255.255.255.0 up")
            got = sh.ok(f"{tag}/{label}/disk", f"seq 1 20000 > /root/gen && sync && md5sum /root/gen",
                        want=r"^([0-9a-f]{32}) ")
            want = hashlib.md5("".join(f"{i}\n" for i in range(1, 20001)).encode()).hexdigest()
            check(f"{tag}/{label}/disk-content", got and got.group(1) == want, f"{got and got.group(1)} vs {want}")
            # virtio-rng (rng=on): /dev/hwrng reads, if the kernel has the driver
            rc, out, _ = sh.run("cat /sys/class/misc/hw_random/rng_current 2>/dev/null || echo none")
            if out and "virtio" in out[-1]:
                reads = [sh.ok(f"{tag}/{label}/hwrng-{n}", "dd if=/dev/hwrng bs=32 count=1 2>/dev/null | md5sum",
                               want=r"^([0-9a-f]{32}) ") for n in (1, 2)]
                empty = hashlib.md5(b"").hexdigest()
                check(f"{tag}/{label}/hwrng-random", all(reads) and reads[0].group(1) != reads[1].group(1) and
                      empty not in (reads[0].group(1), reads[1].group(1)), "two reads of /dev/hwrng: "
                      f"{[r and r.group(1) for r in reads]}")
            else:
                info(f"{tag}/{label}/hwrng", f"no virtio hw_random in this kernel ({out[-1:] if out else out})")
        for (key, gen, _r), g in zip(have, guests):
            label = LABELS.get(key, gen)
            for other in guests:
                if other is not g:
                    ping_check(f"{tag}/{label}/ping-{other.name}", shells[g.name], ips[other.name], 5)
            ip = ips[g.name]
            if check(f"{tag}/{label}/wire-arp", peer.arp(ip, timeout=1.0, tries=3)[0], "no ARP reply"):
                r = peer.ping(ip, 10, sizes=[56, 1472])
                check(f"{tag}/{label}/wire-ping", r["received"] == 10 and not r["bad"],
                      f"{r['received']}/{r['sent']} intact")
        common_end(tag, q, [g.name for g in guests])
    finally:
        q.close()
        peer.close()


def program_checks_print(tag, text, name, expect):
    res = []
    program_checks(res, tag, text.replace("\r\n", "\n"), name, expect)
    for n, ok, detail in res:
        check(n, ok, detail)


# ---------------------------------------------------------------------------
# 6. a panic, a fork bomb and a memory hog beside working guests

def test_abuse():
    tag = "linux/abuse"
    v = Guest("v", f"{CONSOLE} rdinit=/init lgip=10.0.0.2", initrd=IMAGES["initrd"], opts="mac=02:00:00:00:00:0a")
    w = Guest("w", f"{CONSOLE} rdinit=/init lgip=10.0.0.3", initrd=IMAGES["initrd"], opts="mac=02:00:00:00:00:0b")
    c = Guest("c", f"test=net ip={LG_IP}", mem="16M", kernel=LGTEST, opts="mac=02:00:00:00:00:0c")
    k = Guest("k", "test=checksum loops=1000", mem="16M", kernel=LGTEST)     # ~15 s alone
    q = Qemu("abuse", [v, w, c, k], mem="512M")
    sv, sw = Shell(q, "v"), Shell(q, "w")
    try:
        if not (check(f"{tag}/v/shell", sv.ready(240), "no shell on v: " + q.text[-1500:]) and
                check(f"{tag}/w/shell", sw.ready(240), "no shell on w: " + q.text[-1500:])):
            return
        sw.run("ifconfig eth0 10.0.0.3 netmask 255.255.255.0 up")

        def witness_start(case):
            """w pings c for about 20 s; k does its checksum work again."""
            sw.run(f"ping -c 80 -i 0.25 {LG_IP} > /tmp/ping-{case} 2>&1 &")
            pos = len(q.data)
            q.monitor("restart k", r"guest k: restarting")
            return pos

        def witness_end(case, pos):
            m = q.wait(r"\[k\] DONE [^\n]*", 400, pos)
            ran = re.search(r"\[k\] checksum: (\d+) loops[^\n]*?(\d+) ms", q.text[pos:])
            if ran:
                info(f"{tag}/{case}", f"checksum guest beside it: {ran.group(1)} loops in {ran.group(2)} ms")
            check(f"{tag}/{case}/checksum-guest", m and re.match(r"\[k\] DONE \d+ passed, 0 failed", m.group(0)),
                  m.group(0) if m else "the checksum guest did not finish")
            sw.run("wait", 60)
            rc, out, _ = sw.run(f"cat /tmp/ping-{case}")
            tx, rx, rtt = parse_ping(out)
            check(f"{tag}/{case}/ping-witness", tx == 80 and rx == 80, f"{rx}/{tx} replies: {out[-2:]}")
            if rtt:
                info(f"{tag}/{case}", f"w -> c during the {case}: {rx}/{tx}, rtt avg {rtt[1]:.2f} max {rtt[2]:.2f} ms")

        # memory hog: the OOM killer ends it, the guest lives on
        pos = witness_start("memhog")
        rc, out, took = sv.run("for i in 1 2 3 4 5; do tail /dev/zero; echo hog-status $?; done", 600)
        kills = len(re.findall(r"(?m)^\[v\] [^\n]*Killed process \d+ \(tail\)", q.text[pos:]))
        ends = sum(1 for ln in out if ln.startswith("hog-status"))
        check(f"{tag}/memhog/oom-killed", rc == 0 and kills == 5 and ends == 5,
              f"status {rc}, {kills} OOM kills of tail, {ends} ends: {out[-3:]}")
        info(f"{tag}/memhog", f"5 x `tail /dev/zero` in 64 MiB: {kills} OOM kills in {took:.1f} s")
        sv.ok(f"{tag}/memhog/guest-alive", "echo alive $(cat /proc/meminfo | head -2 | tr -s ' ' | tr '\\n' ' ')",
              want=r"^alive")
        witness_end("memhog", pos)

        # fork bomb: then the monitor restarts the guest
        pos = witness_start("forkbomb")
        q.focus("v")
        q.send(b"bomb() { bomb | bomb & }; bomb\r")
        time.sleep(30)
        # the guest may live on or panic by itself ("Attempted to kill init" when
        # its /init cannot fork); either way the hypervisor must not have killed it
        line = guests_line(q, "v")
        info(f"{tag}/forkbomb", f"after 30 s: {line}")
        check(f"{tag}/forkbomb/v-not-killed", line and re.match(r"v\s+(running|stopped .*powered off)", line)
              and not stopped(q, "v"), f"guests: {line}")
        witness_end("forkbomb", pos)
        p2 = len(q.data)
        q.monitor("restart v", r"guest v: restarting")
        check(f"{tag}/forkbomb/restart", q.wait(r"\[v\] [^\n]*Linux version", 60, p2) and sv.ready(180),
              "v did not come back after 'restart v'")

        # panic: one clean oops, the guest stops, the others go on
        pos = witness_start("panic")
        q.focus("v")
        q.send(b"echo c > /proc/sysrq-trigger\r")
        m = q.wait(r"guest v: (power off|stopped)[^\n]*", 120, pos)
        check(f"{tag}/panic/stops", m, "guest v did not stop: " + q.text[-1500:])
        text = q.text[pos:]
        check(f"{tag}/panic/message", re.search(r"\[v\] [^\n]*Kernel panic", text), "no 'Kernel panic' line")
        oopses = len(re.findall(r"(?m)^\[v\] .*(Oops|general protection fault)", text))
        check(f"{tag}/panic/one-oops", 1 <= oopses <= 2, f"{oopses} oops lines (recursive oops?)")
        if m:
            info(f"{tag}/panic", m.group(0).strip())
        witness_end("panic", pos)
        p2 = len(q.data)
        q.monitor("restart v", r"guest v: restarting")
        check(f"{tag}/panic/restart", q.wait(r"\[v\] [^\n]*Linux version", 60, p2) and sv.ready(180),
              "v did not come back after the panic")
        for n in ("v", "w", "c", "k"):
            line = guests_line(q, n)
            check(f"{tag}/{n}/monitor", line, "the monitor did not list it")
            if line:
                info(f"{tag}/guests", line)
        common_end(tag, q, ["w", "c", "k"])
    finally:
        q.close()


# ---------------------------------------------------------------------------
# 7. kernels that are not lguest guests

def test_not_lguest():
    tag = "linux/not-lguest"
    if not IMAGES["plain"]:
        print(f"SKIP {tag}: no PLAIN kernel given (e.g. an i386 allnoconfig vmlinux)")
        return
    for i, kernel in enumerate(IMAGES["plain"]):
        name = f"plain{i}"
        t = f"{tag}/{os.path.basename(kernel)}"
        q = Qemu(f"not-lguest-{i}", [Guest(name, "console=ttyS0 earlyprintk=serial", mem="64M", kernel=kernel),
                                     Guest("k", "test=checksum loops=2", mem="16M", kernel=LGTEST)])
        try:
            # stopped when it runs, or refused at load when it is no kernel image at all
            m = q.wait(rf"guest {name}: (stopped: |power off|kernel module \d+: )[^\n]*", 60)
            reason = m.group(0).strip() if m else None
            info(t, f"hypervisor: {reason}")
            check(f"{t}/refused", reason, "the kernel was neither refused nor stopped: " + q.text[-800:])
            check(f"{t}/says-not-lguest", reason and re.search(r"not an lguest|not an ELF vmlinux or a bzImage", reason),
                  f"the message does not say it is not an lguest kernel: '{reason}'")
            check(f"{t}/other-guest", q.wait(r"\[k\] DONE \d+ passed, 0 failed", 120),
                  "the lgtest guest beside it did not finish")
            line = guests_line(q, name)
            check(f"{t}/hypervisor-alive", line, "the monitor did not answer")
        finally:
            q.close()


TESTS = [("boot", test_boot), ("block", test_block), ("sata-root", test_sata_root), ("net", test_net_wire), ("tcp", test_net_tcp), ("tcp-bulk", test_net_tcp_bulk),
         ("time", test_time), ("multi", test_multi), ("generations", test_generations), ("abuse", test_abuse), ("not-lguest", test_not_lguest)]


def main():
    ap = argparse.ArgumentParser(description="Linux guest tests for lgvisor (opt-in)")
    ap.add_argument("--linux", default=os.environ.get("LINUX", ""))
    ap.add_argument("--initrd", default=os.environ.get("INITRD", ""))
    ap.add_argument("--disk", default=os.environ.get("DISK", ""))
    ap.add_argument("--plain", nargs="*", default=os.environ.get("PLAIN", "").split())
    ap.add_argument("--linux26", default=os.environ.get("LINUX26", ""), help="a 2.6.32-era lguest kernel")
    ap.add_argument("--linux4", default=os.environ.get("LINUX4", ""), help="a 4.x lguest kernel")
    ap.add_argument("--linuxpae", default=os.environ.get("LINUXPAE", ""), help="a 3.10 HIGHMEM64G (PAE) lguest kernel")
    ap.add_argument("only", nargs="*", help="run only the tests whose names contain one of these")
    a = ap.parse_args()
    if not a.linux:
        print("test-linux needs a Linux 3.10 lguest guest kernel, which lgvisor does not ship:\n"
              "  make test-linux LINUX=/path/vmlinux INITRD=/path/initramfs.cpio.gz "
              "[DISK=/path/root.ext2] [PLAIN=/path/non-lguest-vmlinux]")
        return 2
    for what in ("linux", "initrd", "disk", "linux26", "linux4", "linuxpae") + tuple(f"plain{i}" for i in range(len(a.plain))):
        path = getattr(a, what, None) if not what.startswith("plain") else a.plain[int(what[5:])]
        if path and not os.path.isfile(path):
            print(f"{what}: no such file: {path}")
            return 2
    if not a.initrd:
        print("INITRD is required (the boot, network, time and robustness tests run from it)")
        return 2
    for f in (ELF, LGTEST):
        if not os.path.isfile(f):
            print(f"{f} is missing: run make first")
            return 2
    IMAGES.update(linux=os.path.abspath(a.linux), initrd=os.path.abspath(a.initrd),
                  disk=os.path.abspath(a.disk) if a.disk else "",
                  plain=[os.path.abspath(p) for p in a.plain],
                  linux26=a.linux26 and os.path.abspath(a.linux26), linux4=a.linux4 and os.path.abspath(a.linux4),
                  linuxpae=a.linuxpae and os.path.abspath(a.linuxpae))
    os.makedirs(LOGDIR, exist_ok=True)
    start = time.monotonic()
    for name, fn in TESTS:
        if a.only and not any(s in name for s in a.only):
            continue
        try:
            fn()
        except Exception as e:      # a broken test is a failed test
            import traceback
            traceback.print_exc()
            check(f"linux/{name}", False, f"test raised {e!r}")
    passed = sum(1 for _, ok, _ in RESULTS if ok)
    failed = len(RESULTS) - passed
    print(f"({time.monotonic() - start:.0f} s; console logs in {LOGDIR}/)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
