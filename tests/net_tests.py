"""Network tests (issue 4): lgtest guests (test=net, test=netpeer) on
lgvisor's switch, and tests/netpeer.py on the wire. QEMU's e1000 is wired to
the peer with `-netdev dgram` on 127.0.0.1 (one raw Ethernet frame per UDP
datagram; fresh ports per run, so runs can go in parallel).

Each run boots in a thread while the peer works the network, watching the
guests' console output as it grows. Checks: ARP who-has answered with the
guest's MAC (and nothing answered for an address nobody has), 100 pings of
varied sizes back intact, 10,000 UDP datagrams (up to 1472 bytes, at most 32
outstanding, nothing retransmitted) echoed with none lost or altered, the
guest pinging the wire peer, two guests talking through the switch while the
wire pings both; pc and q35; full virtio (INDIRECT + EVENT_IDX) and plain.
Measured figures go to stderr and build/test/net-metrics.txt."""
import os
import re
import sys
import threading
import time

from boot_tests import ELF, TESTDIR, check
from guest_tests import ALL_STOPPED, guest_lines, modules, program_checks
from netpeer import PEER_IP, Peer, free_udp_port, mac_str
from qemu import boot

# c, d: offload tests; old/mid/new: guests of tests/generation_tests.py
MAC = {"a": "02:00:00:00:00:0a", "b": "02:00:00:00:00:0b", "c": "02:00:00:00:00:0c", "d": "02:00:00:00:00:0d",
       "old": "02:00:00:00:00:26", "mid": "02:00:00:00:00:31", "new": "02:00:00:00:00:04"}
IP = {"a": "10.0.0.2", "b": "10.0.0.3", "c": "10.0.0.4", "d": "10.0.0.5",
      "old": "10.0.0.8", "mid": "10.0.0.9", "new": "10.0.0.6"}
NOBODY = "10.0.0.99"
MEM = "32M"
PING_SIZES = [56, 0, 1, 64, 100, 512, 1000, 1400, 1472]
SERVE_EXPECT = ["device", "features", "link", "address", "device-ok", "rx-clean", "checksums", "tx"]
NET_EXPECT = [f"net/{c}" for c in SERVE_EXPECT] + ["net/ping-out"]
NETPEER_EXPECT = [f"netpeer/{c}" for c in SERVE_EXPECT + ["peer", "arp", "ping", "ping-large", "udp"]]
BROKEN = re.compile(r"(?m)^.*virtio.*device stopped until reset.*$")


def metric(text):
    line = f"net metrics: {text}"
    print(line, file=sys.stderr)
    os.makedirs(TESTDIR, exist_ok=True)
    with open(os.path.join(TESTDIR, "net-metrics.txt"), "a") as f:
        f.write(line + "\n")


