"""make bench-linux LINUX=bzImage-or-vmlinux INITRD=initramfs.cpio.gz [NATIVE=bzImage]

Boots a Linux lguest guest on lgvisor under QEMU, then the same kernel
directly under QEMU (the native baseline), runs our benchmark program
(tests/lgbench/lgbench.c) in both, and prints one line per figure:

  bench linux_NAME VALUE UNIT [baseline native VALUE UNIT ratio R]  # ...

followed by a table with the reference figures of the original Linux lguest
host (Linux 3.10's lguest launcher, same QEMU, TCG, coreduo, 512M).

lgbench is built here with the host gcc (-m32 -static -O2) and appended to
the given initramfs as a second gzip'd newc archive (Linux unpacks
concatenated archives), so the initramfs needs nothing special: its /init
must start a shell on hvc0, into which the harness types the commands.

On lgvisor (QEMU -m 512M, the guest mem=128M, a 16 MiB disk module):
  boot      QEMU start to the guest's first userspace line: the first
            line after "Freeing unused kernel memory" that is not a kernel
            message (the comment also gives it from the hypervisor's first
            log line, and when the kernel finished its own boot)
  dd_read   `dd if=/dev/vda of=/dev/null bs=64k` after drop_caches, 5 times
            a round, MB = 10^6 bytes; busybox's dd prints no rate, so
            `lgbench run dd ...` times it (fork and exec of dd included)
  getppid, fork_exec_wait, fork_exit, page_touch, pipe_rt: lgbench's
            figures (best of 7 repetitions, see lgbench.c); each test runs
            on its own, between two readings of the monitor's `guests`
            counters, so the comment gives lgvisor's exits, hypercalls,
            reflected traps and fixed page faults per operation and the
            extra time per exit against native.
  tcp_rx, tcp_tx: TCP throughput through QEMU's user network (-netdev
            user,restrict=on with a forward from 127.0.0.1) on an emulated
            e1000, which lgvisor drives as its uplink for the guest's
            virtio-net: the harness connects to `lgbench tcp` in the guest,
            sends 16 MiB (rx: until the first byte comes back, since the
            guest returns them only once it has all), then reads them back
            (tx), byte-exact; MB = 10^6 bytes, best of the rounds; ratio =
            lgvisor / native, higher is better here (goal: 0.80).
Natively (QEMU -m 512M, `rdinit=/lgbench`, the kernel log on the serial
port with earlyprintk=serial,keep: lgbench prints through /dev/kmsg):
  boot is QEMU start to lgbench's first line as init (so the native figure
  does not include the initramfs's own /init); the disk is attached with
  if=virtio (virtio-pci): a kernel without PCI and virtio-pci finds no disk
  there, and dd_read then has no native baseline; likewise a kernel
  without PCI and the e1000 driver has no tcp baseline.

Everything runs in 3 rounds (a boot on lgvisor, then one natively) and
each figure is the best one seen, since other work on the host only ever
adds time; the counters come from the round that gave the figure.
Ratios are lgvisor / native: higher is worse, as in the reference. Under
TCG all times are emulated time: compare ratios.
"""
import argparse
import bisect
import gzip
import hashlib
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
ELF = os.path.join(BUILD, "lgvisor.elf")
TESTDIR = os.path.join(BUILD, "test")
LGBENCH_SRC = os.path.join(ROOT, "tests", "lgbench", "lgbench.c")
LGBENCH = os.path.join(TESTDIR, "lgbench")
INITRD_OUT = os.path.join(TESTDIR, "linux-bench-initrd.cpio.gz")
DISK = os.path.join(TESTDIR, "linux-bench-disk.img")
DISK_MIB = 16
GUEST_MEM = os.environ.get("BENCH_LINUX_MEM", "128M")      # e.g. 768M: a highmem guest's flush cost
QEMU_MEM = f"{max(512, int(GUEST_MEM.rstrip('M')) + 384)}M"
NAME = "lx"
TESTS = ["getppid", "forkexec", "forkexit", "touch", "pipe"]
DD_REPS = 5
ROUNDS = 3          # lgvisor and native boots, alternating; each figure is the best round's
DD_CMD = "dd if=/dev/vda of=/dev/null bs=64k"

