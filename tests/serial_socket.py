"""QEMU's console port on a TCP socket instead of stdio, so that a test can
read it at a chosen speed: lgvisor's console queue must then drop what the
line cannot carry, with a count, and never slow the machine down.

The test listens on a fresh port on 127.0.0.1 (small receive buffer, so the
kernel's socket buffers do not stand in for a slow reader) and QEMU
connects to it as the serial port's chardev."""
import re
import socket
import subprocess
import threading
import time

from qemu import qemu_command

LINE_RATE = 11520           # bytes/s: 115,200 bit/s with 10 bits a byte


class SerialSocket:
    def __init__(self, rate=None, **kw):
        self.rate = rate            # bytes/s the reader takes, None: as fast as it comes
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        port = self.listener.getsockname()[1]
        cmd = qemu_command(**kw)
        i = cmd.index("stdio")
        cmd[i] = f"tcp:127.0.0.1:{port}"
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.listener.settimeout(30)
        self.conn, _ = self.listener.accept()
        self.data = bytearray()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def _reader(self):
        start = time.monotonic()
        got = 0
        while True:
            if self.rate:
                # never ahead of the line: small reads, sleeping off any lead
                ahead = got / self.rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
            try:
                chunk = self.conn.recv(64 if self.rate else 65536)
            except OSError:
                return
            if not chunk:
                return
            got += len(chunk)
            with self.lock:
                self.data += chunk

    def text(self):
        with self.lock:
            return self.data.decode("utf-8", "replace").replace("\r\n", "\n")

    def wait(self, pattern, timeout, since=0):
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = rx.search(self.text(), since)
            if m:
                return m
            if self.proc.poll() is not None:
                return None
            time.sleep(0.05)
        return None

    def send(self, data):
        self.conn.sendall(data)

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.conn.close()
        self.listener.close()
        self.thread.join(timeout=2)
