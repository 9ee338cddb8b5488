"""The C wire peer (tests/netblast.c) from Python: built on demand with the
host's gcc into build/test/netblast, run as a child, driven line by line.
See netblast.c for the commands."""
import os
import subprocess

from boot_tests import TESTDIR

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "netblast.c")
BIN = os.path.join(TESTDIR, "netblast")


def build():
    os.makedirs(TESTDIR, exist_ok=True)
    if not os.path.exists(BIN) or os.path.getmtime(BIN) < os.path.getmtime(SRC):
        subprocess.run(["gcc", "-O2", "-Wall", "-o", BIN, SRC], check=True)
    return BIN


def udp_drops(port):
    """The kernel's drop counter of the UDP socket bound to 127.0.0.1:port
    (QEMU's end of -netdev dgram): datagrams that arrived while its buffer
    was full, because QEMU had stopped reading (its NIC had no free receive
    descriptor) or read too slowly. None when no such socket is found."""
    want = f"0100007F:{port:04X}"
    try:
        with open("/proc/net/udp") as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[1] == want:
                    return int(cols[-1])
    except OSError:
        pass
    return None


class Blaster:
    def __init__(self, qemu_port, mac, ip, port=0):
        self.p = subprocess.Popen([build(), str(port), str(qemu_port), mac, ip], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, bufsize=1)
        first = self.p.stdout.readline().split()
        if first[:1] != ["port"]:
            raise RuntimeError(f"netblast did not start: {first}")
        self.port = int(first[1])

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        reply = self.p.stdout.readline().strip()
        if reply.startswith("error") or not reply:
            raise RuntimeError(f"netblast: {line!r}: {reply!r}")
        return reply

    def blast(self, n, length, dst_mac, kind="raw", dst_ip=None, dport=None):
        """Sends n frames at full speed; seconds taken."""
        extra = f" {dst_ip} {dport}" if kind == "udp" else ""
        w = self.cmd(f"blast {n} {length} {dst_mac} {kind}{extra}").split()
        return int(w[3]) / 1e9

    def sink(self, port):
        self.cmd(f"sink {port}")

    def stats(self):
        w = self.cmd("stats").split()
        return {w[i]: int(w[i + 1]) for i in range(1, len(w) - 1, 2)}

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass
        try:
            self.p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.p.kill()