# name, unit, lgbench test (None: measured by the harness), reference
FIGURES = [
    ("boot", "s", None, ("abs", 1.17)),
    ("dd_read", "MB/s", None, ("abs", 57.0)),
    ("getppid", "ns/call", "getppid", ("ratio", 1.07)),
    ("fork_exec_wait", "us/run", "forkexec", ("ratio", 6.4)),
    ("fork_exit", "us/run", "forkexit", ("ratio", 9.4)),
    ("page_touch", "ns/page", "touch", ("ratio", 10.5)),
    ("pipe_rt", "ns/rt", "pipe", ("ratio", 3.6)),
    ("tcp_rx", "MB/s", None, ("none", None)),
    ("tcp_tx", "MB/s", None, ("none", None)),
]
TCP_BYTES = 16 << 20            # each way: lgbench.c's TCP_BYTES
TCP_DATA = random.Random(16).randbytes(TCP_BYTES)
TCP_IP = "10.0.2.15"
COUNTERS = ["exits", "hypercalls", "queued", "reflected", "pf_fixed", "irqs", "fpu", "syscall_exits"]
GUESTS_RE = (r"{name}\s+running(?:\s+halted)?\s+cpu \d+,\s+\d+ MiB, (\d+) exits: (\d+) hypercalls \((\d+) queued\), "
             r"(\d+) reflected, (\d+) page faults fixed, (\d+) irqs, (\d+) fpu switches, (\d+) syscall exits")
RESULT_RE = r"LGBENCH (\S+) ([\d.]+) (\S+) ops=(\d+) all=(\d+)([^\r\n]*)"
KERNEL_LINE = re.compile(r"^\s*\[\s*\d+\.\d+(?:/\d+)?\]")


class BenchError(Exception):
    pass


class Qemu:
    """QEMU with its serial port on stdio: output with arrival times, input."""

    def __init__(self, cmd):
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.buf = bytearray()
        self.ends, self.times = [], []      # cumulative length after each chunk, its arrival
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def _reader(self):
        while True:
            data = self.proc.stdout.read1(65536)
            if not data:
                return
            with self.lock:
                self.buf += data
                self.ends.append(len(self.buf))
                self.times.append(time.monotonic() - self.t0)

    def text(self):
        with self.lock:
            return self.buf.decode("latin-1")    # one character per byte: offsets are byte offsets

    def arrival(self, offset):
        """Seconds after QEMU started when byte `offset` arrived."""
        with self.lock:
            i = bisect.bisect_right(self.ends, offset)
            return self.times[min(i, len(self.times) - 1)]

    def expect(self, pattern, timeout, pos=0, what=None):
        """Waits for regex `pattern` at or after `pos`: the match."""
        rx = re.compile(pattern, re.M)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.text(), pos)
            if m:
                return m
            if self.proc.poll() is not None and not self.thread.is_alive():
                raise BenchError(f"QEMU exited while waiting for {what or pattern!r}")
            if time.monotonic() > end:
                raise BenchError(f"timed out ({timeout} s) waiting for {what or pattern!r}")
            time.sleep(0.02)

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.thread.join(timeout=2)


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_base(port):
    """QEMU with an e1000 on the user network, restricted, port on 127.0.0.1
    forwarded to the guest's TCP port 5000."""
    accel = os.environ.get("ACCEL", "tcg")
    return ["qemu-system-i386", "-machine", "pc", "-accel", accel, "-cpu", "coreduo", "-m", QEMU_MEM,
            "-display", "none", "-no-reboot", "-monitor", "none", "-serial", "stdio", "-nic", "none",
            "-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-{TCP_IP}:5000",
            "-device", "e1000,netdev=n0"]


