"""Guest tests: boot lgvisor with our test guest (guest/, `lgtest`) as
multiboot modules and check what the guests print and what the hypervisor
logs about them. The cases themselves (which test, which checks, which kill
reasons) are data in tests/guest_cases.py. Each test returns a list of
(name, ok, detail), like boot_tests."""
import re

import guest_cases as cases
from boot_tests import ELF, check
from qemu import boot

ALL_STOPPED = r"; 0 running"
MACHINES = ("pc", "q35")


def modules(guests):
    """guests: [(name, mem, args[, module options[, kernel image]])] -> QEMU
    -initrd (the image defaults to cases.GUEST_ELF)."""
    return ",".join(f"{g[4] if len(g) > 4 else cases.GUEST_ELF} kernel name={g[0]} mem={g[1]} "
                    f"{g[3] if len(g) > 3 else ''} -- {g[2]}" for g in guests)


def run_guests(guests, until=ALL_STOPPED, timeout=180, machine="pc", send=None, append=""):
    return boot(until=until, timeout=timeout, machine=machine, kernel=ELF,
                append=("console=com1 " + append).strip(), initrd=modules(guests), send=send)


def guest_lines(out, name):
    # not anchored: a guest's first line may follow the console prompt
    return [m.group(1) for m in re.finditer(rf"\[{re.escape(name)}\] (.*)$", out, re.M)]


def stopped_reason(out, name):
    m = re.search(rf"guest {re.escape(name)}: stopped: (.*)$", out, re.M)
    return m.group(1) if m else None


def program_checks(results, tag, out, name, expect):
    """A test program's own verdicts: every PASS/FAIL line it printed, the
    expected checks present, a DONE line with nothing failed, a clean stop."""
    lines = guest_lines(out, name)
    for line in lines:
        m = re.match(r"(PASS|FAIL) (\S+?)(?::\s*(.*))?$", line)
        if m:
            check(results, f"{tag}/{m.group(2)}", m.group(1) == "PASS", m.group(3) or "")
    seen = {re.match(r"PASS (\S+)", ln).group(1) for ln in lines if re.match(r"PASS \S+", ln)}
    missing = [e for e in expect if e not in seen]
    check(results, f"{tag}/all-checks-ran", not missing, f"never passed: {missing}")
    done = [ln for ln in lines if ln.startswith("DONE ")]
    check(results, f"{tag}/done", done and re.match(r"DONE \d+ passed, 0 failed", done[-1]),
          f"DONE line: {done[-1] if done else 'missing'}; last output: {lines[-5:]}")
    reason = stopped_reason(out, name)
    check(results, f"{tag}/no-kill", reason is None, f"killed: {reason}")


def program_test(case, machine):
    def run():
        results = []
        tag = f"guest/{machine}/{case['test']}"
        b = run_guests([("t", case.get("mem", "16M"), case["args"])], machine=machine,
                       timeout=case.get("timeout", 180))
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + b.output[-1500:])
        program_checks(results, tag, b.output, "t", case.get("expect", []))
        return results
    return run


def kill_test(case):
    """One bad thing, one stopped guest with the right reason, and a
    hypervisor that still answers on its console."""
    def run():
        results = []
        tag = f"guest/kill/{case['case']}"
        b = run_guests([("k", case.get("mem", "16M"), case["args"])],
                       until=r"(?m)^k\s+stopped", timeout=120,
                       send=[(ALL_STOPPED, b"guests\r")])
        out = b.output
        check(results, f"{tag}/started", re.search(rf"^\[k\] KILL {re.escape(case['case'])} starting",
                                                   out, re.M), "the case never started: " + out[-800:])
        reason = stopped_reason(out, "k")
        check(results, f"{tag}/reason", reason and case["reason"] in reason,
              f"wanted '{case['reason']}', got '{reason}'")
        check(results, f"{tag}/hypervisor-alive", re.search(r"(?m)^k\s+stopped", out),
              "the monitor did not answer after the kill")
        return results
    return run


