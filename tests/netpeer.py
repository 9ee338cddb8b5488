#!/usr/bin/env python3
"""A machine on lgvisor's wire, in Python: raw Ethernet frames carried one per
UDP datagram by QEMU's `-netdev dgram` between 127.0.0.1 ports (nothing leaves
the host). The peer has its own MAC and IPv4 address, answers ARP and ping
for it on a receive thread, and drives the tests: ARP who-has, ICMP echo,
UDP echo with a window and no retransmission (every loss counts).

Used by tests/net_tests.py; also runnable by hand against a QEMU started with
`-netdev dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=Q,
remote.type=inet,remote.host=127.0.0.1,remote.port=P -device e1000,netdev=n0`:
    tests/netpeer.py --port P --qemu-port Q ping 10.0.0.2
"""
import argparse
import queue
import random
import socket
import struct
import sys
import threading
import time

PEER_MAC = bytes.fromhex("020000000001")
PEER_IP = "10.0.0.1"
BROADCAST = b"\xff" * 6
ETH_P_IP, ETH_P_ARP = 0x0800, 0x0806
UDP_MAX = 1472
ICMP_MAX = 1472


def ip_bytes(ip):
    return socket.inet_aton(ip)


def mac_str(mac):
    return ":".join(f"{b:02x}" for b in mac)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def free_udp_port():
    """A port nothing on 127.0.0.1 uses now (QEMU binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Peer:
    def __init__(self, mac=PEER_MAC, ip=PEER_IP, port=0, qemu_port=None):
        self.mac, self.ip, self.ipb = mac, ip, ip_bytes(ip)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.qemu = ("127.0.0.1", qemu_port) if qemu_port else None
        self.arp_replies = queue.Queue()    # (ip, mac, frame)
        self.icmp_replies = queue.Queue()   # (src ip, id, seq, payload, frame ok)
        self.udp = queue.Queue()            # (src ip, sport, dport, payload, src mac)
        self.tcp = queue.Queue()            # (src ip, sport, dport, seq, flags, payload, frame length)
        self.stats = {"frames": 0, "not_ours": 0, "bad": 0, "arp_answered": 0, "echo_answered": 0,
                      "other": 0}
        self.bad_frames = []
        self.neigh = {}                     # ip -> mac, from everything seen
        self.ip_id = 0
        self._stop = False
        self.thread = threading.Thread(target=self._rx_loop, daemon=True)
        self.thread.start()

    def close(self):
        self._stop = True
        self.sock.close()

    # -- sending --------------------------------------------------------
    def send(self, frame):
        if self.qemu:
            self.sock.sendto(frame, self.qemu)

    def eth(self, dst, etype, payload):
        return dst + self.mac + struct.pack("!H", etype) + payload

    def arp_frame(self, op, dst_mac, tha, tpa):
        body = struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, op) + self.mac + self.ipb + tha + ip_bytes(tpa)
        return self.eth(dst_mac, ETH_P_ARP, body)

    def ip_packet(self, dst_ip, proto, payload):
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), self.ip_id, 0x4000, 64, proto, 0,
                          self.ipb, ip_bytes(dst_ip))
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        return hdr + payload

    def send_ip(self, dst_ip, proto, payload, dst_mac=None):
        mac = dst_mac or self.neigh.get(dst_ip)
        self.send(self.eth(mac, ETH_P_IP, self.ip_packet(dst_ip, proto, payload)))

    def send_udp(self, dst_ip, sport, dport, data, dst_mac=None):
        pseudo = self.ipb + ip_bytes(dst_ip) + struct.pack("!BBH", 0, 17, 8 + len(data))
        hdr = struct.pack("!HHHH", sport, dport, 8 + len(data), 0)
        s = csum(pseudo + hdr + data) or 0xFFFF
        self.send_ip(dst_ip, 17, hdr[:6] + struct.pack("!H", s) + data, dst_mac)

    def send_echo(self, dst_ip, ident, seq, data, dst_mac=None):
        msg = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
        msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
        self.send_ip(dst_ip, 1, msg, dst_mac)

    # -- receiving ------------------------------------------------------
    def _bad(self, why, frame):
        self.stats["bad"] += 1
        if len(self.bad_frames) < 5:
            self.bad_frames.append(f"{why}: {frame[:64].hex()}")

    def _rx_loop(self):
        while not self._stop:
            try:
                frame, addr = self.sock.recvfrom(65536)
            except OSError:
                return
            if self.qemu is None:
                self.qemu = addr        # learn QEMU's end from its first frame
            self.stats["frames"] += 1
            try:
                self._input(frame)
            except (struct.error, IndexError) as e:
                self._bad(f"unparsable ({e})", frame)

    def _input(self, f):
        if len(f) < 14:
            return self._bad("runt", f)
        dst, src, etype = f[:6], f[6:12], struct.unpack("!H", f[12:14])[0]
        if dst != self.mac and dst != BROADCAST:
            self.stats["not_ours"] += 1
            return
        if etype == ETH_P_ARP:
            return self._arp(f, src)
        if etype != ETH_P_IP:
            self.stats["other"] += 1
            return
        ip = f[14:]
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        if ip[0] >> 4 != 4 or ihl < 20 or total > len(ip) or csum(ip[:ihl]) != 0:
            return self._bad("bad IPv4 header", f)
        src_ip, dst_ip = socket.inet_ntoa(ip[12:16]), ip[16:20]
        if dst_ip != self.ipb:
            self.stats["not_ours"] += 1
            return
        proto, body = ip[9], ip[ihl:total]
        if proto == 1:
            if csum(body) != 0:
                return self._bad("bad ICMP checksum", f)
            typ, code, _, ident, seq = struct.unpack("!BBHHH", body[:8])
            if typ == 8 and code == 0:
                self.stats["echo_answered"] += 1
                reply = body[:0] + struct.pack("!BBHHH", 0, 0, 0, ident, seq) + body[8:]
                reply = reply[:2] + struct.pack("!H", csum(reply)) + reply[4:]
                self.send_ip(src_ip, 1, reply, src)
            elif typ == 0:
                self.icmp_replies.put((src_ip, ident, seq, body[8:], src))
        elif proto == 17:
            sport, dport, ulen, usum = struct.unpack("!HHHH", body[:8])
            if ulen < 8 or ulen > len(body):
                return self._bad("bad UDP length", f)
            pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, ulen)
            if usum and csum(pseudo + body[:ulen]) != 0:
                return self._bad("bad UDP checksum", f)
            self.udp.put((src_ip, sport, dport, body[8:ulen], src))
        elif proto == 6:
            # every segment checked as a receiver would: no segment longer
            # than the MTU (a TSO frame must have been cut), the checksum
            if len(f) > 1514:
                return self._bad("TCP frame longer than the MTU", f)
            pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(body))
            doff = (body[12] >> 4) * 4 if len(body) >= 20 else 0
            if doff < 20 or doff > len(body) or csum(pseudo + body) != 0:
                return self._bad("bad TCP checksum or header", f)
            sport, dport, seq = struct.unpack("!HHI", body[:8])
            self.tcp.put((src_ip, sport, dport, seq, body[13], body[doff:], len(f)))
        else:
            self.stats["other"] += 1

    def _arp(self, f, src):
        htype, ptype, hlen, plen, op = struct.unpack("!HHBBH", f[14:22])
        if (htype, ptype, hlen, plen) != (1, ETH_P_IP, 6, 4):
            return self._bad("bad ARP header", f)
        sha, spa, tha, tpa = f[22:28], socket.inet_ntoa(f[28:32]), f[32:38], f[38:42]
        self.neigh[spa] = sha
        if op == 1 and tpa == self.ipb:
            self.stats["arp_answered"] += 1
            self.send(self.arp_frame(2, sha, sha, spa))
        elif op == 2:
            self.arp_replies.put((spa, sha, f))

    # -- tests ----------------------------------------------------------
    @staticmethod
    def _drain(q):
        while True:
            try:
                q.get_nowait()
            except queue.Empty:
                return

    def arp(self, ip, timeout=1.0, tries=1):
        """who-has ip: (mac, the reply frame) or (None, None)."""
        self._drain(self.arp_replies)
        for _ in range(tries):
            self.send(self.arp_frame(1, BROADCAST, b"\0" * 6, ip))
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                try:
                    spa, sha, frame = self.arp_replies.get(timeout=max(0.01, end - time.monotonic()))
                except queue.Empty:
                    break
                if spa == ip:
                    return sha, frame
        return None, None

    def ping(self, ip, count, sizes=None, timeout=2.0, ident=0x1234):
        """count echo requests one at a time: {sent, received, bad, rtts}."""
        mac = self.neigh.get(ip)
        res = {"sent": 0, "received": 0, "bad": 0, "rtts": [], "errors": []}
        rnd = random.Random(count)
        self._drain(self.icmp_replies)
        for seq in range(1, count + 1):
            size = sizes[(seq - 1) % len(sizes)] if sizes else 56
            data = bytes(rnd.getrandbits(8) for _ in range(size))
            t0 = time.monotonic()
            self.send_echo(ip, ident, seq, data, mac)
            res["sent"] += 1
            end = t0 + timeout
            while time.monotonic() < end:
                try:
                    src, rid, rseq, payload, smac = self.icmp_replies.get(timeout=max(0.01, end - time.monotonic()))
                except queue.Empty:
                    break
                if src != ip or rid != ident or rseq != seq:
                    continue
                if payload != data or smac != mac:
                    res["bad"] += 1
                    res["errors"].append(f"seq {seq}: {len(payload)} of {size} bytes back, "
                                         f"{'same' if payload == data else 'different'} data, from {mac_str(smac)}")
                else:
                    res["received"] += 1
                    res["rtts"].append(time.monotonic() - t0)
                break
        return res

    def udp_echo(self, ip, count, port=7, window=32, sport=5555, stall=5.0, max_size=UDP_MAX):
        """count datagrams to ip's echo port, at most window outstanding,
        nothing retransmitted. The first 8 go one at a time with 0..7 bytes
        (too short to carry their number); the rest carry (i, ~i), then a
        pattern of i, sizes spread over 8..max_size with max_size often."""
        mac = self.neigh.get(ip)
        res = {"sent": 0, "received": 0, "bad": 0, "dup": 0, "lost": 0, "stray": 0, "errors": [],
               "bytes": 0}
        self._drain(self.udp)

        def size_of(i):
            if i < 8:
                return i
            return max_size if i % 7 == 0 else 8 + (i * 7919) % (max_size - 7)

        def payload(i):
            n = size_of(i)
            if i < 8:
                return bytes((0xA0 + i + j) & 0xFF for j in range(n))
            head = struct.pack("!II", i, ~i & 0xFFFFFFFF)
            body = bytes(((i * 13 + j) & 0xFF) for j in range(8, n))
            return head + body

        def take(timeout):
            try:
                src, sp, dp, data, smac = self.udp.get(timeout=timeout)
            except queue.Empty:
                return None
            if src != ip or sp != port or dp != sport:
                res["stray"] += 1
                return False
            if smac != mac:
                res["bad"] += 1
                res["errors"].append(f"echo from MAC {mac_str(smac)}")
                return False
            return data

        start = time.monotonic()
        # tiny ones, one at a time
        for i in range(min(8, count)):
            data = payload(i)
            self.send_udp(ip, sport, port, data, mac)
            res["sent"] += 1
            res["bytes"] += len(data)
            end = time.monotonic() + stall
            got = None
            while got is None and time.monotonic() < end:
                r = take(max(0.01, end - time.monotonic()))
                if r is None:
                    break
                if r is not False:
                    got = r
            if got is None:
                res["lost"] += 1
            elif got == data:
                res["received"] += 1
            else:
                res["bad"] += 1
                res["errors"].append(f"#{i}: {got.hex()} back for {data.hex()}")
        # the rest, windowed
        outstanding = set()
        seen = set()
        nxt = min(8, count)
        last_progress = time.monotonic()
        while nxt < count or outstanding:
            while nxt < count and len(outstanding) < window:
                data = payload(nxt)
                self.send_udp(ip, sport, port, data, mac)
                outstanding.add(nxt)
                res["sent"] += 1
                res["bytes"] += len(data)
                nxt += 1
            got = take(0.2)
            if got is None or got is False:
                if time.monotonic() - last_progress > stall:
                    break
                continue
            if len(got) < 8:
                res["bad"] += 1
                res["errors"].append(f"{len(got)}-byte echo")
                continue
            i, inv = struct.unpack("!II", got[:8])
            if inv != ~i & 0xFFFFFFFF or i >= nxt:
                res["bad"] += 1
                res["errors"].append(f"echo with a mangled number: {got[:16].hex()}")
                continue
            if i in seen:
                res["dup"] += 1
                continue
            seen.add(i)
            outstanding.discard(i)
            last_progress = time.monotonic()
            if got == payload(i):
                res["received"] += 1
            else:
                res["bad"] += 1
                if len(res["errors"]) < 5:
                    res["errors"].append(f"#{i}: {len(got)} bytes back of {size_of(i)}, content differs")
        res["lost"] += len(outstanding)
        res["lost_ids"] = sorted(outstanding)[:10]
        res["elapsed"] = time.monotonic() - start
        return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True, help="our UDP port (QEMU's remote.port)")
    ap.add_argument("--qemu-port", type=int, help="QEMU's local.port (else learned from its first frame)")
    ap.add_argument("--ip", default=PEER_IP)
    ap.add_argument("cmd", choices=["arp", "ping", "udp", "quit", "serve"])
    ap.add_argument("target", nargs="?")
    ap.add_argument("-n", type=int, default=10)
    a = ap.parse_args()
    p = Peer(ip=a.ip, port=a.port, qemu_port=a.qemu_port)
    if a.cmd == "serve":
        print(f"answering ARP and ping for {a.ip} on 127.0.0.1:{p.port}; Ctrl-C ends")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            return 0
    while not p.qemu:
        time.sleep(0.1)
    mac, _ = p.arp(a.target, tries=5)
    print(f"{a.target} is at {mac_str(mac) if mac else '(no answer)'}")
    if not mac:
        return 1
    if a.cmd == "ping":
        r = p.ping(a.target, a.n, sizes=[56])
        rtts = r["rtts"]
        print(f"{r['received']}/{r['sent']} replies, {r['bad']} bad"
              + (f", rtt avg {1000 * sum(rtts) / len(rtts):.2f} ms" if rtts else ""))
    elif a.cmd == "udp":
        r = p.udp_echo(a.target, a.n)
        print({k: v for k, v in r.items() if k != "errors"}, r["errors"][:5])
    elif a.cmd == "quit":
        p.send_udp(a.target, 5555, 9, b"quit")
    p.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