def tcp_figures(port):
    """The harness's half of `lgbench tcp`: TCP_BYTES there, then back.
    (MB/s to the guest, MB/s from it), or raises BenchError."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
    except OSError as e:
        raise BenchError(f"tcp: cannot connect to the forward: {e}")
    s.settimeout(120)
    got = bytearray()
    try:
        t0 = time.monotonic()
        w = threading.Thread(target=lambda: s.sendall(TCP_DATA), daemon=True)
        w.start()
        t1 = None
        while len(got) < TCP_BYTES:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            if t1 is None:
                t1 = time.monotonic()
            got += chunk
        t2 = time.monotonic()
        w.join(10)
    except OSError as e:
        raise BenchError(f"tcp: {e} after {len(got)} bytes back")
    finally:
        s.close()
    if len(got) != TCP_BYTES or hashlib.sha256(got).digest() != hashlib.sha256(TCP_DATA).digest():
        raise BenchError(f"tcp: {len(got)} of {TCP_BYTES} bytes back" + (", contents differ" if
                         len(got) == TCP_BYTES else ""))
    return TCP_BYTES / (t1 - t0) / 1e6, TCP_BYTES / (t2 - t1) / 1e6


# ---- inputs ----

def build_lgbench():
    if os.path.exists(LGBENCH) and os.path.getmtime(LGBENCH) >= os.path.getmtime(LGBENCH_SRC):
        return
    os.makedirs(TESTDIR, exist_ok=True)
    cmd = ["gcc", "-m32", "-static", "-O2", "-Wall", "-Wextra", "-o", LGBENCH, LGBENCH_SRC]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise BenchError(f"building lgbench failed ({' '.join(cmd)}):\n{r.stderr}"
                         "\n(needs Debian's gcc-multilib / libc6-dev-i386: make deps)")


def newc(entries):
    """A newc cpio archive of (name, mode, data) entries and its trailer."""
    out = bytearray()
    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], 1):
        nm = name.encode() + b"\0"
        fields = [ino if mode else 0, mode, 0, 0, 1, int(time.time()) if mode else 0, len(data),
                  0, 0, 0, 0, len(nm), 0]
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + nm
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def make_initrd(user_initrd):
    """The user's initramfs, zero-padded to 4 bytes, then lgbench's own archive."""
    with open(user_initrd, "rb") as f:
        data = f.read()
    with open(LGBENCH, "rb") as f:
        prog = f.read()
    extra = gzip.compress(newc([("lgbench", 0o100755, prog)]), 9)
    with open(INITRD_OUT, "wb") as f:
        f.write(data + b"\0" * (-len(data) % 4) + extra)


def make_disk():
    if os.path.exists(DISK) and os.path.getsize(DISK) == DISK_MIB << 20:
        return
    with open(DISK, "wb") as f:
        f.write(os.urandom(DISK_MIB << 20))


def kind(path):
    with open(path, "rb") as f:
        head = f.read(0x210)
    if head[:4] == b"\x7fELF":
        return "elf"
    if head[0x202:0x206] == b"HdrS":
        return "bzimage"
    return "unknown"


# ---- the guest on lgvisor ----

def dd_rate(out):
    """MB/s of one dd run: its own report when it prints one (busybox may
    not), else the records it read over lgbench run's wall time."""
    own = re.findall(r"(\d+) bytes [^\r\n]*copied, ([\d.]+) s", out)
    if own and float(own[-1][1]):
        return int(own[-1][0]) / float(own[-1][1]) / 1e6
    recs = re.search(r"(\d+)\+(\d+) records out", out)
    run = re.search(r"LGBENCH run (\d+) ns status=0", out)
    if recs and run and int(run.group(1)):
        return int(recs.group(1)) * 65536 / (int(run.group(1)) / 1e9) / 1e6
    return None


def parse_results(text, pos=0):
    res = {}
    for m in re.finditer(RESULT_RE, text[pos:]):
        res[m.group(1)] = {"value": float(m.group(2)), "unit": m.group(3), "ops": int(m.group(4)),
                           "all": int(m.group(5)), "rest": m.group(6).strip()}
    return res


