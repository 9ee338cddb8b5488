"""Looking into a guest: the monitor's pause/unpause and regs, and the gdb
stub on the second serial port driven by Debian's real gdb in batch mode
against our guest's ELF (test=ticker: ticker_step runs every 10 ms, and
ticker_count counts). QEMU's COM2 is a TCP server on 127.0.0.1 on a fresh
port; a hostile client sends malformed packets there before gdb does."""
import os
import random
import re
import socket
import subprocess
import tempfile
import time

import guest_cases as cases
from boot_tests import ELF, check
from guest_tests import guest_lines, modules
from qemu import boot

TICKER = "test=ticker"
TO_MONITOR = b"\x1d\x1d"        # two guests: Ctrl-] past both


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def com2_tcp(port):
    return ["-serial", f"tcp:127.0.0.1:{port},server=on,wait=off"]


def tickers(out, name):
    return [int(ln.split()[1]) for ln in guest_lines(out, name) if re.match(r"ticker \d+$", ln)]


def both_ticked(n):
    """A regex for: a and b have both printed ticker n, in either order."""
    return rf"^(?=[\s\S]*\[a\] ticker {n}\s)(?=[\s\S]*\[b\] ticker {n}\s)"


def between(out, start, end):
    """The text from the first `start` to the first `end` after it."""
    i = out.find(start)
    if i < 0:
        return ""
    j = out.find(end, i)
    return out[i:j] if j >= 0 else out[i:]


def pause_test():
    """Guest a on CPU 1 is paused from the monitor on CPU 0: its counter
    stands still while b's goes on, regs and guests show it, and after
    unpause it goes on from the very value it stopped at."""
    def run():
        tag = "debug/pause-smp2"
        b = boot(kernel=ELF, append="console=com1", timeout=240, extra=["-smp", "2"],
                 initrd=modules([("a", "16M", TICKER, "cpu=1"), ("b", "16M", TICKER, "cpu=0")]),
                 send=[(both_ticked(40), TO_MONITOR),
                       (r"lgvisor monitor", b"pause a\r"),
                       (r"guest a paused" + r"[\s\S]*\[b\] ticker \d+\s" * 5, b"regs a\rguests\r"),
                       (r"(?m)^b\s+running.*\s", b"unpause a\r")],
                 until=r"guest a unpaused[\s\S]*(\[a\] ticker \d+\s[\s\S]*){3}")
        out = b.output
        results = []
        # from b's first line after the pause on: a line a was printing as
        # the pause came may still be on its way out before it
        start = out.find("[b] ticker", out.find("guest a paused")) if "guest a paused" in out else -1
        paused = between(out[start:], "[b] ticker", "guest a unpaused") if start >= 0 else ""
        check(results, f"{tag}/paused", paused and "guest a unpaused" in out,
              "no pause/unpause answers: " + out[-1500:])
        check(results, f"{tag}/stands-still", paused and not tickers(paused, "a"),
              f"a ticked while paused: {tickers(paused, 'a')}")
        check(results, f"{tag}/others-run", len(tickers(between(out, "guest a paused", "guest a unpaused"), "b")) >= 5,
              f"b while a was paused: {tickers(paused, 'b')}")
        check(results, f"{tag}/guests-shows-paused",
              re.search(r"(?m)^a\s+running\s+(?:halted\s+)?paused\s+cpu 1", out), out[-1500:])
        before, after = tickers(out[:out.find("guest a unpaused")], "a"), \
            tickers(out[out.find("guest a unpaused"):], "a")
        check(results, f"{tag}/resumes-where-it-was", before and after and after[0] == before[-1] + 20,
              f"last before {before[-1:]}, first after {after[:1]}")
        m = re.search(r"guest a \(paused, cpu 1\): registers saved at its last exit\n"
                      r"  eax [0-9a-f]{8} .*\n  esi .*\n  eip (c[0-9a-f]{7})  eflags ([0-9a-f]{8})"
                      r"  cs 0061 ss 0069 .*\n  last trap: (\d+) \(", out)
        check(results, f"{tag}/regs", m and int(m.group(2), 16) & 0x200,
              "regs output: " + between(out, "regs a", "guests"))
        return results
    return run


