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
    """guests: [(name, mem, args)] -> QEMU -initrd (multiboot modules)."""
    return ",".join(f"{cases.GUEST_ELF} kernel name={n} mem={m} -- {a}" for n, m, a in guests)


def run_guests(guests, until=ALL_STOPPED, timeout=180, machine="pc", send=None, append=""):
    return boot(until=until, timeout=timeout, machine=machine, kernel=ELF,
                append=("console=com1 " + append).strip(), initrd=modules(guests), send=send)


def guest_lines(out, name):
    return [m.group(1) for m in re.finditer(rf"^\[{re.escape(name)}\] (.*)$", out, re.M)]


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


def tests():
    out = []
    for machine in MACHINES:
        for case in cases.TESTS:
            out.append((f"guest/{machine}/{case['test']}", program_test(case, machine)))
    for case in cases.KILLS:
        out.append((f"guest/kill/{case['case']}", kill_test(case)))
    return out