class Guest:
    def __init__(self, q):
        self.q = q
        self.pos = 0            # everything before this has been consumed

    def wait(self, pattern, timeout, what=None):
        m = self.q.expect(pattern, timeout, self.pos, what)
        self.pos = m.end()
        return m

    def counters(self):
        """The monitor's `guests` counters of the guest (focus there and back)."""
        self.q.send(b"\x1d")
        self.wait(r"-- console: lgvisor monitor", 20, "the monitor")
        self.q.send(b"guests\r")
        m = self.wait(GUESTS_RE.format(name=NAME), 20, "the guests command")
        c = dict(zip(COUNTERS, map(int, m.groups())))
        self.q.send(f"exits {NAME}\r".encode())
        v = self.wait(rf"^{NAME}: \d+ exits by vector:([ \d:]*)\r?\n", 20, "the exits command")
        h = self.wait(rf"^{NAME}: \d+ page faults fixed \((\d+) to set dirty, (\d+) in the kernel\)"
                      rf".*hypercalls:([ \w:]*)\r?\n", 20, "the exits command")
        c["pf_dirty"], c["pf_kernel"] = int(h.group(1)), int(h.group(2))
        t = self.wait(rf"^{NAME}: (\d+) TSC cycles in the hypervisor over (\d+) exits", 20, "the exits command")
        c["_host_cycles"], c["_host_samples"] = int(t.group(1)), int(t.group(2))
        for k, n in re.findall(r"(\d+):(\d+)", v.group(1)):
            c[f"vector {k}"] = int(n)
        for k, n in re.findall(r"(\w+):(\d+)", h.group(3)):
            c[k] = int(n)
        self.q.send(b"\x1d")
        self.wait(rf"-- console: guest {NAME} ", 20, "the guest's console")
        return c

    def run(self, command, done, timeout):
        """Types a command line into the guest's shell; waits for `done`."""
        self.q.send(command.encode() + b"\r")
        return self.wait(done, timeout, command)


def delta(a, b):
    return {k: b[k] - a.get(k, 0) for k in b}


def best(xs, key=max):
    return key(xs) if xs else None


def run_lgvisor(kernel, initrd, args):
    """One boot on lgvisor: the boot figures, then every lgbench test and
    the dd runs, each between two `guests` readings."""
    mods = (f"{kernel} kernel name={NAME} mem={GUEST_MEM} -- {args},"
            f"{initrd} initrd name={NAME},{DISK} disk name={NAME}")
    port = free_tcp_port()
    q = Qemu(qemu_base(port) + ["-kernel", ELF, "-append", "console=com1", "-initrd", mods])
    g = Guest(q)
    r = {"counters": {}, "results": {}}
    try:
        first = g.wait(r"^\[\s*(\d+\.\d+)\] lgvisor ", 60, "lgvisor's first log line")
        r["hv_first"] = q.arrival(first.end())
        hv_start = q.arrival(first.start()) - float(first.group(1))
        ready = g.wait(r"ready in [\d.]+ ms", 60, "lgvisor ready")
        r["hv_ready"] = q.arrival(ready.end())
        kfirst = g.wait(rf"^\[{NAME}\] ", 120, "the guest's first line")
        r["kernel_first"] = q.arrival(kfirst.end())
        freeing = g.wait(rf"^\[{NAME}\] [^\r\n]*Freeing unused kernel memory", 180,
                         "the guest kernel's 'Freeing unused kernel memory'")
        r["kernel_done"] = q.arrival(freeing.end())
        while True:
            m = g.wait(rf"^\[{NAME}\] ([^\r\n]*)\r?\n", 120, "the guest's first userspace line")
            if not KERNEL_LINE.match(m.group(1)):
                break
        r["boot"] = q.arrival(m.end(1))
        r["boot_hv"] = r["boot"] - hv_start
        r["first_line"] = m.group(1).strip()
        # the shell: type until it answers (input typed before it started is
        # read by it later; an extra echo is harmless)
        end = time.monotonic() + 120
        while True:
            q.send(b"echo LGB''READY\r")
            try:
                g.wait(rf"^\[{NAME}\] LGBREADY", 3, "a shell on hvc0")
                break
            except BenchError:
                if time.monotonic() > end:
                    raise BenchError("no shell answered on hvc0 (does the initramfs's /init start one?)")
        time.sleep(0.5)
        g.pos = len(q.text())
        for test in TESTS:
            before = g.counters()
            start = len(q.text())
            m = g.run(f"/lgbench {test}", rf"^\[{NAME}\] LGBENCH (?:done|unknown|{test} failed)", 180)
            r["results"].update(parse_results(q.text()[start:m.end()]))
            r["counters"][test] = delta(before, g.counters())
        # the disk: cold reads, the page cache dropped before each
        dd = []
        before = g.counters()
        for i in range(DD_REPS):
            start = len(q.text())
            m = g.run(f"echo 3 > /proc/sys/vm/drop_caches; /lgbench run {DD_CMD}; echo LGB''DD$?",
                      rf"^\[{NAME}\] LGBDD(\d+)", 120)
            out = q.text()[start:m.start()]
            rate = dd_rate(out)
            if m.group(1) != "0" or rate is None:
                raise BenchError(f"{DD_CMD} failed: " + out[-500:].replace("\r", ""))
            dd.append(rate)
        c = delta(before, g.counters())
        c["_bytes"] = DD_REPS * (DISK_MIB << 20)
        r["counters"]["dd"] = c
        r["dd_read"] = best(dd)
        r["dd_all"] = dd
        # TCP through the guest's virtio-net and lgvisor's e1000
        before = g.counters()
        g.run(f"/lgbench tcp {TCP_IP}", rf"^\[{NAME}\] LGBENCH tcp (?:listening|none)[^\r\n]*", 60)
        if "LGBENCH tcp none" in q.text()[g.pos - 200:g.pos]:
            raise BenchError("lgbench tcp: " + q.text()[g.pos - 200:g.pos])
        r["tcp_rx"], r["tcp_tx"] = tcp_figures(port)
        g.wait(rf"^\[{NAME}\] LGBENCH tcp done", 60, "lgbench tcp to finish")
        c = delta(before, g.counters())
        c["_bytes"] = 2 * TCP_BYTES
        r["counters"]["tcp"] = c
    except BenchError as e:
        r["error"] = str(e)
    finally:
        q.close()
        r["log"] = q.text()
    return r


