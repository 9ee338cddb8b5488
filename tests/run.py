#!/usr/bin/env python3
"""lgvisor's test runner: host-side unit tests, then boots under QEMU.

Prints one line per check (PASS/FAIL name: detail) and ends with
'N passed, N failed'; exits non-zero if anything failed.
Usage: tests/run.py [substring ...]   (run only tests whose name matches)
       TEST_PASS=  tests/run.py ...   (the one-CPU pass only; smp2: or cpus1: for the others)
"""
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot_tests  # noqa: E402
import guest_tests  # noqa: E402
import device_tests  # noqa: E402
import net_tests  # noqa: E402
import smp_tests  # noqa: E402
import irq_tests  # noqa: E402
import limits_tests  # noqa: E402
import console_tests  # noqa: E402
import debug_tests  # noqa: E402
import generation_tests  # noqa: E402
import pae_tests  # noqa: E402
import appliance_tests  # noqa: E402
import appliance_parser_tests  # noqa: E402
import sata_tests  # noqa: E402
import nvme_tests  # noqa: E402


def unit_tests():
    proc = subprocess.run(["bash", "tests/unit/run.sh"], capture_output=True, text=True)
    results = []
    for line in proc.stdout.splitlines():
        m = re.match(r"(PASS|FAIL) (\S+)(?::\s*(.*))?", line)
        if m:
            results.append((f"unit/{m.group(2)}", m.group(1) == "PASS", m.group(3) or ""))
    if proc.returncode != 0 and all(ok for _, ok, _ in results):
        results.append(("unit/build", False, (proc.stdout + proc.stderr)[-2000:]))
    return results


# The suite runs on a one-CPU machine, then again on two CPUs (the default:
# every CPU in use) and on two CPUs with cpus=1. Tests that choose their own
# CPUs (smp/...) and the unit tests run in the first pass only.
# A timing comparison of the console against itself: more CPUs add only
# noise to it (one pair of six emulated-CPU boots on two cores ran 2.4 to 9 s).
# The appliance tests build and boot whole images (and the parser's are
# host-only): once is enough.
ONCE = {"console/slow-reader"} | net_tests.ONCE | {n for n, _ in appliance_tests.tests() + appliance_parser_tests.tests()}
ONCE |= {"sata/pc/power-cycle", "sata/pc/io-errors", "sata/q35/block", "sata/pc/abandon", "sata/pc/vring-hostile"}
ONCE |= {"nvme/pc/power-cycle", "nvme/pc/io-errors", "nvme/q35/block", "nvme/pc/abandon", "nvme/pc/polled"}
PASSES = [("", {}), ("smp2:", {"TEST_SMP": "2"}), ("cpus1:", {"TEST_SMP": "2", "TEST_APPEND": "cpus=1"})]
FAILED = []      # every failure, repeated at the end


def one_pass(pool, prefix, tests):
    passed = failed = 0
    futures = [(name, pool.submit(fn)) for name, fn in tests]
    for name, fut in futures:
        try:
            results = fut.result()
        except Exception as e:  # a broken test is a failed test
            results = [(name, False, f"test raised {e!r}")]
        for rname, ok, detail in results:
            if ok:
                passed += 1
                print(f"PASS {prefix}{rname}")
            else:
                failed += 1
                print(f"FAIL {prefix}{rname}: {detail}")
                FAILED.append(f"{prefix}{rname}: {detail}"[:300])
        sys.stdout.flush()
    return passed, failed


def main():
    filters = sys.argv[1:]
    only = os.environ.get("TEST_PASS")        # e.g. TEST_PASS=smp2: just that pass
    tests = ([("unit", unit_tests)] + boot_tests.all_tests() + guest_tests.tests()
             + device_tests.tests() + net_tests.tests() + irq_tests.tests()
             + smp_tests.tests() + limits_tests.tests() + console_tests.tests() + debug_tests.tests()
             + generation_tests.tests() + pae_tests.tests() + appliance_parser_tests.tests() + appliance_tests.tests()
             + sata_tests.tests() + nvme_tests.tests())
    tests = [(n, f) for n, f in tests if not filters or any(s in n for s in filters)]
    if any(n != "unit" for n, _ in tests):
        boot_tests.prepare()
    passed = failed = 0
    start = time.monotonic()
    # QEMU under TCG is single-threaded: one boot per core
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        for prefix, env in PASSES:
            if only is not None and only.rstrip(":") != prefix.rstrip(":"):
                continue
            chosen = tests if not prefix else [(n, f) for n, f in tests
                                               if n != "unit" and "smp" not in n and n not in ONCE]
            if not chosen:
                continue
            os.environ.pop("TEST_SMP", None)
            os.environ.pop("TEST_APPEND", None)
            os.environ.update(env)
            if prefix:
                print(f"# pass {prefix.rstrip(':')}: {' '.join(f'{k}={v}' for k, v in env.items())}")
            p, f = one_pass(pool, prefix, chosen)
            passed, failed = passed + p, failed + f
    print(f"({time.monotonic() - start:.0f} s)")
    # the failures again, where a log cut to its tail still shows them
    for line in FAILED:
        print(f"FAILED {line}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
