"""Boots lgvisor under QEMU (software emulation) and captures its serial port.

A boot ends when the output matches `until` (and the line then arriving
is complete), when QEMU exits, or at the timeout; the caller then asserts
on the text. Input can be typed into the serial port once a prompt has
appeared.
"""
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"


class Boot:
    def __init__(self, output, elapsed, timed_out, exited=False):
        self.output = output
        self.elapsed = elapsed
        self.timed_out = timed_out
        self.exited = exited            # QEMU ended by itself (power-off, or a reset with -no-reboot)


def qemu_command(machine="pc", firmware="bios", iso=None, kernel=None, append="",
                 initrd=None, mem="256M", e1000=True, serial_port=1, extra=(), reboot=False):
    accel = os.environ.get("ACCEL", "tcg")
    if firmware == "uefi":
        # GRUB's x86_64 EFI build needs a 64-bit capable CPU and QEMU binary
        cmd = ["qemu-system-x86_64", "-cpu", "core2duo"]
    else:
        cmd = ["qemu-system-i386", "-cpu", "coreduo"]
    cmd += ["-machine", machine, "-accel", accel, "-m", mem, "-display", "none",
            "-monitor", "none"]
    # a reset ends QEMU, unless the test wants to see the machine restart
    if not reboot:
        cmd += ["-no-reboot"]
    # the console port's output goes to stdout; the other port is discarded
    cmd += ["-serial", "stdio"] if serial_port == 1 else ["-serial", "null", "-serial", "stdio"]
    if e1000:
        cmd += ["-netdev", "user,id=net0,restrict=on", "-device", "e1000,netdev=net0"]
    else:
        cmd += ["-nic", "none"]
    if iso:
        cmd += ["-cdrom", iso]
    # the whole suite on more CPUs (TEST_SMP=2) or with extra hypervisor
    # options (TEST_APPEND=cpus=1); a test that sets -smp itself keeps it
    smp = os.environ.get("TEST_SMP")
    if smp and "-smp" not in extra:
        cmd += ["-smp", smp]
    if kernel and os.environ.get("TEST_APPEND"):
        append = (append + " " + os.environ["TEST_APPEND"]).strip()
    if kernel:
        cmd += ["-kernel", kernel, "-append", append]
        if initrd:
            cmd += ["-initrd", initrd]
    cmd += list(extra)
    return cmd


def boot(until=None, timeout=60, send=None, **kw):
    """Runs QEMU until `until` (regex) appears in the output.

    send: list of (regex, bytes): when regex first appears, type bytes.
    """
    tmp = tempfile.mkdtemp(prefix="lgvisor-qemu-")
    extra = list(kw.pop("extra", ()))
    if kw.get("firmware") == "uefi":
        vars_copy = os.path.join(tmp, "vars.fd")
        shutil.copy(OVMF_VARS, vars_copy)
        extra += ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
                  "-drive", f"if=pflash,format=raw,file={vars_copy}"]
    cmd = qemu_command(extra=extra, **kw)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    chunks = []
    lock = threading.Lock()

    def reader():
        while True:
            data = proc.stdout.read1(4096)
            if not data:
                return
            with lock:
                chunks.append(data)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()

    def finish_line(text, limit=1.0):
        # lgvisor sends at the line's baud rate: the line that matched may
        # still be arriving; wait for its end (or for the output to pause)
        end = time.monotonic() + limit
        while not text.endswith("\n") and time.monotonic() < end:
            time.sleep(0.05)
            with lock:
                now = b"".join(chunks).decode("utf-8", "replace")
            if now == text:
                return
            text = now

    pending = list(send or [])
    # until: a regex, or a function of the text so far
    pattern = until if callable(until) else (re.compile(until).search if until else None)
    start = time.monotonic()
    timed_out = True
    exited = False
    try:
        while time.monotonic() - start < timeout:
            with lock:
                text = b"".join(chunks).decode("utf-8", "replace")
            if pending and re.search(pending[0][0], text):
                proc.stdin.write(pending.pop(0)[1])
                proc.stdin.flush()
                continue
            # a function sees the text even while sends are pending (it may be watching it)
            hit = pattern(text) if pattern else False
            if hit and not pending:
                timed_out = False
                finish_line(text)
                break
            if proc.poll() is not None:
                timed_out = False
                exited = True
                break
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
        thread.join(timeout=2)
        shutil.rmtree(tmp, ignore_errors=True)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return Boot(text, time.monotonic() - start, timed_out, exited)
