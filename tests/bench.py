"""make bench: boots lgvisor with bench=on (so it measures its bare-metal
baselines first) and benchmark guests, and prints one line per figure, each
against a baseline measured in the same boot:

  bench NAME N UNIT baseline BASE M UNIT ratio R [# details]

Three boots:
  1. lgtest test=bench: round trips, medians of many runs in TSC cycles.
     Ratio = guest / bare (higher is worse). Then Linux highmem's kmap
     round (a silent kernel PTE write, FLUSH_TLB(1), the working set
     touched, SET_PTE(va, 0)) with 256 and with 2 pages in use
     (kmap_flush_many against kmap_flush_few: the refill cost of a full
     flush) and the many round with an exit that flushes nothing
     (kmap_exit_many, the floor). A stale page read fails the bench.
  2. lgtest test=blkbench on a 32 MiB disk module: sequential write and read
     MB/s in 4 KiB and 64 KiB requests against the hypervisor's memcpy of
     the same block size (a ramdisk request is that copy plus the ring
     work). Ratio = guest / memcpy. (Under TCG the memcpy baseline copies
     between areas 16 MiB apart, which thrash QEMU's direct-mapped soft TLB:
     it is >10x slower than the same copy a page further on, so these
     ratios come out above 1.)
  3. lgtest test=netbench, QEMU's e1000 wired to the C peer
     (tests/netblast.c) with `-netdev dgram` on 127.0.0.1 (fresh ports,
     nothing leaves the host): guest->wire (net_tx_S) and wire->guest
     (net_rx_S) frames/s and Mbit/s of S = 1514- and 64-byte frames against
     the e1000 driven by the hypervisor alone before the guest starts
     (e1000_tx_S, e1000_rx_S). Ratio = guest / bare. TX rates are taken
     at the peer for both; RX rates first-to-last frame at the receiver.
     The peer paces its blasts by QEMU's socket's receive queue, so the
     NIC always has frames waiting and the socket never overflows; each
     comment says how many frames were sent, arrived, and were lost where.
     Then guest->guest (net_g2g_S): one guest to another on the switch,
     each on its own CPU, against guest->wire.
     Then net_tso_tx_M (M: e1000 = 82540EM, e1000e = 82574L): test=tso
     sends a TCP stream as large segments (HOST_TSO4), against the same
     stream cut into MSS frames by the guest; Mbit/s of TCP payload at the
     peer. Ratio = with TSO / without (higher is better).

  4. smp_scaling: two CPU-bound checksum guests on -smp 2, once with every
     CPU and once with cpus=1; loops per second of the hypervisor's clock
     from "ready" to the last stop, best of BENCH_SMP_RUNS (5) runs of each,
     taken in turns. Ratio = the speed-up (higher is better).

  5. wake_ping: guest-to-guest ping round trip (two idle shells) beside three
     CPU-bound guests on one CPU, against the same ping alone.

  6. ipi_wake: the wire peer pings an idle guest on CPU 1 of -smp 2: the
     e1000's interrupt is taken on CPU 0, which puts the frame in the
     guest's ring and wakes CPU 1 by IPI; against the same guest with
     cpus=1, where the interrupt wakes the guest's own CPU. Median round
     trip of 200 pings (ratio: lower is better; the peer's own time is in
     both).

  7. console_slow_reader: the checksum neighbour of a spamming and a
     crash-looping guest on one CPU with the serial port read at 115,200
     bit/s, against the same with a reader as fast as it comes; three
     pairs, each pair side by side, totals compared (ratio: the cost of a
     slow line, lower is better; the goal is at most 1.10).

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
from netpeer import PEER_IP, free_udp_port  # noqa: E402
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
# guest figures against another guest figure of the same boot
GUEST_BASELINE = {
    "kmap_flush_many": "kmap_flush_few",    # FLUSH_TLB(1) with many mappings in use vs with two
    "kmap_exit_many": "kmap_flush_few",     # the same round with an exit that flushes nothing: the floor
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
    """BENCH_IO name value unit (details) lines of the guest named io; of a
    figure given several times (rounds), the best (every one is a rate)."""
    figs = {}
    for m in re.finditer(r"^\[io\] BENCH_IO (\S+) (\d+) (.*)$", out, re.M):
        v = (int(m.group(2)), m.group(3))
        if m.group(1) not in figs or v[0] > figs[m.group(1)][0]:
            figs[m.group(1)] = v
    return figs


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
    for name, bname in GUEST_BASELINE.items():
        if name not in figs or bname not in figs:
            print(f"bench {name} missing (guest figure {figs.get(name)}, baseline {figs.get(bname)})")
            good = False
            continue
        print(f"bench {name} {figs[name]} cycles baseline {bname} {figs[bname]} cycles "
              f"ratio {figs[name] / max(1, figs[bname]):.2f}")
    for name in sorted(set(figs) - set(BASELINE) - set(GUEST_BASELINE) - set(GUEST_BASELINE.values())):
        print(f"bench {name} {figs[name]} cycles (no baseline)")
    fails = re.findall(r"^\[bench\] (FAIL .*)$", out, re.M)
    for f in fails:
        print(f"bench: guest {f}")
    if not good or fails:
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


SIZES = (1514, 64)
TSO_SEGS, TSO_SIZE = 256, 60000     # tso_bench: two streams of 15 MB
MODEL_NAME = {"e1000": "82540EM", "e1000e": "82574L"}
PACE_BYTES = 100000         # of QEMU's socket's ~208 KiB receive buffer (truesize counted)
STOPPED_PROMPT = r"; 0 running(?s:.*)lgvisor> "


def net_counters(out):
    """The monitor's `net` output at the end of a boot (sent once every
    guest has stopped): the lines between 'uplink:' and 'net: end'."""
    m = re.search(r"(?s)(uplink: .*?)net: end", out)
    return m.group(1) if m else ""


def counter(text, pattern):
    m = re.search(pattern, text)
    return int(m.group(1)) if m else None


class WireBoot:
    """lgvisor under QEMU in a thread, its NIC wired by -netdev dgram to
    the C peer (tests/netblast.c); self.text is the output so far."""

    def __init__(self, initrd, timeout=300, nic="e1000", smp=1):
        from netblast import Blaster
        self.qemu_port = free_udp_port()
        self.peer = Blaster(self.qemu_port, "02:00:00:00:00:01", PEER_IP)
        netdev = (f"dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port={self.qemu_port},"
                  f"remote.type=inet,remote.host=127.0.0.1,remote.port={self.peer.port}")
        self.text, self.abort, self.result = "", False, None

        def until(text):
            self.text = text
            return self.abort or "net: end" in text

        def run():
            append = ("console=com1 bench=on " + os.environ.get("BENCH_NET_APPEND", "")).strip()
            self.result = boot(until=until, timeout=timeout, kernel=ELF, append=append,
                               e1000=False, initrd=initrd, send=[(STOPPED_PROMPT, b"net\r")],
                               extra=["-netdev", netdev, "-device", f"{nic},netdev=n0", "-smp", str(smp)])

        # blasts keep QEMU's socket busy but never overfull: the NIC always
        # has frames waiting, and what is lost is lost past QEMU's socket
        self.peer.cmd(f"pace {self.qemu_port} {PACE_BYTES}")
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def wait_for(self, pattern, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = re.search(pattern, self.text, re.M)
            if m or not self.thread.is_alive():
                return m
            time.sleep(0.02)
        return None

    def drops(self):
        from netblast import udp_drops
        return udp_drops(self.qemu_port) or 0

    def peer_drops(self):
        from netblast import udp_drops
        return udp_drops(self.peer.port) or 0

    def settle(self, kind, quiet=0.6, limit=20):
        """The peer's current round of frames of a kind ("raw": the bare
        e1000's, "udp": a guest's to the sink port) once no more came for
        quiet seconds: (frames, their rate in frames/s at the peer)."""
        end = time.monotonic() + limit
        st = self.peer.stats()
        last, since = st[kind], time.monotonic()
        while time.monotonic() < end and time.monotonic() - since < quiet:
            time.sleep(0.05)
            st = self.peer.stats()
            if st[kind] != last:
                last, since = st[kind], time.monotonic()
        span = (st[f"{kind}_last_ns"] - st[f"{kind}_first_ns"]) / 1e9
        return st[kind], (st[kind] - 1) / span if st[kind] > 1 and span > 0 else 0

    def blast(self, n, size, mac, kind="raw", ip=None, port=None):
        """Blasts; (peer pps, frames QEMU's socket dropped meanwhile)."""
        d0 = self.drops()
        secs = self.peer.blast(n, size, mac, kind, ip, port)
        time.sleep(0.5)
        return n / secs if secs else 0, self.drops() - d0

    def finish(self):
        if not self.wait_for(r"net: end", 180):
            self.abort = True
        self.thread.join()
        self.peer.close()
        return self.result.output if self.result else self.text


def net_bench():
    """Wire rows: the bare e1000 (bench-baseline e1000_tx_S / e1000_rx_S)
    against the guest (net_tx_S / net_rx_S) for S = 1514 and 64, every
    frame counted: sent, arrived, and lost where (QEMU's socket, the
    e1000's MPC/RNBC, the guest's ring). TX rates are measured where the
    frames arrive, at the peer, for the bare NIC and the guest alike; RX
    rates at the receiver (the hypervisor's loop, the guest's stack)."""
    global ok
    w = WireBoot(f"{cases.GUEST_ELF} kernel name=io mem=32M mac={GUEST_MAC} -- test=netbench "
                 f"ip={GUEST_IP} peer={PEER_IP} count={NET_FRAMES}")
    notes = {}
    try:
        w.peer.sink(SINK_PORT)
        for size in SIZES:
            if not w.wait_for(rf"bench-baseline e1000_rx_{size} waiting", 90):
                break
            notes[f"base_tx_{size}"] = w.settle("raw")
            hv = re.search(r"e1000: \S+ at \S+, MAC ([0-9a-f:]{17})", w.text)
            notes[f"base_rx_{size}"] = w.blast(NET_FRAMES, size, hv.group(1) if hv else "ff:ff:ff:ff:ff:ff")
        for size in SIZES:
            pd0 = w.peer_drops()
            if not w.wait_for(rf"^\[io\] NETBENCH TX done {size}", 300):
                break
            notes[f"tx_{size}"] = w.settle("udp")
            notes[f"tx_peer_drops_{size}"] = w.peer_drops() - pd0
            if os.environ.get("BENCH_DEBUG"):
                print(f"# debug tx_{size}: peer {w.peer.stats()}, QEMU socket drops {w.drops()}")
            if not w.wait_for(rf"^\[io\] NETBENCH RX ready port \d+ count \d+ size {size}", 60):
                break
            notes[f"rx_{size}"] = w.blast(NET_FRAMES, size, GUEST_MAC, "udp", GUEST_IP, GUEST_PORT)
    finally:
        out = w.finish()
    base = {m.group(1): (int(m.group(2)), int(m.group(3)), m.group(4))
            for m in re.finditer(r"bench-baseline (e1000_\S+) (\d+) pps (\d+) Mbit/s(.*)$", out, re.M)}
    figs = {m.group(1): (int(m.group(2)), int(m.group(3)), m.group(4))
            for m in re.finditer(r"^\[io\] BENCH_IO (net_\S+) (\d+) pps (\d+) Mbit/s(.*)$", out, re.M)}
    net = net_counters(out)

    def mbit(pps, size):
        return int(pps * size * 8 / 1e6)

    for size in SIZES:
        btx, tx = base.get(f"e1000_tx_{size}"), figs.get(f"net_tx_{size}")
        brx, rx = base.get(f"e1000_rx_{size}"), figs.get(f"net_rx_{size}")
        bsent = counter(btx[2], r"\((\d+) frames") if btx else None
        bn, bpps = notes.get(f"base_tx_{size}", (None, 0))
        gn, gpps = notes.get(f"tx_{size}", (None, 0))
        tx_note = (f"at the peer: guest {gn}/{NET_FRAMES} arrived (queued at {tx and tx[0]} pps in the guest), "
                   f"bare {bn}/{bsent} (queued at {btx and btx[0]} pps); lost: "
                   f"{notes.get(f'tx_peer_drops_{size}', '?')} in the peer's socket, the rest in QEMU "
                   f"(the e1000 reported every frame sent)")
        line(f"net_tx_{size}_pps", int(gpps) or None, "pps", f"e1000_tx_{size}", int(bpps), tx_note)
        line(f"net_tx_{size}_mbit", mbit(gpps, size) or None, "Mbit/s", f"e1000_tx_{size}", mbit(bpps, size))
        bpeer, bdrop = notes.get(f"base_rx_{size}", (0, None))
        gpeer, gdrop = notes.get(f"rx_{size}", (0, None))
        barr = counter(brx[2], r"\((\d+) frames") if brx else None
        bmiss = counter(brx[2], r"missed (\d+)") if brx else None
        bnod = counter(brx[2], r"no-descriptor (\d+)") if brx else None
        garr = counter(rx[2], r"(\d+) of \d+ arrived") if rx else None
        rx_note = (f"guest {garr}/{NET_FRAMES} arrived (peer sent at {gpeer:.0f} pps), {gdrop} lost in "
                   f"QEMU's socket; bare {barr}/{NET_FRAMES} (peer at {bpeer:.0f} pps), {bdrop} lost in "
                   f"QEMU's socket, e1000 missed {bmiss} no-descriptor {bnod}")
        line(f"net_rx_{size}_pps", rx and rx[0], "pps", f"e1000_rx_{size}", brx and brx[0], rx_note)
        line(f"net_rx_{size}_mbit", rx and rx[1], "Mbit/s", f"e1000_rx_{size}", brx and brx[1])
    for ln in net.strip().splitlines():
        if ln.startswith(("e1000 rx", "switch:", "guest io:")):
            print(f"#   {ln}")
    why = guest_verdict(out, "io")
    if why or not w.result or w.result.timed_out:
        ok = False
        print(f"bench net: guest failed: {why or 'timed out'}")
        print(out[-3000:])
    if os.environ.get("BENCH_VERBOSE"):
        print(out)
    g2g_bench({k: v for k, v in (("net_tx_1514", notes.get("tx_1514")), ("net_tx_64", notes.get("tx_64")))
               if v})


def tso_bench():
    """guest->wire TCP: one guest (test=tso) sends TSO_SEGS crafted TCP
    segments of TSO_SIZE bytes as large frames (HOST_TSO4: the e1000's TSO
    cuts them), then the same stream cut into MSS frames by the guest; both
    measured at the C peer (payload bytes between the first and the last
    segment's arrival). For each NIC model: the 82540EM cuts them itself,
    the 82574L's are cut by the hypervisor (drivers/e1000_models.c)."""
    global ok
    for nic in ("e1000", "e1000e"):
        w = WireBoot(f"{cases.GUEST_ELF} kernel name=tso mem=32M mac={GUEST_MAC} -- test=tso ip={GUEST_IP} "
                     f"peer={PEER_IP} count={TSO_SEGS} size={TSO_SIZE}", nic=nic)
        rates = {}
        try:
            w.peer.cmd("tcpsink 5001 5002")
            if w.wait_for(r"^\[tso\] TSO DONE", 300):
                time.sleep(1.0)
                st = w.peer.stats()
                for i in (1, 2):
                    span = (st.get(f"tcp{i}_last_ns", 0) - st.get(f"tcp{i}_first_ns", 0)) / 1e9
                    rates[i] = (st.get(f"tcp{i}_bytes", 0), st.get(f"tcp{i}", 0),
                                int(st.get(f"tcp{i}_bytes", 0) * 8 / span / 1e6) if span > 0 else None)
        finally:
            out = w.finish()
        total = TSO_SEGS * TSO_SIZE
        tso, cut = rates.get(1, (0, 0, None)), rates.get(2, (0, 0, None))
        a = re.search(r"guest tso offloads: tx csum \d+ by e1000 \d+ in software, tso (\d+) by e1000 (\d+) in software",
                      out)
        who = f"{a.group(1)} cut by the e1000, {a.group(2)} by the hypervisor" if a else "no offload counters"
        line(f"net_tso_tx_{nic}_mbit", tso[2], "Mbit/s", "guest_cut_tx", cut[2],
             f"{MODEL_NAME[nic]}: {TSO_SEGS} segments of {TSO_SIZE} bytes: with TSO {tso[0]} bytes in {tso[1]} "
             f"frames arrived of {total} ({who}); cut in the guest {cut[0]} bytes in {cut[1]} frames")
        why = guest_verdict(out, "tso")
        if why or not w.result or w.result.timed_out:
            ok = False
            print(f"bench tso {nic}: guest failed: {why or 'timed out'}")
            print(out[-3000:])


def g2g_bench(wire_figs):
    """guest->guest: guest tx sends to guest rx through the switch, 1514-
    and 64-byte frames, against the same guest's guest->wire figure (the
    goal: at least as fast)."""
    global ok
    # sender and receiver each on a CPU of their own, as on the wire (where
    # the receiver is the peer process); BENCH_G2G_SMP=1 puts both on one
    smp = int(os.environ.get("BENCH_G2G_SMP", "2"))
    pin = (lambda c: f" cpu={c}") if smp > 1 else (lambda c: "")
    w = WireBoot(f"{cases.GUEST_ELF} kernel name=rx mem=32M mac=02:00:00:00:00:0b{pin(1)} -- test=netbench "
                 f"ip=10.0.0.3 role=g2g-rx count={NET_FRAMES},"
                 f"{cases.GUEST_ELF} kernel name=tx mem=32M mac={GUEST_MAC}{pin(0)} -- test=netbench "
                 f"ip={GUEST_IP} peer=10.0.0.3 role=g2g-tx count={NET_FRAMES}", smp=smp)
    out = w.finish()
    figs = {m.group(1): (int(m.group(2)), int(m.group(3)), m.group(4))
            for m in re.finditer(r"^\[(?:rx|tx)\] BENCH_IO (net_\S+) (\d+) pps (\d+) Mbit/s(.*)$", out, re.M)}
    net = net_counters(out)
    for size in SIZES:
        rx, tx = figs.get(f"net_g2g_{size}"), figs.get(f"net_g2g_tx_{size}")
        base = wire_figs.get(f"net_tx_{size}")
        arr = counter(rx[2], r"(\d+) of \d+ arrived") if rx else None
        note = (f"guest->guest, at the receiving guest: {arr}/{NET_FRAMES} arrived, queued by the sender at "
                f"{tx and tx[0]} pps; baseline: guest->wire at the peer, from the wire boot")
        bpps = int(base[1]) if base else None
        line(f"net_g2g_{size}_pps", rx and rx[0], "pps", f"net_tx_{size}", bpps, note)
        line(f"net_g2g_{size}_mbit", rx and rx[1], "Mbit/s", f"net_tx_{size}", bpps and int(bpps * size * 8 / 1e6))
    for ln in net.strip().splitlines():
        if ln.startswith(("guest rx:", "guest tx:")):
            print(f"#   {ln}")
    for name in ("rx", "tx"):
        why = guest_verdict(out, name)
        if why or not w.result or w.result.timed_out:
            ok = False
            print(f"bench g2g: guest {name} failed: {why or 'timed out'}")
            print(out[-3000:])
            break


SMP_LOOPS = 600
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
    goal on two host cores is 1.8 for N = 2). Under TCG each vCPU is a host
    thread, so anything else the host runs steals from one side or the
    other: the two are measured in turns, BENCH_SMP_RUNS times each (5),
    and the best run of each is compared, which is the run least disturbed."""
    n = 2
    runs = max(1, int(os.environ.get("BENCH_SMP_RUNS", "5")))
    ones, manys = [], []
    for _ in range(runs):
        ones.append(checksum_span(n, "cpus=1"))
        manys.append(checksum_span(n, ""))
    ones = [t for t in ones if t]
    manys = [t for t in manys if t]
    if not ones or not manys:
        line("smp_scaling", None, "loops/s", "smp_one_cpu", None)
        return
    one, many = min(ones), min(manys)
    spans = lambda ts: "/".join(f"{t:.2f}" for t in ts)
    line("smp_scaling", round(n * SMP_LOOPS / many, 1), "loops/s", "smp_one_cpu",
         round(n * SMP_LOOPS / one, 1), f"{n} checksum guests, best of {runs}: {many:.2f} s on {n} CPUs "
         f"({spans(manys)}), {one:.2f} s with cpus=1 ({spans(ones)}); ratio = speed-up")


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


def console_bench():
    """console_slow_reader: what a console line that cannot keep up costs a
    neighbour (console output never waits for the UART; lines are dropped)."""
    import console_tests as ct
    from concurrent.futures import ThreadPoolExecutor
    from serial_socket import LINE_RATE
    fast, slow = [], []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(3):
            f, s = pool.submit(ct.neighbour_run, None), pool.submit(ct.neighbour_run, LINE_RATE)
            fast.append(f.result()[0])
            slow.append(s.result()[0])
    done = all(fast) and all(slow)
    line("console_slow_reader", done and sum(slow), "ms", "console_fast_reader", done and sum(fast),
         f"checksum neighbour, 3 side-by-side pairs: {slow} ms at {LINE_RATE} bytes/s, {fast} ms read "
         "as fast as it comes; goal ratio <= 1.10")


SATA_BASELINE = {
    "ahci_read_64k": ("ahci_bare_read_64k", "MB/s"),
    "ahci_write_64k": ("ahci_bare_write_64k", "MB/s"),
    "ahci_read_64k_qd8": ("ahci_bare_read_64k_qd8", "MB/s"),
    "ahci_write_64k_qd8": ("ahci_bare_write_64k_qd8", "MB/s"),
    "ahci_randread_4k_qd1": ("ahci_bare_randread_4k_qd1", "IOPS"),
    "ahci_randread_4k_qd32": ("ahci_bare_randread_4k_qd32", "IOPS"),
}
SATA_BENCH_SECTORS = 32768      # the "bench" partition: 16 MiB


def disk_bench(kind, disk, drive_args, baseline, guest_args=""):
    """A GPT image with a 16 MiB partition "bench" on one of QEMU's disk
    controllers: the hypervisor drives it itself first (bench=on,
    drivers/disk_bench.c), then a guest with disk=DISK:bench runs the same
    work through virtio-blk (test=satabench). Ratio = guest / bare."""
    global ok
    import mkgpt
    os.makedirs(TESTDIR, exist_ok=True)
    img = os.path.join(TESTDIR, f"bench-{kind}.img")
    mkgpt.write_image(img, 2048 + SATA_BENCH_SECTORS + 2048, [("bench", 2048, SATA_BENCH_SECTORS, None)])
    b = boot(until=ALL_STOPPED, timeout=600, kernel=ELF, append="console=com1 bench=on", e1000=False,
             initrd=f"{cases.GUEST_ELF} kernel name=io mem=16M net=off disk={disk}:bench -- test=satabench"
                    + guest_args, extra=drive_args(img))
    out = b.output
    prefix = next(iter(baseline.values()))[0].split("_")[0]
    base = {}
    for m in re.finditer(rf"bench-baseline ({prefix}_\S+) (\d+) ", out):     # rounds: the best
        base[m.group(1)] = max(base.get(m.group(1), 0), int(m.group(2)))
    figs = io_figures(out)
    for name, (bname, unit) in baseline.items():
        v = figs.get(name)
        line(name, v and v[0], unit, bname, base.get(bname),
             v and re.sub(rf"^{unit} \((.*)\)$", r"\1", v[1]))
    why = guest_verdict(out, "io")
    if why or b.timed_out:
        ok = False
        print(f"bench {kind}: guest failed: {why or 'timed out'}")
        print(out[-3000:])


def sata_bench():
    """The disk bench on QEMU's AHCI controller (sata0)."""
    import sata_tests
    disk_bench("sata", "sata0", lambda img: sata_tests.drive_args("pc", img), SATA_BASELINE)


