"""The console and the monitor around it: dmesg, console NAME, the key back
to the monitor, loglevel at run time, the prompt redrawn after
asynchronous output, and a slow serial reader that must cost the machine
nothing (lines are dropped, with a count, instead)."""
import re
import time
from concurrent.futures import ThreadPoolExecutor

from boot_tests import ELF, check
from guest_tests import modules
from qemu import boot
from serial_socket import LINE_RATE, SerialSocket

MONITOR_KEY = b"\x1c"       # Ctrl-\


def after(text, marker, pattern):
    """pattern occurs after the first marker."""
    i = text.find(marker)
    return i >= 0 and re.search(pattern, text[i:], re.M) is not None


def monitor_test():
    """One boot: a shell guest s (the focus) and a hello guest h that ends.
    Ctrl-\\ to the monitor; dmesg; console h (it stopped: its output, no
    focus); loglevel warning hides h's restart lines, info shows them
    again, a bad level is refused; console s (its banner, then live: a
    typed line reaches its shell); Ctrl-\\ back; the monitor answers."""
    def run():
        results = []
        tag = "console/monitor"
        send = [(r"(?s)(?=.*guest h: stopped \(powered off\))(?=.*\[s\] lgtest\$ )", MONITOR_KEY),
                (r"-- console: lgvisor monitor[^\n]*\nlgvisor> ", b"dmesg\r"),
                (r"-- dmesg: (.|\n)*ready in [^\n]*\n(.|\n)*lgvisor> ", b"console h\r"),
                (r"guest h is not running", b"loglevel warning\r"),
                (r"loglevel: warning", b"restart h\r"),
                (r"(?s)loglevel: warning.*\[h\] DONE", b"loglevel info\r"),
                (r"loglevel: info", b"restart h\r"),
                (r"(?s)loglevel: info.*guest h: stopped \(powered off\)", b"loglevel loud\r"),
                (r"is not one of", b"console s\r"),
                (r"-- console s:(.|\n)*-- console: guest s", b"echo hi-there\r"),
                (r"\[s\] hi-there", MONITOR_KEY),
                (r"(?s)hi-there.*-- console: lgvisor monitor", b"guests\r")]
        b = boot(until=r"(?s)hi-there.*\n+s\s+running", timeout=120, kernel=ELF, append="console=com1",
                 initrd=modules([("s", "16M", "test=shell"), ("h", "16M", "test=hello")]),
                 e1000=False, send=send)
        out = b.output
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
        dm = out.find("-- dmesg:")
        check(results, f"{tag}/dmesg-boot-lines",
              dm >= 0 and re.search(r"\] lgvisor \S+: a type-1 hypervisor", out[dm:])
              and re.search(r"\] guest h: stopped \(powered off\)", out[dm:]),
              "dmesg did not list the boot log: " + out[dm:dm + 500])
        ch = out.find("-- console h:")
        nr = out.find("guest h is not running")
        check(results, f"{tag}/console-history",
              0 <= ch < nr and "[h] PASS hello/ram" in out[ch:nr] and "[h] DONE 2 passed" in out[ch:nr],
              "console h did not show h's output: " + out[ch:ch + 400])
        w, i = out.find("loglevel: warning"), out.find("loglevel: info")
        check(results, f"{tag}/loglevel-warning-hides-info",
              0 <= w < i and "restarting from the console" not in out[w:i] and "[h] DONE" in out[w:i],
              out[w:i][-600:])
        check(results, f"{tag}/loglevel-info-shows-again",
              i >= 0 and "guest h: restarting from the console" in out[i:], out[i:i + 600])
        check(results, f"{tag}/loglevel-bad-refused",
              "loglevel: 'loud' is not one of error, warning, info, debug (now info)" in out, "")
        cs = out.find("-- console s:")
        live = out.find("-- console: guest s", cs)
        check(results, f"{tag}/console-then-live",
              0 <= cs < live and "[s] lgtest: booted" in out[cs:live] and "[s] hi-there" in out[live:],
              out[cs:cs + 600])
        check(results, f"{tag}/monitor-key", after(out, "[s] hi-there", r"^s\s+running"),
              "Ctrl-\\ did not bring the monitor back: " + out[-800:])
        return results
    return run


