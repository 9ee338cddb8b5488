"""make bench: boots lgvisor with bench=on (so it measures its bare-metal
baselines first) and benchmark guests, and prints one line per figure, each
against a baseline measured in the same boot:

  bench NAME N UNIT baseline BASE M UNIT ratio R [# details]

Three boots:
  1. lgtest test=bench: round trips, medians of many runs in TSC cycles.
     Ratio = guest / bare (higher is worse).
  2. lgtest test=blkbench on a 32 MiB disk module: sequential write and read
     MB/s in 4 KiB and 64 KiB requests against the hypervisor's memcpy of
     the same block size (a ramdisk request is that copy plus the ring
     work). Ratio = guest / memcpy. (Under TCG the memcpy baseline copies
     between areas 16 MiB apart, which thrash QEMU's direct-mapped soft TLB:
     it is >10x slower than the same copy a page further on, so these
     ratios come out above 1.)
  3. lgtest test=netbench, QEMU's e1000 wired to a Python peer with
     `-netdev dgram` on 127.0.0.1 (fresh ports, nothing leaves the host):
     guest->wire (net_tx) and wire->guest (net_rx) frames/s and Mbit/s of
     1514-byte frames against the e1000 driven by the hypervisor alone
     before the guest starts (e1000_tx, e1000_rx). Ratio = guest / bare.
     Receive figures are first-to-last frame at the receiver; the comment
     says how many of the peer's frames arrived and how fast the peer sent
     them, and "PEER-BOUND" when the receiver kept up with the peer: then
     the figure is the Python peer's send rate (about 200-250k frames/s
     under TCG), not lgvisor's. The bare e1000_rx usually is.

  4. smp_scaling: two CPU-bound checksum guests on -smp 2, once with every
     CPU and once with cpus=1; loops per second of the hypervisor's clock
     from "ready" to the last stop. Ratio = the speed-up (higher is better).

  5. wake_ping: guest-to-guest ping round trip (two idle shells) beside three
     CPU-bound guests on one CPU, against the same ping alone.

  6. ipi_wake: the wire peer pings an idle guest on CPU 1 of -smp 2: the
     e1000's interrupt is taken on CPU 0, which puts the frame in the
     guest's ring and wakes CPU 1 by IPI; against the same guest with
     cpus=1, where the interrupt wakes the guest's own CPU. Median round
     trip of 200 pings (ratio: lower is better; the peer's own time is in
     both).

Under QEMU's software emulation (the default) cycles and rates are emulated
time: compare ratios, not absolute numbers, with real hardware (ACCEL=kvm)."""
import os
import re
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, "tests")
import guest_cases as cases  # noqa: E402
from boot_tests import ELF, TESTDIR  # noqa: E402
from netpeer import ETH_P_IP, PEER_IP, Peer, csum, free_udp_port, ip_bytes  # noqa: E402
from qemu import boot  # noqa: E402

ALL_STOPPED = r"; 0 running"

# which bare-metal figure each guest figure is compared with
BASELINE = {
    "hypercall_rt": "int_iret_rt",      # cheapest hypercall vs a bare ring-0 int/iret
    "trap_rt": "int_iret_rt",           # a trap reflected into the guest and its iret
    "pagefault": "int_iret_rt",         # a fault the shadow code resolves silently
    "as_switch": "cr3_reload",          # NEW_PGTABLE between cached address spaces
    "timer_latency": "host_timer_latency",  # SET_CLOCKEVENT deadline to guest handler
}
BLK_BASELINE = {
    "blk_write_4k": "memcpy_4k",
    "blk_read_4k": "memcpy_4k",
    "blk_write_64k": "memcpy_64k",
    "blk_read_64k": "memcpy_64k",
}
DISK_MIB = 32
BLK_PASSES = 3

NET_FRAMES = 50000          # each direction; the hypervisor's RX baseline (kernel/bench.c) stops at 50000 too
GUEST_IP, GUEST_MAC = "10.0.0.2", "02:00:00:00:00:0a"
SINK_PORT, GUEST_PORT = 5001, 5002      # guest/tests/bench_io.c
FRAME = 1514

ok = True