def multi_test(case):
    """Several guests in one boot: each passes on its own; guests given the
    same checksum work agree on the value."""
    def run():
        results = []
        tag = f"guest/multi/{case['name']}"
        names = [f"g{i}" for i in range(len(case["guests"]))]
        b = run_guests([(n, case.get("mem", "16M"), a) for n, a in zip(names, case["guests"])],
                       timeout=case.get("timeout", 400))
        check(results, f"{tag}/finished", not b.timed_out, "timed out: " + b.output[-1500:])
        for n in names:
            program_checks(results, f"{tag}/{n}", b.output, n, case.get("expect", []))
        if case.get("same_value"):
            vals = set()
            for n in names:
                for ln in guest_lines(b.output, n):
                    if ln.startswith(f"PASS {case['same_value']}"):
                        vals.add(ln.split()[-1])
            check(results, f"{tag}/same-value", len(vals) == 1, f"values: {vals}")
        return results
    return run


def special_test(case):
    """Power off, restart and panic: what the hypervisor logs."""
    def run():
        results = []
        tag = f"guest/shutdown/{case['case']}"
        banners = case.get("banners", 1)
        until = ALL_STOPPED if banners == 1 else rf"(?s)(\[s\] {cases.BANNER}.*){{{banners}}}"
        b = run_guests([("s", "16M", case["args"])], until=until, timeout=120)
        out = b.output
        for want in case["log"]:
            check(results, f"{tag}/log", want.format(name="s") in out, f"no '{want.format(name='s')}'")
        # (the first banner may share its line with the console prompt)
        n = len(re.findall(rf"\[s\] {cases.BANNER}", out))
        check(results, f"{tag}/boots", n >= banners, f"{n} banner(s), wanted {banners}")
        return results
    return run


FUZZ_CALLS = 100000


def fuzz_total(out):
    return sum(int(n) for n in re.findall(r"(?m)^\[fuzz\] FUZZ ok (\d+) calls", out))


def fuzz_test():
    """The hostile fuzzer (restarted after every kill) beside a checksum
    guest: at least FUZZ_CALLS survivable calls, every kill announced by
    the fuzzer with the reason it expected, and the checksum right."""
    results = []
    guests = [("fuzz", "16M", "test=fuzz calls=10000", "on_kill=restart restart_limit=0 restart_delay=0"),
              ("sum", "16M", cases.SIBLING["args"])]

    def done(text):
        return fuzz_total(text) >= FUZZ_CALLS and "guest sum: stopped" in text

    b = run_guests(guests, until=done, timeout=600)
    out = b.output
    total = fuzz_total(out)
    check(results, "guest/fuzz/calls", total >= FUZZ_CALLS, f"{total} survivable calls")
    # pair each kill with the announcement before it
    expect, kills, bad = None, 0, []
    for line in out.splitlines():
        m = re.match(r'\[fuzz\] FUZZ fatal (\S+) expect "(.*)"', line)
        if m:
            expect = m.group(2)
            continue
        m = re.search(r"guest fuzz: stopped: (.*)$", line)
        if m:
            kills += 1
            if expect is None or expect not in m.group(1):
                bad.append((expect, m.group(1)))
            expect = None
    check(results, "guest/fuzz/kills-announced", kills and not bad, f"{kills} kills; mismatched: {bad[:5]}")
    fails = [ln for ln in guest_lines(out, "fuzz") if ln.startswith("FAIL")]
    check(results, "guest/fuzz/no-fail", not fails, str(fails[:5]))
    program_checks(results, "guest/fuzz/sibling", out, "sum", cases.SIBLING["expect"])
    return results


STAMP = r"\[\s*(\d+\.\d+)(?:/\d+)?\] "


def backoff_test():
    """on_kill=restart with a guest that fails at once, every time: each
    restart waits longer (restart_delay=100: 100, 200, 400 ms), and after
    restart_limit=3 quick failures it is left stopped, said once; the
    neighbour's work is untouched."""
    results = []
    guests = [("k", "16M", "test=kill:hcall-3", "on_kill=restart restart_limit=3 restart_delay=100"),
              ("sum", "16M", cases.SIBLING["args"])]
    b = run_guests(guests, timeout=300, until=lambda t: "left stopped" in t and "guest sum: stopped" in t)
    out = b.output
    kills = [float(m.group(1)) for m in re.finditer(STAMP + r"(?:error: )?guest k: stopped: ", out)]
    loads = [float(m.group(1)) for m in re.finditer(STAMP + r"guest k: ELF vmlinux loaded", out)]
    delays = [int(d) for d in re.findall(r"guest k: restarting in (\d+) ms \(quick failure", out)]
    check(results, "guest/backoff/delays", delays == [100, 200, 400], f"restart delays {delays}")
    gaps = [round(loads[i + 1] - kills[i], 3) for i in range(min(len(kills), len(loads) - 1))]
    check(results, "guest/backoff/waited", len(gaps) == 3 and
          all(g >= 0.9 * d / 1000 for g, d in zip(gaps, [100, 200, 400])),
          f"from each kill to the next load: {gaps} s")
    check(results, "guest/backoff/gave-up", len(kills) == 4 and
          len(re.findall(r"guest k: failed 4 times in a row within 30 s of starting; left stopped", out)) == 1,
          f"{len(kills)} kills; " + out[-1200:])
    program_checks(results, "guest/backoff/sibling", out, "sum", cases.SIBLING["expect"])
    return results