# ---- natively ----

def run_native(kernel):
    port = free_tcp_port()
    cmd = qemu_base(port) + ["-kernel", kernel, "-initrd", INITRD_OUT,
                         "-append", "earlyprintk=serial,ttyS0,115200,keep console=ttyS0 rdinit=/lgbench",
                         "-drive", f"file={DISK},format=raw,if=virtio,readonly=on"]
    q = Qemu(cmd)
    r = {"results": {}}
    try:
        kfirst = q.expect(r"Linux version", 120, 0, "the kernel's first line (natively)")
        r["kernel_first"] = q.arrival(kfirst.end())
        freeing = q.expect(r"Freeing unused kernel memory", 120, 0, "'Freeing unused kernel memory' (natively)")
        r["kernel_done"] = q.arrival(freeing.end())
        up = q.expect(r"LGBENCH up", 120, 0, "lgbench as init (natively)")
        r["boot"] = q.arrival(up.end())
        t = q.expect(r"LGBENCH tcp (listening|none)[^\r\n]*", 300, up.end(), "lgbench tcp (natively)")
        if t.group(1) == "listening":
            r["tcp_rx"], r["tcp_tx"] = tcp_figures(port)
        else:
            r["tcp_why"] = t.group(0).split("none", 1)[1].strip(" ()")
        m = q.expect(r"LGBENCH done", 300, t.end(), "lgbench to finish (natively)")
        text = q.text()[:m.end()]
        r["results"] = parse_results(text)
        runs = re.split(r"(?<=status=\d)", text[text.find("LGBENCH dd"):])
        dd = [x for x in (dd_rate(run) for run in runs if "LGBENCH run" in run) if x is not None]
        if dd:
            r["dd_read"] = best(dd)
        else:
            none = re.search(r"LGBENCH dd none \(([^)\r\n]*)", text)
            r["dd_why"] = none.group(1) if none else "dd printed nothing"
    except BenchError as e:
        r["error"] = str(e)
    finally:
        q.close()
        r["log"] = q.text()
    return r