NVME_BASELINE = {k.replace("ahci", "nvme"): (b.replace("ahci", "nvme"), u) for k, (b, u) in SATA_BASELINE.items()}


def nvme_bench():
    """The disk bench on QEMU's NVMe controller (nvme0); the guest's rows
    are named nvme_* (prefix=nvme)."""
    import nvme_tests
    disk_bench("nvme", "nvme0", nvme_tests.drive_args, NVME_BASELINE, " prefix=nvme")


SECTIONS = {"cycles": lambda: cycles_bench(), "blk": lambda: blk_bench(), "sata": lambda: sata_bench(),
            "nvme": lambda: nvme_bench(),
            "net": lambda: net_bench(), "tso": lambda: tso_bench(), "smp": lambda: smp_bench(), "wake": lambda: wake_bench(),
            "ipi": lambda: ipi_bench(), "console": lambda: console_bench()}


def main():
    t = time.monotonic()
    only = os.environ.get("BENCH_ONLY", "").split()      # e.g. BENCH_ONLY="smp ipi"
    for bad in set(only) - set(SECTIONS):
        print(f"bench: unknown section {bad!r} in BENCH_ONLY (known: {' '.join(SECTIONS)})")
        return 2
    for name, run in SECTIONS.items():
        if not only or name in only:
            run()
    print(f"# {time.monotonic() - t:.0f} s; under TCG rates are emulated time, compare ratios")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