# raw guests (guest/raw/early.S): what happens before and at LGUEST_INIT
RAW_KILLS = [
    ("hcall_before_init", "hypercall 17 before LGUEST_INIT"),
    ("init_outside", "bad lguest_data address 0xfffff000"),
    ("init_unaligned", "bad lguest_data address 0x00201002"),
    ("init_straddle", "bad lguest_data address"),
    ("bad_syscall_vector", "bad syscall vector 129"),
    ("bad_kernel_address", "bad kernel address 0xffc00000"),
    ("fault_before_init", "unhandled trap 6 at 0x00200005"),
    ("hlt_before_init", "unhandled trap 13 at 0x00200005"),
    ("linear_beyond_memory", "linear-mode access to 0x40000000 beyond memory"),
]


def raw_boot(case, machine="pc", until=r"(?m)^r\s+stopped", send=()):
    return boot(until=until, timeout=60, machine=machine, kernel=ELF,
                append="console=com1", initrd=f"build/guest/raw-{case}.elf kernel name=r mem=8M",
                send=[(ALL_STOPPED, b"guests\r")] + list(send))


def raw_tests():
    results = []
    for machine in MACHINES:
        b = raw_boot("ok", machine)
        check(results, f"guest/raw/{machine}/ok", "[r] raw guest: hello" in b.output
              and "guest r: power off: bye" in b.output, b.output[-800:])
    # the monitor's exit breakdown: three hypercalls, one of each kind
    b = raw_boot("ok", until=r"(?m)^r: .*hypercalls:.*\n",
                 send=[(r"(?m)^r\s+stopped", b"exits nobody\r"), (r"no guest named 'nobody'", b"exits r\r")])
    v = re.search(r"(?m)^r: (\d+) exits by vector:((?: \d+:\d+)*)\r?$", b.output)
    by_vector = dict((int(k), int(n)) for k, n in re.findall(r"(\d+):(\d+)", v.group(2))) if v else {}
    check(results, "guest/raw/exits-breakdown",
          v and sum(by_vector.values()) == int(v.group(1)) and by_vector.get(31) == 3 and
          re.search(r"(?m)^r: \d+ page faults fixed \(\d+ to set dirty, \d+ in the kernel\), 0 reflected; "
                    r"hypercalls: lguest_init:1 shutdown:1 notify:1\r?$", b.output), b.output[-800:])
    for case, reason in RAW_KILLS:
        b = raw_boot(case)
        got = stopped_reason(b.output, "r")
        check(results, f"guest/raw/kill/{case}", got and reason in got and
              "SURVIVED" not in b.output, f"wanted '{reason}', got '{got}'")
        check(results, f"guest/raw/kill/{case}/hypervisor-alive",
              re.search(r"(?m)^r\s+stopped", b.output), "the monitor did not answer")
    return results


def tests():
    out = [("guest/raw", raw_tests), ("guest/fuzz", fuzz_test), ("guest/backoff", backoff_test)]
    for machine in MACHINES:
        for case in cases.TESTS:
            out.append((f"guest/{machine}/{case['test']}", program_test(case, machine)))
    for case in cases.KILLS:
        out.append((f"guest/kill/{case['case']}", kill_test(case)))
    for case in cases.MULTI:
        out.append((f"guest/multi/{case['name']}", multi_test(case)))
    for case in cases.SPECIAL:
        out.append((f"guest/shutdown/{case['case']}", special_test(case)))
    return out