def prompt_test():
    """Half a command typed while the hypervisor logs a line every 10 ms
    (test_ticks): each log line starts on a line of its own, the prompt
    and the typed text come back after it, and the finished command runs."""
    def run():
        results = []
        tag = "console/prompt-redraw"
        b = boot(until=r"no guests", timeout=60, kernel=ELF, append="console=com1 test_ticks=300",
                 e1000=False, send=[(r"lgvisor> ", b"gue"),
                                    (r"selftest: tick \d+ at [^\n]*\nlgvisor> gue", b"sts\r")])
        out = b.output
        check(results, f"{tag}/redrawn-then-run", not b.timed_out and "no guests" in out,
              "the typed text was not redrawn, or the command did not run: " + out[-1500:])
        glued = re.search(r"lgvisor> [^\n]*\[ *\d+\.\d+\]", out)
        check(results, f"{tag}/never-inside-the-line", not glued, glued and glued.group(0))
        return results
    return run


SPAM_LINE = re.compile(r"\[spam\] spam +\d+ the quick brown fox jumps over the lazy dog, again and again$")
CHECKSUM_LOOPS = 240


NEIGHBOURS = [("c", "16M", f"test=checksum loops={CHECKSUM_LOOPS}"),
              ("spam", "16M", "test=spam loops=1000000"),
              ("crash", "16M", "test=kill:hcall-20", "on_kill=restart")]


def neighbour_run(rate, guests=NEIGHBOURS):
    """Three guests on one CPU: c (checksum, the neighbour whose time is
    measured), spam (prints console lines as fast as it can, far more
    than 115,200 bit/s carry; not throttled by any restart back-off) and
    crash (faults at once, on_kill=restart). The serial port is read at
    `rate` bytes/s (None: as fast as it comes). c's own run time comes from
    `console c`, which needs no line to have survived the flood.
    Returns (ms or None, output)."""
    mods = modules(guests)
    s = SerialSocket(rate=rate, kernel=ELF, append="console=com1", initrd=mods, e1000=False)
    try:
        if not s.wait(r"ready in", 60):
            return None, s.text()
        s.send(MONITOR_KEY)
        end = time.monotonic() + 240
        while time.monotonic() < end:
            pos = len(s.text())
            s.send(b"guests\r")
            m = s.wait(r"(?m)^c\s+(running|stopped)", 30, pos)
            if m and m.group(1) == "stopped":
                break
            time.sleep(1)
        pos = len(s.text())
        s.send(b"console c\r")
        m = s.wait(r"\[c\] checksum: [^\n]*, (\d+) ms", 60, pos)
        return (int(m.group(1)) if m else None), s.text()
    finally:
        s.close()


def slow_reader_test():
    """With the serial port read at 115,200 bit/s beside a spamming and a
    crash-looping guest, the checksum neighbour still finishes, the drop
    count is shown and no line on the wire is cut; the same run with a
    fast reader beside it as a control. What the slow reader costs the
    neighbour in time is a figure, not a check: `make bench` measures it
    (console_slow_reader), where nothing else shares the host."""
    def run():
        results = []
        tag = "console/slow-reader"
        with ThreadPoolExecutor(max_workers=2) as pool:
            fast, slow = pool.submit(neighbour_run, None), pool.submit(neighbour_run, LINE_RATE)
            pairs = [(fast.result(), slow.result())]
        f, sl = pairs[0][0][0], pairs[0][1][0]
        check(results, f"{tag}/measured", f and sl,
              f"fast {f}, slow {sl}: " + (pairs[0][1][1] or "")[-1500:])
        if not f or not sl:
            return results
        print(f"console/slow-reader: checksum {f} ms with a fast reader, {sl} ms read at "
              f"{LINE_RATE} bytes/s (a figure only: make bench measures it)")
        text = pairs[0][1][1]
        drops = re.findall(r"(?m)^\[\.\.\. (\d+) lines dropped\]$", text)
        check(results, f"{tag}/drop-count-shown", drops and sum(map(int, drops)) > 0,
              "no '[... N lines dropped]' line: " + text[-800:])
        # the last piece may still have been on the wire when the run ended
        whole = text.split("\n")[:-1]
        cut = [ln for ln in whole if ln.startswith("[spam] spam") and not SPAM_LINE.match(ln)]
        check(results, f"{tag}/no-cut-lines", not cut, str(cut[:3]))
        return results
    return run


def tests():
    return [("console/monitor", monitor_test()), ("console/prompt-redraw", prompt_test()),
            ("console/slow-reader", slow_reader_test())]