def merge(runs):
    """The best of several rounds, figure by figure: the fastest boot (with
    its breakdown), each test's best result with that round's counters, the
    highest dd rate. The first failed round's error is kept."""
    if not runs:
        return {}
    m = {"results": {}, "counters": {}, "log": runs[0]["log"]}
    for r in runs:
        if "error" in r:
            m.setdefault("error", r["error"])
            m["log"] = r["log"]
    booted = [r for r in runs if "boot" in r]
    if booted:
        m["boot_all"] = [r["boot"] for r in booted]
        fastest = min(booted, key=lambda r: r["boot"])
        for k in ("boot", "boot_hv", "hv_first", "hv_ready", "kernel_first", "kernel_done", "first_line"):
            if k in fastest:
                m[k] = fastest[k]
    for test in TESTS:
        have = [r for r in runs if test in r.get("results", {})]
        if have:
            top = min(have, key=lambda r: r["results"][test]["value"])
            m["results"][test] = top["results"][test]
            if test in top.get("counters", {}):
                m["counters"][test] = top["counters"][test]
    dd = [r for r in runs if r.get("dd_read")]
    if dd:
        top = max(dd, key=lambda r: r["dd_read"])
        m["dd_read"] = top["dd_read"]
        m["dd_all"] = [x for r in dd for x in r.get("dd_all", [r["dd_read"]])]
        if "dd" in top.get("counters", {}):
            m["counters"]["dd"] = top["counters"]["dd"]
    for r in runs:
        if "dd_why" in r:
            m.setdefault("dd_why", r["dd_why"])
        if "tcp_why" in r:
            m.setdefault("tcp_why", r["tcp_why"])
    for k in ("tcp_rx", "tcp_tx"):
        have = [r[k] for r in runs if r.get(k)]
        if have:
            m[k] = max(have)
            m[k + "_all"] = have
    tcp = [r for r in runs if r.get("tcp_rx") and "tcp" in r.get("counters", {})]
    if tcp:
        m["counters"]["tcp"] = max(tcp, key=lambda r: r["tcp_rx"])["counters"]["tcp"]
    return m


# ---- report ----