def regs_trap_test():
    """regs NAME names a trap a guest really took: the page faults of the
    checksum guest (vector 14 with the faulting address in cr2)."""
    def run():
        tag = "debug/regs-trap"
        b = boot(kernel=ELF, append="console=com1", timeout=180,
                 initrd=modules([("c", "16M", "test=checksum loops=100000"), ("t", "16M", TICKER)]),
                 send=[(r"\[t\] ticker 20\s", TO_MONITOR), (r"lgvisor monitor", b"regs c\rregs nosuch\r")],
                 until=r"no guest named 'nosuch'")
        out = b.output
        results = []
        m = re.search(r"last trap: (\d+) \(([^)]*)\) error ([0-9a-f]{8}) at eip ([0-9a-f]{8})(?: cr2 ([0-9a-f]{8}))?", out)
        check(results, f"{tag}/last-trap", m and m.group(4).startswith("c0"), out[-1500:])
        check(results, f"{tag}/page-fault-cr2", m and (m.group(1) != "14" or m.group(5)),
              m and m.group(0))
        check(results, f"{tag}/unknown-guest", "no guest named 'nosuch'" in out, out[-500:])
        return results
    return run


def gdb_command(port, commands, log):
    args = ["gdb", "-nx", "-batch", "-ex", "set remotetimeout 30",
            "-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        args += ["-ex", c]
    args.append(cases.GUEST_ELF)
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


GDB_SESSION = ["break ticker_step", "continue", "print ticker_count", "print/x $pc", "stepi",
               "print/x $pc", "continue", "print ticker_count", "set var ticker_count = 1000",
               "print ticker_count", "info registers eip", "delete", "detach"]


class GdbDriver:
    """Starts gdb once `ready` appears in the boot output (the stub is
    attached), then ends the boot once gdb has finished and guest a has
    printed `after` ticker lines since the stub let go of it."""
    def __init__(self, port, ready, commands=GDB_SESSION, after=3, before=None):
        self.port, self.ready, self.commands, self.after = port, ready, commands, after
        self.before = before        # called (once) just before gdb starts
        self.proc = None
        self.log = tempfile.TemporaryFile()
        self.finished_at = None

    def __call__(self, text):
        text = text.replace("\r\n", "\n")     # boot() hands over the raw serial text
        if self.proc is None:
            if self.ready not in text:
                return False
            if self.before:
                self.before()
            self.proc = gdb_command(self.port, self.commands, self.log)
            return False
        if self.proc.poll() is None:
            return False
        rest = text[text.find("gdb: detached from guest a"):] if "gdb: detached from guest a" in text else ""
        return len(tickers(rest, "a")) >= self.after

    def output(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")


def gdb_checks(results, tag, out, gout):
    check(results, f"{tag}/break", re.search(r"Breakpoint 1, ticker_step \(n=\d+\)", gout), gout[-1500:])
    vals = [int(v) for v in re.findall(r"(?m)^\$\d+ = (\d+)$", gout)]
    check(results, f"{tag}/read-variable", len(vals) >= 2 and vals[1] == vals[0] + 1,
          f"ticker_count values {vals}: one breakpoint hit apart")
    pcs = [int(v, 16) for v in re.findall(r"(?m)^\$\d+ = (0x[0-9a-f]+)$", gout)]
    check(results, f"{tag}/stepi", len(pcs) == 2 and 0 < pcs[1] - pcs[0] <= 15,
          f"pc before and after stepi: {[hex(p) for p in pcs]}")
    check(results, f"{tag}/write-variable", len(vals) >= 3 and vals[2] == 1000, f"values {vals}")
    check(results, f"{tag}/detached", "detached" in gout and "gdb: detached from guest a" in out,
          gout[-800:])
    after = tickers(out[out.find("gdb: detached from guest a"):], "a")
    check(results, f"{tag}/runs-on", len(after) >= 3, f"a after detach: {after}")
    during = between(out, "attached on COM2", "gdb: detached from guest a")
    check(results, f"{tag}/others-run", len(tickers(during, "b")) >= 2,
          f"b during the session: {tickers(during, 'b')}")
    check(results, f"{tag}/hypervisor-alive", "hypervisor fault" not in out and "stopped:" not in out,
          out[-1500:])


def gdb_boot_test():
    """gdb=on holds guest a before its first instruction; gdb breaks at
    ticker_step, reads and writes ticker_count, single-steps, continues,
    detaches, and a runs on; b runs all along."""
    def run():
        tag = "debug/gdb"
        port = free_port()
        drv = GdbDriver(port, "gdb: guest a attached on COM2")
        b = boot(kernel=ELF, append="console=com1", timeout=300, extra=com2_tcp(port),
                 initrd=modules([("a", "16M", TICKER, "gdb=on"), ("b", "16M", TICKER)]), until=drv)
        gout = drv.output()
        results = []
        check(results, f"{tag}/held", re.search(r"held until gdb continues it", b.output), b.output[-800:])
        gdb_checks(results, tag, b.output, gout)
        return results
    return run


def hostile_bytes():
    """(bytes to send, replies that must come back)."""
    def pkt(body):
        return b"$" + body + b"#%02x" % (sum(body) & 0xFF)
    e01, e0e = b"+" + pkt(b"E01"), b"+" + pkt(b"E0e")
    big = b"m" + b"1" * 20000
    rnd = random.Random(15)
    noise = bytes(rnd.randrange(256) for _ in range(20000)).replace(b"\x03", b"")
    parts = [
        (b"\x00\xff garbage }#\x7f", []),
        (b"$g#00", [b"-"]),                             # bad checksum
        (b"$g#zz", [b"-"]),                             # not a checksum
        (pkt(big), [e01]),                      # longer than PacketSize
        (pkt(b"m123456789,4"), [e01]),          # address beyond 32 bits
        (pkt(b"mffc00000,ffffffff"), [e0e]),    # the hypervisor's pages: not the guest's
        (pkt(b"M10000,2:cc"), [e01]),           # length and data disagree
        (pkt(b"Mc0100000,1:zz"), [e01]),        # not hex
        (pkt(b"G0011"), [e01]),                 # too few registers
        (pkt(b"Z0,ffffffff,1"), [e0e]),         # unmapped breakpoint
        (pkt(b"m1\x00,4"), [e01]),              # a NUL inside
        (b"-" * 40, []),                                # NAKs: the last reply again, no more
        (noise, []),
        (b"$unterminated" + b"x" * 5000, []),
    ]
    return parts


def hostile_client(port, log):
    """Sends every hostile part; returns what came back (bytes)."""
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.settimeout(0.5)
        for data, _ in hostile_bytes():
            for i in range(0, len(data), 1024):
                s.sendall(data[i:i + 1024])
                time.sleep(0.01)        # about the line's own speed: nothing is lost to the FIFO
            time.sleep(0.2)
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 3:
            try:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
                quiet_since = time.monotonic()
            except socket.timeout:
                pass
    log.append(got)
    return got


def gdb_hostile_test():
    """Guest a on CPU 1 is attached from the monitor (gdb a); a hostile
    client sends malformed packets, huge lengths, bad checksums and random
    bytes: each is refused with the right reply, the hypervisor and b run
    on, and then real gdb debugs a as if nothing had happened."""
    def run():
        tag = "debug/gdb-hostile-smp2"
        port = free_port()
        replies = []
        drv = GdbDriver(port, "gdb: guest a attached on COM2",
                        before=lambda: hostile_client(port, replies))
        b = boot(kernel=ELF, append="console=com1", timeout=300,
                 extra=["-smp", "2"] + com2_tcp(port),
                 initrd=modules([("a", "16M", TICKER, "cpu=1"), ("b", "16M", TICKER, "cpu=0")]),
                 send=[(both_ticked(20), TO_MONITOR),
                       (r"lgvisor monitor", b"gdb a\r")],
                 until=drv)
        gout = drv.output()
        out = b.output
        got = replies[0] if replies else b""
        results = []
        missing = [want for data, wants in hostile_bytes() for want in wants if want not in got]
        check(results, f"{tag}/refused", got and not missing,
              f"replies missing: {missing[:4]}; got {got[:300]!r}; timed out {b.timed_out}; "
              f"console: {out[-1200:]}")
        during = between(out, "attached on COM2", "gdb: detached from guest a")
        check(results, f"{tag}/others-run-meanwhile", len(tickers(during, "b")) >= 5,
              f"b meanwhile: {tickers(during, 'b')}")
        gdb_checks(results, f"{tag}/after", out, gout)
        return results
    return run


def tests():
    # the -smp2 ones pick their CPUs (cpu=1): like smp/..., the first pass only
    return [("debug/pause-smp2", pause_test()),
            ("debug/regs-trap", regs_trap_test()),
            ("debug/gdb", gdb_boot_test()),
            ("debug/gdb-hostile-smp2", gdb_hostile_test())]