class Run:
    """lgvisor under QEMU in a thread, its e1000 wired to a Peer; the console
    output so far is in self.text while it runs."""

    def __init__(self, guests, machine="pc", timeout=900, send=None, append="console=com1",
                 smp=1, disks=(), nics=("e1000",), wired=0, extra=(), stop=ALL_STOPPED):
        self.peer = Peer()
        qemu_port = free_udp_port()
        self.peer.qemu = ("127.0.0.1", qemu_port)
        netdev = (f"dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port={qemu_port},"
                  f"remote.type=inet,remote.host=127.0.0.1,remote.port={self.peer.port}")
        self.text, self.abort, self.result = "", False, None

        def until(text):
            self.text = text
            return self.abort or re.search(stop, text)

        mods = modules(guests)
        if disks:
            import device_tests
            image = device_tests.disk_image()
            mods += "".join(f",{image} disk name={d}" for d in disks)

        # nics[wired] is wired to the peer, any others to QEMU's user
        # network, restricted (nothing leaves the host); PCI slots follow
        # the order of the list
        devs = []
        for i, nic in enumerate(nics):
            devs += ["-netdev", netdev.replace("id=n0", f"id=n{i}") if i == wired else f"user,id=n{i},restrict=on",
                     "-device", f"{nic},netdev=n{i}"]

        def run():
            self.result = boot(until=until, timeout=timeout, machine=machine, kernel=ELF, send=send,
                               append=append, initrd=mods, e1000=False,
                               extra=devs + ["-smp", str(smp)] + list(extra))

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def wait_for(self, pattern, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = re.search(pattern, self.text, re.M)
            if m or not self.thread.is_alive():
                return m
            time.sleep(0.1)
        return None

    def quit(self, name):
        """Tells a guest's control port to quit, until it says DONE."""
        mac = self.peer.neigh.get(IP[name]) or bytes.fromhex(MAC[name].replace(":", ""))
        for _ in range(5):
            self.peer.send_udp(IP[name], 5556, 9, b"quit", mac)
            if self.wait_for(rf"\[{name}\] DONE ", 10):
                return

    def finish(self):
        self.thread.join()
        self.peer.close()
        return self.result


def ready(results, tag, run, name):
    m = run.wait_for(rf"\[{name}\] NET READY ip (\S+) mac (\S+)\r?\n", 240)   # the whole line
    check(results, f"{tag}/{name}/ready", m, "no NET READY line; output: " + run.text[-1500:])
    if m:
        check(results, f"{tag}/{name}/mac-option", m.group(2) == MAC[name] and m.group(1) == IP[name],
              f"guest says ip {m.group(1)} mac {m.group(2)}, module line gave {IP[name]} {MAC[name]}")
    return m


def arp_checks(results, tag, peer, name):
    mac, frame = peer.arp(IP[name], timeout=1.0, tries=3)
    want = bytes.fromhex(MAC[name].replace(":", ""))
    check(results, f"{tag}/{name}/arp-reply", mac == want,
          f"who-has {IP[name]}: {mac_str(mac) if mac else 'no reply'}, want {MAC[name]}")
    if frame:
        problems = []
        if frame[:6] != peer.mac or frame[6:12] != want:
            problems.append(f"Ethernet {mac_str(frame[6:12])} -> {mac_str(frame[:6])}")
        if frame[20:22] != b"\0\2":
            problems.append(f"opcode {frame[20:22].hex()}")
        if frame[28:32] != bytes(map(int, IP[name].split("."))):
            problems.append(f"sender ip {frame[28:32].hex()}")
        if frame[32:38] != peer.mac or frame[38:42] != peer.ipb:
            problems.append(f"target {frame[32:38].hex()} {frame[38:42].hex()}")
        check(results, f"{tag}/{name}/arp-fields", not problems, "; ".join(problems))


def ping_checks(results, tag, peer, name, count):
    r = peer.ping(IP[name], count, sizes=PING_SIZES)
    rtts = sorted(r["rtts"])
    check(results, f"{tag}/{name}/ping", r["received"] == count and not r["bad"],
          f"{r['received']}/{r['sent']} replies intact, {r['bad']} bad: {r['errors'][:3]}")
    if rtts:
        metric(f"{tag}/{name} ping {len(rtts)}/{count}, sizes 0-1472, rtt min "
               f"{rtts[0] * 1000:.2f} median {rtts[len(rtts) // 2] * 1000:.2f} max {rtts[-1] * 1000:.2f} ms")


def udp_checks(results, tag, peer, name, count):
    r = peer.udp_echo(IP[name], count, window=32)
    check(results, f"{tag}/{name}/udp-echo",
          r["received"] == count and not r["lost"] and not r["bad"] and not r["dup"],
          f"{r['received']}/{count} intact, lost {r['lost']} (first {r['lost_ids']}), bad {r['bad']}, "
          f"dup {r['dup']}, stray {r['stray']}: {r['errors'][:3]}")
    rate = r["received"] / r["elapsed"] if r["elapsed"] else 0
    metric(f"{tag}/{name} udp {r['received']}/{count} echoed in {r['elapsed']:.1f} s = {rate:.0f} datagrams/s, "
           f"{2 * r['bytes'] / r['elapsed'] / 1e6:.2f} MB/s both ways")


def end_checks(results, tag, b, names_expect):
    check(results, f"{tag}/finished", b and not b.timed_out,
          "timed out: " + (b.output[-1500:] if b else "no result"))
    if not b:
        return
    bad = BROKEN.findall(b.output)
    check(results, f"{tag}/no-broken-device", not bad, str(bad[:3]))
    for name, expect in names_expect:
        program_checks(results, f"{tag}/{name}", b.output, name, expect)


def echoed(out, name):
    for line in guest_lines(out, name):
        m = re.search(r"echoed (\d+)", line)
        if m and line.startswith("NET STACK"):
            return int(m.group(1))
    return None


MODEL = {"e1000": "82540EM", "e1000-82545em": "82545EM", "e1000-82544gc": "82544GC", "e1000e": "82574L"}


def single_test(machine, plain=False, count=10000, nic="e1000", pings=100, pic=False):
    """One guest (test=net) and the wire peer: ARP, ping, UDP echo, the
    guest's own ping to the peer; nic: QEMU's model on the wire."""
    def run():
        results = []
        kind = "plain" if plain else "single" if nic == "e1000" else nic + ("-pic" if pic else "")
        tag = f"net/{machine}/{kind}"
        args = f"test=net ip={IP['a']} ping={PEER_IP}" + (" virtio=plain" if plain else "")
        r = Run([("a", MEM, args, f"mac={MAC['a']}")], machine, nics=(nic,),
                append="console=com1 irq=pic" if pic else "console=com1")
        try:
            if ready(results, tag, r, "a"):
                arp_checks(results, tag, r.peer, "a")
                _, frame = r.peer.arp(NOBODY, timeout=1.0)
                check(results, f"{tag}/arp-nobody", frame is None, f"who-has {NOBODY} was answered")
                ping_checks(results, tag, r.peer, "a", pings)
                udp_checks(results, tag, r.peer, "a", count)
                r.wait_for(r"\[a\] (PASS|FAIL) net/ping-out", 60)
                m = r.wait_for(r"\[a\] NET PING .*$", 1)
                if m:
                    metric(f"{tag}/a guest->wire {m.group(0)}")
                r.quit("a")
            else:
                r.abort = True
        finally:
            r.abort = r.abort or not r.wait_for(r"\[a\] DONE ", 5)
            b = r.finish()
        end_checks(results, tag, b, [("a", NET_EXPECT)])
        if b:
            m = re.search(r"e1000: (\S+) at \S+, MAC \S+, link (\w+), irq (\S+ \S+)", b.output)
            check(results, f"{tag}/model", m and m.group(1) == MODEL[nic] and m.group(2) == "up",
                  f"want the {MODEL[nic]} driven, link up: {m and m.group(0)}")
            if nic == "e1000e" and not pic:
                check(results, f"{tag}/msi", m and m.group(3).startswith("MSI"),
                      f"the 82574L has MSI, the driver should use it: {m and m.group(0)}")
            if pic:
                check(results, f"{tag}/intx", m and m.group(3).startswith("8259"),
                      f"irq=pic: no MSI, the 8259 line: {m and m.group(0)}")
            n = echoed(b.output, "a")
            check(results, f"{tag}/a/echo-count", n is not None and n >= count,
                  f"the guest echoed {n} datagrams, the peer sent {count}")
            stats = r.peer.stats
            check(results, f"{tag}/wire-clean", not stats["bad"], f"{stats}: {r.peer.bad_frames}")
        return results
    return run


def two_guest_test(machine="pc", count=1000, smp=1):
    """Guests a (test=net) and b (test=netpeer against a) on the switch; the
    wire peer pings both meanwhile. With smp=2: a on CPU 0 and b on CPU 1,
    and beside them two block guests, one per CPU, working their disks at
    the same time (devices served from both CPUs at once)."""
    def run():
        results = []
        tag = f"net/{machine}/two-guests" + (f"-smp{smp}" if smp > 1 else "")
        pin = (lambda c: f" cpu={c}") if smp > 1 else (lambda c: "")
        guests = [("a", MEM, f"test=net ip={IP['a']}", f"mac={MAC['a']}" + pin(0)),
                  ("b", MEM, f"test=netpeer ip={IP['b']} peer={IP['a']} count={count}",
                   f"mac={MAC['b']}" + pin(1))]
        blocks = []
        if smp > 1:
            import device_tests
            blocks = [("x", 0), ("y", 1)]
            guests += [(n, "16M", device_tests.block_args(n), f"net=off cpu={c}") for n, c in blocks]
        r = Run(guests, machine, smp=smp, disks=[n for n, _ in blocks])
        try:
            if ready(results, tag, r, "a") and ready(results, tag, r, "b"):
                for name in ("a", "b"):
                    arp_checks(results, tag, r.peer, name)
                    ping_checks(results, tag, r.peer, name, 20)
                m = r.wait_for(r"\[b\] (PASS|FAIL) netpeer/udp.*$", 600)
                check(results, f"{tag}/b/exchange-ended", m, "b never finished its UDP exchange: "
                      + "\n".join(guest_lines(r.text, "b")[-5:]))
                for line in guest_lines(r.text, "b"):
                    if line.startswith(("NET UDP", "NET PING")):
                        metric(f"{tag}/b->a {line}")
                # the wire once more, after the guests' exchange
                for name in ("a", "b"):
                    ping_checks(results, f"{tag}/after", r.peer, name, 5)
                r.quit("b")
                r.quit("a")
            else:
                r.abort = True
        finally:
            r.abort = r.abort or not r.wait_for(ALL_STOPPED, 10)
            b = r.finish()
        end_checks(results, tag, b, [("a", [f"net/{c}" for c in SERVE_EXPECT]), ("b", NETPEER_EXPECT)])
        if blocks and b:
            import device_tests
            for n, cpu in blocks:
                device_tests.block_checks(results, f"{tag}/{n}", b.output, n, False)
                check(results, f"{tag}/{n}/on-cpu{cpu}", f"guest {n}: on CPU {cpu}" in b.output,
                      f"guest {n} was not placed on CPU {cpu}")
        return results
    return run


def shell_test(machine="pc"):
    """The shell's network commands, typed into the serial console: the
    peer answers the guest's ARP and ping."""
    def run():
        results = []
        tag = f"net/{machine}/shell"
        send = [(r"lgtest\$ ", b"ifconfig\r"),
                (r"eth0: rx \d+ frames", b"ping 10.0.0.1 3 1000\r"),
                (r"ping: 10\.0\.0\.1 \d+/\d+ replies", b"arp\r"),
                (r"arp: 10\.0\.0\.1 ", b"netstat\r"),
                (r"netstat: eth", b"poweroff\r")]
        r = Run([("a", MEM, f"test=shell ip={IP['a']}", f"mac={MAC['a']}")], machine, timeout=120, send=send)
        b = r.finish()
        out = b.output if b else ""
        lines = guest_lines(out, "a")
        check(results, f"{tag}/finished", b and not b.timed_out and "guest a: stopped (powered off)" in out,
              "the guest did not power off: " + "\n".join(lines[-8:]))

        def line(prefix):
            return next((ln for ln in lines if ln.startswith(prefix)), "")
        got = line("eth0: mac")
        check(results, f"{tag}/ifconfig", f"mac {MAC['a']} ip {IP['a']} link up" in got, f"'{got}'")
        got = line("ping: 10.0.0.1")
        check(results, f"{tag}/ping", "3/3 replies, 0 bad" in got, f"'{got}'")
        got = line("arp: 10.0.0.1")
        check(results, f"{tag}/arp", f"at {mac_str(r.peer.mac)}" in got, f"'{got}'")
        check(results, f"{tag}/netstat", line("netstat: eth"), "no netstat line")
        return results
    return run


STOPPED_PROMPT = r"; 0 running(?s:.*)lgvisor> "


def no_uplink_test(machine="pc"):
    """A machine whose only NIC lgvisor cannot drive (virtio-net-pci): the
    boot log says it is not driven, the guest sees its link down, its
    frames for the wire are counted as dropped for no uplink, and the
    monitor's net says why."""
    def run():
        results = []
        tag = f"net/{machine}/no-uplink"
        send = [(r"lgtest\$ ", b"ifconfig\r"),
                (r"eth0: mac", b"ping 10.0.0.1 1 100\r"),
                (r"ping: 10\.0\.0\.1 \d+/\d+ replies", b"poweroff\r"),
                (STOPPED_PROMPT, b"net\r")]
        b = boot(until=r"net: end", timeout=120, machine=machine, kernel=ELF, send=send, append="console=com1",
                 initrd=modules([("a", MEM, f"test=shell ip={IP['a']}", f"mac={MAC['a']}")]), e1000=False,
                 extra=["-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0"])
        out = b.output
        check(results, f"{tag}/finished", not b.timed_out, "no net output after poweroff: " + out[-1500:])
        check(results, f"{tag}/not-driven-logged",
              re.search(r"net: [0-9a-f:.]+ 1af4:1000 \(virtio-net\): not driven", out), "no not-driven line")
        check(results, f"{tag}/no-wire-logged", "net: guests have no wire: no NIC lgvisor can drive" in out,
              "no no-wire warning")
        lines = guest_lines(out, "a")
        got = next((ln for ln in lines if ln.startswith("eth0: mac")), "")
        check(results, f"{tag}/link-down", "link down" in got, f"ifconfig says '{got}'")
        check(results, f"{tag}/monitor-why", re.search(r"uplink: none \(no NIC lgvisor can drive", out),
              "net does not say why there is no uplink")
        check(results, f"{tag}/monitor-nic", re.search(r"nic [0-9a-f:.]+ 1af4:1000 virtio-net: not driven", out),
              "net does not list the NIC")
        m = re.search(r"guest a: rx .*?dropped \d+ bad, \d+ bad header, (\d+) no uplink", out)
        check(results, f"{tag}/drops-counted", m and int(m.group(1)) >= 1,
              f"the guest's ARP for the wire is not counted as dropped for no uplink: {m and m.group(0)}")
        return results
    return run


def two_nic_test(machine="pc", uplink=None):
    """Two NICs of the family: the first (or net_uplink's) is the guests'
    wire, the other is logged as not used. The wired one is the one the
    peer reaches: with net_uplink=2 the e1000e is second and wired."""
    def run():
        results = []
        tag = f"net/{machine}/two-nics" + (f"-uplink{uplink}" if uplink else "")
        # the uplink is the NIC wired to the peer: the first, or the second
        # with net_uplink=2
        nics, wired = ("e1000", "e1000e"), (uplink or 1) - 1
        append = "console=com1" + (f" net_uplink={uplink}" if uplink else "")
        r = Run([("a", MEM, f"test=net ip={IP['a']} ping={PEER_IP}", f"mac={MAC['a']}")], machine,
                nics=nics, wired=wired, append=append)
        try:
            if ready(results, tag, r, "a"):
                arp_checks(results, tag, r.peer, "a")
                ping_checks(results, tag, r.peer, "a", 10)
                r.quit("a")
            else:
                r.abort = True
        finally:
            r.abort = r.abort or not r.wait_for(r"\[a\] DONE ", 5)
            b = r.finish()
        out = b.output if b else ""
        used = re.findall(r"net: \S+ Intel (\S+) \(8086:[0-9a-f]+\), irq line \d+: the uplink", out)
        unused = re.findall(r"net: \S+ Intel (\S+) \(8086:[0-9a-f]+\): not used", out)
        want = MODEL[nics[wired]]
        check(results, f"{tag}/uplink-chosen", used == [want], f"uplink {used}, want [{want}]")
        check(results, f"{tag}/other-not-used", len(unused) == 1 and unused[0] != want,
              f"not-used lines: {unused}")
        return results
    return run


def link_change_test(machine="pc"):
    """The e1000's link goes down and up (QEMU's set_link, through a second
    human monitor on a Unix socket): the hypervisor logs both changes from
    the NIC's interrupt, the guest's config status follows (the shell's
    ifconfig re-reads it), and the monitor's net counts them."""
    def run():
        import socket as sk
        results = []
        tag = f"net/{machine}/link-change"
        path = os.path.join(TESTDIR, f"qmon-{os.getpid()}-{machine}.sock")
        os.makedirs(TESTDIR, exist_ok=True)
        if os.path.exists(path):
            os.unlink(path)

        def qemu_monitor(cmd):
            c = sk.socket(sk.AF_UNIX, sk.SOCK_STREAM)
            for _ in range(50):
                try:
                    c.connect(path)
                    break
                except OSError:
                    time.sleep(0.1)
            c.sendall(cmd.encode() + b"\n")
            time.sleep(0.3)
            c.close()

        # the shell types ifconfig after each change the hypervisor logs
        send = [(r"e1000: link down", b"ifconfig\r"),
                (r"e1000: link up", b"ifconfig\r"),
                (r"(?s)e1000: link up.*eth0: mac [^\n]*link \w+", b"poweroff\r"),
                (STOPPED_PROMPT, b"net\r")]
        r = Run([("a", MEM, f"test=shell ip={IP['a']}", f"mac={MAC['a']}")], machine, timeout=120, send=send,
                extra=["-monitor", f"unix:{path},server=on,wait=off"], stop=r"net: end")
        try:
            if r.wait_for(r"lgtest\$ ", 60):
                qemu_monitor("set_link n0 off")
            if r.wait_for(r"eth0: mac [^\n]*link down", 30):
                qemu_monitor("set_link n0 on")
            r.wait_for(r"net: end", 30)
        finally:
            r.abort = True
            b = r.finish()
        out = b.output if b else r.text
        check(results, f"{tag}/down-logged", "e1000: link down" in out, "no link-down line: " + out[-1500:])
        check(results, f"{tag}/up-logged", "e1000: link up" in out, "no link-up line")
        lines = [ln for ln in guest_lines(out, "a") if ln.startswith("eth0: mac")]
        check(results, f"{tag}/guest-saw-down", any("link down" in ln for ln in lines), f"ifconfig said {lines}")
        check(results, f"{tag}/guest-saw-up", lines and "link up" in lines[-1], f"ifconfig said {lines}")
        m = re.search(r"uplink: e1000 .*, (\d+) link changes", out)
        check(results, f"{tag}/counted", m and int(m.group(1)) == 2, f"net says {m and m.group(0)}")
        return results
    return run


def hostile_header_test(machine="pc", offload=True):
    """Guest a (test=nethdr) sends frames whose virtio-net header is bad:
    with offloads negotiated every malformed field (checksum offsets, GSO
    size, segment count, header length, IP length, flags, types, ECN), with
    offload=off also every offload not negotiated; each followed by a good
    one: only the good ones reach the wire, each bad one is counted under
    the reason the guest says it must get, the device stays up, and guest
    b on the same switch is still answered by the wire afterwards."""
    def run():
        results = []
        tag = f"net/{machine}/hostile-header" + ("" if offload else "-off")
        send = [(STOPPED_PROMPT, b"net\r")]
        opt = "" if offload else " offload=off"
        r = Run([("a", MEM, f"test=nethdr ip={IP['a']} peer={PEER_IP}{opt}", f"mac={MAC['a']}"),
                 ("b", MEM, f"test=net ip={IP['b']}", f"mac={MAC['b']}")], machine, timeout=180, send=send,
                stop=r"net: end")
        try:
            m = r.wait_for(r"\[a\] NETHDR SENT bad (\d+) good (\d+)", 120)
            got = []
            end = time.monotonic() + 3
            while time.monotonic() < end:
                try:
                    src, sp, dp, data, smac = r.peer.udp.get(timeout=0.2)
                except Exception:
                    continue
                if dp == 7777:
                    got.append(data.decode(errors="replace"))
            n = int(m.group(1)) if m else 0
            check(results, f"{tag}/sent", m and n >= 10, f"guest a: {m and m.group(0)}")
            check(results, f"{tag}/only-good-arrived",
                  sorted(got) == sorted(f"good {i}" for i in range(n)), f"the peer got {got}")
            if r.wait_for(r"\[b\] NET READY", 60):
                arp_checks(results, f"{tag}/after", r.peer, "b")
                ping_checks(results, f"{tag}/after", r.peer, "b", 5)
                r.quit("b")
        finally:
            r.abort = r.abort or not r.wait_for(r"net: end", 30)
            b = r.finish()
        out = b.output if b else r.text
        c = re.search(r"guest a: rx .*?dropped \d+ bad, (\d+) bad header", out)
        check(results, f"{tag}/counted", c and int(c.group(1)) == n, f"net says {c and c.group(0)}, {n} sent")
        want = {}
        for line in guest_lines(out, "a"):
            w = re.match(r"NETHDR CASE \d+ (.+?)\s*$", line)
            if w:
                want[w.group(1)] = want.get(w.group(1), 0) + 1
        w = re.search(r"guest a offloads: .*bad header by reason: (.*)", out)
        have = {k.strip(): int(v) for k, v in re.findall(r"([a-z0-9 ]+?) (\d+)(?:,|\s*$)", w.group(1).strip())} if w else {}
        check(results, f"{tag}/reasons", have and len(want) >= 5 and all(have.get(k, -1) == want.get(k, 0)
                                                                           for k in set(have) | set(want)),
              f"net says {have}, the guest sent {want}")
        tcp = [s for s in list(r.peer.tcp.queue) if s[2] == 7778]
        check(results, f"{tag}/no-bad-tcp-arrived", not tcp, f"{len(tcp)} hostile TCP frames reached the peer")
        check(results, f"{tag}/wire-clean", not r.peer.stats["bad"], f"{r.peer.bad_frames}")
        check(results, f"{tag}/no-broken-device", not BROKEN.findall(out), str(BROKEN.findall(out)[:2]))
        program_checks(results, f"{tag}/a", out, "a", ["nethdr/device", "nethdr/arp", "nethdr/device-alive",
                                                         "nethdr/sent"])
        return results
    return run


TSO_ISN = 0xFFFFC000


def stream_bytes(n):
    return bytes((o * 7 + (o >> 8) + (o >> 16) * 3) & 255 for o in range(n))


def tcp_stream_checks(results, tag, segs, port, total):
    """The segments the wire peer got for port: every one already had its IP
    and TCP checksums checked and was no longer than the MTU (netpeer.py);
    here they must make up the stream byte for byte, no gap, no overlap."""
    mine = sorted(((seq - TSO_ISN) & 0xFFFFFFFF, data) for (src, sp, dp, seq, fl, data, flen) in segs
                  if dp == port and src == IP["a"])
    problems, at, got = [], 0, bytearray()
    for off, data in mine:
        if off != at:
            problems.append(f"segment at {off}, stream at {at}")
            break
        got += data
        at += len(data)
    if not problems and bytes(got) != stream_bytes(total):
        problems.append("contents differ")
    if at != total:
        problems.append(f"{at} of {total} bytes")
    check(results, f"{tag}/wire-stream-{port}", not problems, f"{len(mine)} segments: {problems[:3]}")
    return len(mine)


def offload_counters(out, name):
    m = re.search(rf"guest {name} offloads: tx csum (\d+) by e1000 (\d+) in software, tso (\d+) by e1000 (\d+) in "
                  rf"software; rx csum passed (\d+), completed (\d+), data valid (\d+), tso cut (\d+), tso passed (\d+)", out)
    keys = ("csum_hw", "csum_sw", "tso_hw", "tso_sw", "passed", "completed", "valid", "cut", "whole")
    return dict(zip(keys, map(int, m.groups()))) if m else None


def offload_test(machine="pc", nic="e1000", offload=True, count=32, size=16000):
    """Offloads end to end. Guest a (test=tso) sends 100 UDP datagrams
    (partial checksums when CSUM is negotiated) and count TCP segments of
    size bytes (large frames with HOST_TSO4) to the wire peer, then the same
    to guest b (offloads negotiated: gets NEEDS_CSUM and, with GUEST_TSO4
    and MRG_RXBUF, each segment whole over several buffers), guest c
    (offload=off: gets everything completed and cut by the hypervisor) and
    guest d (offload=nomrg: GUEST_TSO4 but small buffers, so cut). The
    peer checks every frame's IP/UDP/TCP checksum and that the stream
    reassembles byte for byte; b and c check theirs; the monitor's net says
    who did the work: the e1000 on models with the offload, else software."""
    def run():
        results = []
        tag = f"net/{machine}/offload-{nic}" + ("" if offload else "-off")
        total = count * size
        opt = "" if offload else " offload=off"
        send = [(STOPPED_PROMPT, b"net\r")]
        r = Run([("a", MEM, f"test=tso ip={IP['a']} peer={PEER_IP} to={IP['b']}+{IP['c']}+{IP['d']} count={count} "
                            f"size={size}{opt}", f"mac={MAC['a']}"),
                 ("b", MEM, f"test=tsorecv ip={IP['b']} expect={total}", f"mac={MAC['b']}"),
                 ("c", MEM, f"test=tsorecv ip={IP['c']} expect={total} offload=off", f"mac={MAC['c']}"),
                 ("d", MEM, f"test=tsorecv ip={IP['d']} expect={total} offload=nomrg", f"mac={MAC['d']}")],
                machine, nics=(nic,), timeout=300, send=send, stop=r"net: end")
        try:
            # datagrams from the wire to b and c: with RXCSUM the e1000
            # checks them, and b (GUEST_CSUM) may be told DATA_VALID
            for name in ("b", "c", "d"):
                r.wait_for(rf"\[{name}\] NET READY tsorecv", 120)
                mac = bytes.fromhex(MAC[name].replace(":", ""))
                for i in range(10):
                    r.peer.send_udp(IP[name], 6000, 7777, f"wire {i} ".encode() * 20, mac)
            m = r.wait_for(r"\[a\] TSO DONE.*$", 240)
            check(results, f"{tag}/a/done", m, "a never finished: " + "\n".join(guest_lines(r.text, "a")[-5:]))
            for line in guest_lines(r.text, "a"):
                if line.startswith("TSO TO"):
                    metric(f"{tag} {line}")
        finally:
            r.abort = r.abort or not r.wait_for(r"net: end", 60)
            b = r.finish()
        out = b.output if b else r.text
        segs = []
        while not r.peer.tcp.empty():
            segs.append(r.peer.tcp.get())
        udp = []
        while not r.peer.udp.empty():
            udp.append(r.peer.udp.get())
        for name in ("b", "c", "d"):
            w = re.search(r"from the wire (\d+)", "\n".join(guest_lines(out, name)))
            check(results, f"{tag}/{name}/from-wire", w and int(w.group(1)) == 10, f"{w and w.group(0)} of 10")
        n = tcp_stream_checks(results, tag, segs, 5001, total)
        tcp_stream_checks(results, tag, segs, 5002, total)
        check(results, f"{tag}/wire-segments", n >= (size + 1459) // 1460 * count,
              f"{n} segments for {count} of {size} bytes at MSS 1460")
        got = sum(1 for (src, sp, dp, data, smac) in udp if dp == 7777 and data.startswith(b"udp "))
        check(results, f"{tag}/wire-udp", got == 100, f"{got} of 100 datagrams with good checksums")
        stats = r.peer.stats
        check(results, f"{tag}/wire-clean", not stats["bad"], f"{stats}: {r.peer.bad_frames}")
        for name in ("b", "c", "d"):
            program_checks(results, f"{tag}/{name}", out, name, ["tsorecv/device", "tsorecv/features",
                           "tsorecv/stream", "tsorecv/udp", "tsorecv/checksums", "tsorecv/device-ok"])
        program_checks(results, f"{tag}/a", out, "a", ["tso/device", "tso/features", "tso/device-ok"] +
                       [f"tso/{k}-{ip}" for ip in (PEER_IP, IP["b"], IP["c"], IP["d"]) for k in ("arp", "sent")])
        check(results, f"{tag}/no-broken-device", not BROKEN.findall(out), str(BROKEN.findall(out)[:2]))
        ca, cb, cc, cd = (offload_counters(out, x) for x in "abcd")
        check(results, f"{tag}/counters", ca and cb and cc and cd, "no offload line in net")
        if ca and cb and cc and cd:
            # to the wire: the NIC's checksum offload, its TSO where the
            # model's is used (drivers/e1000_models.c), else software
            tso = offload and nic != "e1000e"
            want_a = {"csum_hw": 100 if offload else 0, "csum_sw": 0, "tso_hw": count if tso else 0,
                      "tso_sw": count if offload and not tso else 0}
            check(results, f"{tag}/a/counters", all(ca[k] == v for k, v in want_a.items()), f"{ca}, want {want_a}")
            # 100 datagrams and 3 "quit"s from a
            want_b = {"passed": 103 if offload else 0, "whole": count if offload else 0, "cut": 0, "completed": 0}
            check(results, f"{tag}/b/counters", all(cb[k] == v for k, v in want_b.items()), f"{cb}, want {want_b}")
            want_c = {"passed": 0, "completed": 103 if offload else 0, "cut": count if offload else 0, "valid": 0,
                      "whole": 0}
            check(results, f"{tag}/c/counters", all(cc[k] == v for k, v in want_c.items()), f"{cc}, want {want_c}")
            want_d = {"passed": 103 if offload else 0, "cut": count if offload else 0, "whole": 0}
            check(results, f"{tag}/d/counters", all(cd[k] == v for k, v in want_d.items()), f"{cd}, want {want_d}")
            metric(f"{tag} b was given {cb['valid']} of 10 frames from the wire as DATA_VALID")
            if nic == "e1000e" and offload:
                # QEMU's e1000e reports RX checksums (its e1000 does not)
                check(results, f"{tag}/b/data-valid", cb["valid"] >= 10, f"{cb['valid']} of 10 marked DATA_VALID")
        return results
    return run


# the NIC-model, link and no-uplink tests run in the first pass only (tests/run.py)
ONCE = {"net/pc/no-uplink", "net/pc/link-change", "net/pc/hostile-header", "net/pc/hostile-header-off", "net/pc/two-nics", "net/q35/two-nics-uplink2"} | {
    f"net/{m}/{nic}" for nic in ("e1000-82545em", "e1000-82544gc", "e1000e") for m in ("pc", "q35")} | {
    "net/q35/e1000e-pic"}


def tests():
    return [
        ("net/pc/no-uplink", no_uplink_test("pc")),
        ("net/pc/link-change", link_change_test("pc")),
        ("net/pc/hostile-header", hostile_header_test("pc")),
        ("net/pc/hostile-header-off", hostile_header_test("pc", offload=False)),
        ("net/pc/single", single_test("pc")),
        ("net/q35/single", single_test("q35")),
        ("net/pc/plain", single_test("pc", plain=True, count=3000)),
        ("net/pc/two-guests", two_guest_test("pc")),
        ("net/pc/two-guests-smp2", two_guest_test("pc", smp=2)),
        ("net/pc/shell", shell_test("pc")),
        ("net/pc/two-nics", two_nic_test("pc")),
        ("net/q35/two-nics-uplink2", two_nic_test("q35", uplink=2)),
    ] + [
        (f"net/{m}/{nic}", single_test(m, count=1000, nic=nic, pings=100))
        for nic in ("e1000-82545em", "e1000-82544gc", "e1000e") for m in ("pc", "q35")
    ] + [
        ("net/q35/e1000e-pic", single_test("q35", count=1000, nic="e1000e", pings=100, pic=True)),
        ("net/pc/offload-e1000", offload_test("pc")),
        ("net/q35/offload-e1000", offload_test("q35")),
        ("net/pc/offload-e1000e", offload_test("pc", "e1000e")),
        ("net/q35/offload-e1000e", offload_test("q35", "e1000e")),
        ("net/pc/offload-e1000-off", offload_test("pc", offload=False)),
    ]