def fmt(v):
    if v is None:
        return "-"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 1000 else f"{v:.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--linux", required=True, help="the guest kernel: bzImage or vmlinux")
    ap.add_argument("--initrd", required=True, help="initramfs (gzip'd cpio) whose /init starts a shell on hvc0")
    ap.add_argument("--native", default="", help="bzImage for the native baseline (default: --linux if a bzImage)")
    ap.add_argument("--args", default="console=hvc0", help="the guest kernel's command line on lgvisor")
    ap.add_argument("--verbose", action="store_true", help="print both serial logs")
    o = ap.parse_args()
    for p in (o.linux, o.initrd, ELF):
        if not os.path.exists(p):
            print(f"bench-linux: {p} not found", file=sys.stderr)
            return 2
    if not shutil.which("qemu-system-i386"):
        print("bench-linux: qemu-system-i386 not found (make deps)", file=sys.stderr)
        return 2
    native = o.native or (o.linux if kind(o.linux) == "bzimage" else "")
    t = time.monotonic()
    try:
        build_lgbench()
    except BenchError as e:
        print(f"bench-linux: {e}", file=sys.stderr)
        return 2
    make_initrd(o.initrd)
    make_disk()

    # rounds alternate between lgvisor and native, so that a busy spell on
    # the host does not land on one side only
    lg_runs, nat_runs = [], []
    for i in range(ROUNDS):
        lg_runs.append(run_lgvisor(o.linux, INITRD_OUT, o.args))
        if native:
            nat_runs.append(run_native(native))
        if o.verbose or os.environ.get("BENCH_VERBOSE"):
            print(lg_runs[-1]["log"].replace("\r", ""))
            print(nat_runs[-1]["log"].replace("\r", "") if nat_runs else "")
        if "error" in lg_runs[-1] or (nat_runs and "error" in nat_runs[-1]):
            break
    lg = merge(lg_runs)
    if native:
        nat = merge(nat_runs)
    else:
        nat = {"error": f"{o.linux} is not a bzImage and no NATIVE=bzImage was given"}

    ok = "error" not in lg
    res, nres = lg.get("results", {}), nat.get("results", {})
    rows = []
    for name, unit, test, ref in FIGURES:
        if test:
            v = res.get(test, {}).get("value")
            b = nres.get(test, {}).get("value")
        else:
            v, b = lg.get(name), nat.get(name)
        if v is None:
            ok = False
        rows.append((name, unit, test, ref, v, b))

    # stable lines
    for name, unit, test, ref, v, b in rows:
        notes = []
        if ref[0] == "abs":
            notes.append(f"reference {ref[1]} {unit}")
        elif ref[0] == "ratio":
            notes.append(f"reference ratio {ref[1]}")
        if name == "boot" and v is not None:
            notes.append(f"best of " + "/".join(f"{x:.2f}" for x in lg["boot_all"])
                         + (" vs " + "/".join(f"{x:.2f}" for x in nat["boot_all"]) if b is not None else ""))
            notes.append(f"first line {lg['first_line'][:30]!r}, {lg['boot_hv']:.2f} s after lgvisor started; "
                         f"lgvisor's first line {lg['hv_first']:.2f} s, ready {lg['hv_ready']:.2f} s, "
                         f"guest kernel's first line {lg['kernel_first']:.2f} s, "
                         f"'Freeing unused kernel memory' {lg['kernel_done']:.2f} s")
            if b is not None:
                notes.append(f"native: kernel's first line {nat['kernel_first']:.2f} s, 'Freeing' "
                             f"{nat['kernel_done']:.2f} s, then lgbench as init")
        if name == "dd_read" and v is not None:
            notes.append(f"best of {len(lg['dd_all'])} runs ({min(lg['dd_all']):.0f}-{max(lg['dd_all']):.0f})")
            if b is None:
                notes.append(f"no native figure: {nat.get('dd_why') or nat.get('error', '?')}")
        if name.startswith("tcp_") and v is not None:
            notes.append(f"16 MiB {'to' if name == 'tcp_rx' else 'from'} the guest, best of "
                         + "/".join(f"{x:.2f}" for x in lg[name + "_all"])
                         + (" vs " + "/".join(f"{x:.2f}" for x in nat[name + "_all"]) if b is not None else ""))
            notes.append("ratio: higher is better, goal 0.80")
            if b is None:
                notes.append(f"no native figure: {nat.get('tcp_why') or nat.get('error', '?')}")
        key = test or {"dd_read": "dd", "tcp_rx": "tcp"}.get(name, "")
        c = lg["counters"].get(key, None)
        if c and v is not None:
            per = c.get("_bytes", 0) / 65536 or res.get(test, {}).get("all") or 1
            per_what = ("per 64 KiB moved" if name == "tcp_rx" else "per 64 KiB read") if "_bytes" in c else "per op"
            notes.append(per_what + ": " + ", ".join(f"{k} {c[k] / per:.2f}" for k in
                                                     ("exits", "hypercalls", "reflected", "pf_fixed", "syscall_exits")))
            if b is not None and test and c["exits"] / per >= 0.5:
                scale = {"us/run": 1000}.get(unit, 1)
                notes.append(f"{(v - b) * scale / (c['exits'] / per):.0f} ns extra per exit")
            if c.get("_host_samples"):
                notes.append(f"{c['_host_cycles'] / c['_host_samples']:.0f} TSC cycles in lgvisor per exit")
            detail = sorted(((n, k) for k, n in c.items() if k not in COUNTERS and not k.startswith("_")
                             and n / per >= 0.1), reverse=True)
            if detail:
                notes.append("of which " + ", ".join(f"{k} {n / per:.2f}" for n, k in detail))
        if v is None:
            print(f"bench linux_{name} missing  # {lg.get('error', 'no figure')}")
        elif b is None:
            print(f"bench linux_{name} {fmt(v)} {unit}  # " + "; ".join(notes))
        else:
            print(f"bench linux_{name} {fmt(v)} {unit} baseline native {fmt(b)} {unit} ratio {v / b:.2f}  # "
                  + "; ".join(notes))

    # the table
    print()
    print(f"{'figure':<16}{'lgvisor':>12}{'native':>12}{'ratio':>8}   {'reference (Linux lguest host)':<30}unit")
    for name, unit, test, ref, v, b in rows:
        ratio = f"{v / b:.2f}" if v is not None and b else "-"
        refs = f"{ref[1]}x native" if ref[0] == "ratio" else f"{ref[1]} {unit}" if ref[0] == "abs" else "-"
        print(f"{name:<16}{fmt(v):>12}{fmt(b):>12}{ratio:>8}   {refs:<30}{unit}")
    if "error" in lg:
        print(f"# lgvisor run failed: {lg['error']}")
        print(lg["log"][-3000:].replace("\r", ""))
    if "error" in nat:
        print(f"# native baseline: {nat['error']}")
        if nat.get("log"):
            print(nat["log"][-2000:].replace("\r", ""))
    print(f"# {time.monotonic() - t:.0f} s; lgvisor guest mem={GUEST_MEM}, QEMU -m {QEMU_MEM}, "
          f"{os.environ.get('ACCEL', 'tcg')}; under TCG times are emulated: compare ratios")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