def line(name, value, unit, bname, bvalue, comment=""):
    global ok
    if value is None or not bvalue:
        print(f"bench {name} missing (figure {value}, baseline {bname} {bvalue})")
        ok = False
        return
    ratio = value / bvalue
    print(f"bench {name} {value} {unit} baseline {bname} {bvalue} {unit} ratio {ratio:.2f}"
          + (f"  # {comment}" if comment else ""))


def io_figures(out):
    """BENCH_IO name value unit (details) lines of the guest named io."""
    return {m.group(1): (int(m.group(2)), m.group(3))
            for m in re.finditer(r"^\[io\] BENCH_IO (\S+) (\d+) (.*)$", out, re.M)}


def guest_verdict(out, name):
    """FAIL lines and the DONE line of a guest, or a reason it is missing."""
    fails = re.findall(rf"^\[{name}\] (FAIL .*)$", out, re.M)
    done = re.search(rf"^\[{name}\] (DONE \d+ passed, (\d+) failed)", out, re.M)
    if fails:
        return "; ".join(fails[:3])
    if not done:
        return "no DONE line"
    return None


def cycles_bench():
    global ok
    b = boot(until=ALL_STOPPED, timeout=300, kernel=ELF, append="console=com1 bench=on", e1000=False,
             initrd=f"{cases.GUEST_ELF} kernel name=bench mem=32M -- test=bench")
    out = b.output
    base = {m.group(1): int(m.group(2))
            for m in re.finditer(r"bench-baseline (\S+) (\d+) cycles", out)}
    figs = {m.group(1): int(m.group(2))
            for m in re.finditer(r"^\[bench\] BENCH (\S+) (\d+)", out, re.M)}
    print(f"{'':6}{'figure':<16}{'cycles':>10}   {'baseline':<20}{'cycles':>10}   ratio")
    good = True
    for name, bname in BASELINE.items():
        if name not in figs or bname not in base:
            print(f"bench {name} missing (guest figure {figs.get(name)}, baseline {base.get(bname)})")
            good = False
            continue
        ratio = figs[name] / max(1, base[bname])
        print(f"bench {name} {figs[name]} cycles baseline {bname} {base[bname]} cycles ratio {ratio:.2f}")
    for name in sorted(set(figs) - set(BASELINE)):
        print(f"bench {name} {figs[name]} cycles (no baseline)")
    if not good:
        ok = False
        print(out[-3000:])


def blk_bench():
    global ok
    os.makedirs(TESTDIR, exist_ok=True)
    disk = os.path.join(TESTDIR, "bench-disk.img")
    with open(disk, "wb") as f:
        f.truncate(DISK_MIB << 20)
    b = boot(until=ALL_STOPPED, timeout=300, kernel=ELF, append="console=com1 bench=on", e1000=False,
             initrd=f"{cases.GUEST_ELF} kernel name=io mem=16M -- test=blkbench passes={BLK_PASSES},"
                    f"{disk} disk name=io")
    out = b.output
    base = {m.group(1): int(m.group(2)) for m in re.finditer(r"bench-baseline (\S+) (\d+) MB/s", out)}
    figs = io_figures(out)
    for name, bname in BLK_BASELINE.items():
        v = figs.get(name)
        line(name, v and v[0], "MB/s", bname, base.get(bname),
             v and re.sub(r"^MB/s \((.*)\)$", r"\1", v[1]))
    why = guest_verdict(out, "io")
    if why or b.timed_out:
        ok = False
        print(f"bench blk: guest failed: {why or 'timed out'}")
        print(out[-3000:])


class BenchPeer(Peer):
    """The wire peer, plus a fast path that counts the benchmark's frames
    without parsing them: the guest's datagrams to SINK_PORT, and the
    hypervisor's TX-baseline frames (EtherType 0x88B5)."""

    def __init__(self):
        self.sink = 0
        self.sink_first = self.sink_last = None
        self.baseline_frames = 0
        super().__init__()

    def _input(self, f):
        if len(f) == FRAME and f[12:14] == b"\x08\x00" and f[23] == 17 and \
                struct.unpack("!H", f[36:38])[0] == SINK_PORT:
            t = time.monotonic()
            if self.sink_first is None:
                self.sink_first = t
            self.sink_last = t
            self.sink += 1
            return
        if f[12:14] == b"\x88\xb5":
            self.baseline_frames += 1
            return
        super()._input(f)

    def blast(self, frame, n):
        """n copies of frame as fast as Python sends them: seconds taken."""
        dst, send = self.qemu, self.sock.sendto
        t = time.perf_counter()
        for _ in range(n):
            try:
                send(frame, dst)
            except BlockingIOError:
                pass
        return time.perf_counter() - t


def udp_frame(peer, dst_mac, dst_ip, sport, dport, payload):
    """One Ethernet frame carrying a UDP datagram from the peer, checksummed."""
    udp_len = 8 + len(payload)
    pseudo = peer.ipb + ip_bytes(dst_ip) + struct.pack("!BBH", 0, 17, udp_len)
    hdr = struct.pack("!HHHH", sport, dport, udp_len, 0)
    s = csum(pseudo + hdr + payload) or 0xFFFF
    udp = hdr[:6] + struct.pack("!H", s) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0, peer.ipb, ip_bytes(dst_ip))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return peer.eth(dst_mac, ETH_P_IP, ip + udp)


def net_bench():
    global ok
    peer = BenchPeer()
    qemu_port = free_udp_port()
    peer.qemu = ("127.0.0.1", qemu_port)
    netdev = (f"dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port={qemu_port},"
              f"remote.type=inet,remote.host=127.0.0.1,remote.port={peer.port}")
    state = {"text": "", "abort": False, "result": None}

    def until(text):
        state["text"] = text
        return state["abort"] or re.search(ALL_STOPPED, text)

    def run():
        state["result"] = boot(
            until=until, timeout=240, kernel=ELF, append="console=com1 bench=on", e1000=False,
            initrd=f"{cases.GUEST_ELF} kernel name=io mem=32M mac={GUEST_MAC} -- test=netbench "
                   f"ip={GUEST_IP} peer={PEER_IP} count={NET_FRAMES}",
            extra=["-netdev", netdev, "-device", "e1000,netdev=n0"])

    def wait_for(pattern, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = re.search(pattern, state["text"], re.M)
            if m or not thread.is_alive():
                return m
            time.sleep(0.02)
        return None

    def settle(get, quiet=0.3, limit=10):
        """Waits until get() stops changing for quiet seconds."""
        end, last, since = time.monotonic() + limit, get(), time.monotonic()
        while time.monotonic() < end and time.monotonic() - since < quiet:
            time.sleep(0.05)
            if get() != last:
                last, since = get(), time.monotonic()
        return last

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    notes = {}
    try:
        # the hypervisor's own receive baseline, before the guest starts
        if wait_for(r"bench-baseline e1000_rx waiting", 60):
            hv_mac = re.search(r"e1000: \S+ at \S+, MAC ([0-9a-f:]{17})", state["text"])
            dst = bytes.fromhex(hv_mac.group(1).replace(":", "")) if hv_mac else b"\xff" * 6
            frame = dst + peer.mac + b"\x88\xb5" + bytes(i & 0xFF for i in range(FRAME - 14))
            secs = peer.blast(frame, NET_FRAMES)
            notes["base_rx_peer"] = (NET_FRAMES, secs)
        # guest -> wire: what reached the peer
        if wait_for(r"^\[io\] BENCH_IO net_tx ", 120):
            notes["sink"] = settle(lambda: peer.sink)
        # wire -> guest
        if wait_for(r"^\[io\] NETBENCH RX ready", 60):
            mac = bytes.fromhex(GUEST_MAC.replace(":", ""))
            frame = udp_frame(peer, mac, GUEST_IP, 5000, GUEST_PORT, bytes(i & 0xFF for i in range(1472)))
            assert len(frame) == FRAME
            secs = peer.blast(frame, NET_FRAMES)
            notes["rx_peer"] = (NET_FRAMES, secs)
        if not wait_for(ALL_STOPPED, 120):
            state["abort"] = True
    finally:
        thread.join()
        peer.close()
    b = state["result"]
    out = b.output if b else state["text"]
    base = {m.group(1): (int(m.group(2)), int(m.group(3)), m.group(4))
            for m in re.finditer(r"bench-baseline (e1000_\S+) (\d+) pps (\d+) Mbit/s(.*)$", out, re.M)}
    figs = {m.group(1): (int(m.group(2)), int(m.group(3)), m.group(4))
            for m in re.finditer(r"^\[io\] BENCH_IO (net_\S+) (\d+) pps (\d+) Mbit/s(.*)$", out, re.M)}

    def peer_pps(key):
        n, secs = notes.get(key, (0, 0))
        return n / secs if secs else 0

    def sent(key, got):
        """How fast the peer sent; flagged when the receiver kept up with it
        (then the figure is the Python peer's rate, not lgvisor's)."""
        pps = peer_pps(key)
        if not pps:
            return "peer rate unknown"
        bound = got and got >= 0.8 * pps
        return f"peer sent at {pps:.0f} pps" + (" = PEER-BOUND" if bound else "")

    tx, rx = figs.get("net_tx"), figs.get("net_rx")
    btx, brx = base.get("e1000_tx"), base.get("e1000_rx")
    sink = notes.get("sink", 0)
    tx_note = f"guest->wire, {sink}/{NET_FRAMES} reached the peer"
    m = brx and re.search(r"\((\d+) frames", brx[2])
    base_rx_note = (f"bare: {m.group(1) if m else '?'}/{NET_FRAMES} arrived, "
                    f"{sent('base_rx_peer', brx and brx[0])}")
    m = rx and re.search(r"(\d+) of (\d+) arrived", rx[2])
    rx_note = (f"wire->guest, {m.group(1) if m else '?'}/{NET_FRAMES} arrived, {sent('rx_peer', rx and rx[0])}; "
               f"{base_rx_note}")
    line("net_tx_pps", tx and tx[0], "pps", "e1000_tx", btx and btx[0], tx_note)
    line("net_tx_mbit", tx and tx[1], "Mbit/s", "e1000_tx", btx and btx[1])
    line("net_rx_pps", rx and rx[0], "pps", "e1000_rx", brx and brx[0], rx_note)
    line("net_rx_mbit", rx and rx[1], "Mbit/s", "e1000_rx", brx and brx[1])
    why = guest_verdict(out, "io")
    if why or not b or b.timed_out:
        ok = False
        print(f"bench net: guest failed: {why or 'timed out'}")
        print(out[-3000:])
    if os.environ.get("BENCH_VERBOSE"):
        print(out)


SMP_LOOPS = 200
STAMP = r"\[\s*(\d+\.\d+)(?:/\d+)?\] "


def checksum_span(smp, append):
    """Seconds (the hypervisor's clock) from 'ready' to the last guest's
    stop, for `smp` CPU-bound checksum guests on -smp smp; None on failure."""
    mods = ",".join(f"{cases.GUEST_ELF} kernel name=c{i} mem=16M -- test=checksum loops={SMP_LOOPS}"
                    for i in range(smp))
    b = boot(until=ALL_STOPPED, timeout=600, kernel=ELF, append=("console=com1 " + append).strip(),
             e1000=False, initrd=mods, extra=["-smp", str(smp)])
    ready = re.search(STAMP + r"ready in", b.output)
    done = re.search(STAMP + r"guest \S+: stopped \(powered off\); 0 running", b.output)
    passes = len(re.findall(r"(?m)^\[c\d+\] PASS checksum/value", b.output))
    if not ready or not done or passes != smp:
        print(b.output[-2000:])
        return None
    return float(done.group(1)) - float(ready.group(1))


def smp_bench():
    """smp_scaling: the work rate of N CPU-bound guests on N CPUs against the
    same guests with cpus=1, both on -smp N (ratio: higher is better; the
    goal on two host cores is 1.8 for N = 2)."""
    n = 2
    one = checksum_span(n, "cpus=1")
    many = checksum_span(n, "")
    if not one or not many:
        line("smp_scaling", None, "loops/s", "smp_one_cpu", None)
        return
    line("smp_scaling", round(n * SMP_LOOPS / many, 1), "loops/s", "smp_one_cpu",
         round(n * SMP_LOOPS / one, 1), f"{n} checksum guests: {many:.2f} s on {n} CPUs, "
         f"{one:.2f} s with cpus=1; ratio = speed-up")


def wake_bench():
    """wake_ping: a guest-to-guest ping round trip beside three CPU hogs on
    one CPU against the same ping with no hogs (ratio: lower is better)."""
    import smp_tests
    idle, busy = smp_tests.wake_ping(0), smp_tests.wake_ping(3)
    line("wake_ping", busy and int(busy.group(4)), "us", "idle_ping", idle and int(idle.group(4)),
         f"average of 30 pings; with hogs min {busy and busy.group(3)} max {busy and busy.group(5)} us")


def ipi_ping(append):
    """Median and max wire->guest ping round trip (us) to guest a, on
    CPU 1 of -smp 2 (append="") or alone on CPU 0 (cpus=1)."""
    import net_tests as nt
    guests = [("a", "32M", f"test=net ip={nt.IP['a']}", f"mac={nt.MAC['a']}" + (" cpu=1" if not append else ""))]
    r = nt.Run(guests, append=("console=com1 " + append).strip(), smp=2, timeout=300)
    res = None
    try:
        if r.wait_for(r"\[a\] NET READY", 200):
            r.peer.arp(nt.IP["a"], timeout=1.0, tries=5)
            r.peer.ping(nt.IP["a"], 20)                 # warm-up
            res = r.peer.ping(nt.IP["a"], 200)
            r.quit("a")
        else:
            r.abort = True
    finally:
        r.abort = r.abort or not r.wait_for(ALL_STOPPED, 10)
        r.finish()
    if not res or res["received"] != 200:
        return None
    rtts = sorted(res["rtts"])
    return int(rtts[len(rtts) // 2] * 1e6), int(rtts[-1] * 1e6)


def ipi_bench():
    """ipi_wake: a device interrupt on CPU 0 for a guest on CPU 1 against
    the same on one CPU (ratio: lower is better)."""
    far, near = ipi_ping(""), ipi_ping("cpus=1")
    line("ipi_wake", far and far[0], "us", "one_cpu_wake", near and near[0],
         f"median of 200 wire pings to an idle guest; max {far and far[1]} vs {near and near[1]} us")


SATA_BASELINE = {
    "ahci_read_64k": ("ahci_bare_read_64k", "MB/s"),
    "ahci_write_64k": ("ahci_bare_write_64k", "MB/s"),
    "ahci_randread_4k_qd1": ("ahci_bare_randread_4k_qd1", "IOPS"),
    "ahci_randread_4k_qd32": ("ahci_bare_randread_4k_qd32", "IOPS"),
}
SATA_BENCH_SECTORS = 32768      # the "bench" partition: 16 MiB


def sata_bench():
    """A GPT image with a 16 MiB partition "bench" on QEMU's AHCI: the
    hypervisor drives it itself first (bench=on, drivers/ahci_bench.c),
    then a guest with disk=sata0:bench runs the same work through
    virtio-blk (test=satabench). Ratio = guest / bare."""
    global ok
    import mkgpt
    import sata_tests
    os.makedirs(TESTDIR, exist_ok=True)
    img = os.path.join(TESTDIR, "bench-sata.img")
    mkgpt.write_image(img, 2048 + SATA_BENCH_SECTORS + 2048, [("bench", 2048, SATA_BENCH_SECTORS, None)])
    b = boot(until=ALL_STOPPED, timeout=600, kernel=ELF, append="console=com1 bench=on", e1000=False,
             initrd=f"{cases.GUEST_ELF} kernel name=io mem=16M net=off disk=sata0:bench -- test=satabench",
             extra=sata_tests.drive_args("pc", img))
    out = b.output
    base = {m.group(1): int(m.group(2)) for m in re.finditer(r"bench-baseline (ahci_\S+) (\d+) ", out)}
    figs = io_figures(out)
    for name, (bname, unit) in SATA_BASELINE.items():
        v = figs.get(name)
        line(name, v and v[0], unit, bname, base.get(bname),
             v and re.sub(rf"^{unit} \((.*)\)$", r"\1", v[1]))
    why = guest_verdict(out, "io")
    if why or b.timed_out:
        ok = False
        print(f"bench sata: guest failed: {why or 'timed out'}")
        print(out[-3000:])


def main():
    t = time.monotonic()
    cycles_bench()
    blk_bench()
    sata_bench()
    net_bench()
    smp_bench()
    wake_bench()
    ipi_bench()
    print(f"# {time.monotonic() - t:.0f} s; under TCG rates are emulated time, compare ratios")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
