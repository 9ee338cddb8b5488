"""Guests of other lguest generations beside 3.10 ones (issue 14). lgtest
built as a 2.6.32-era guest (build/guest/lgtest-2632.elf: vmcall hypercalls,
the host builds its first page tables and reports them in lguest_data.pgdir,
the 2.6.32 lguest_data layout and device status protocol) runs its own
checks next to the ordinary 3.10-style build in the same machine: the host
must tell them apart by their first hypercall and serve each in its own
way, the vmcalls patched in the kernel image and emulated outside it."""
import re

import device_tests as dev
import guest_cases as cases
from boot_tests import ELF, check
from guest_tests import ALL_STOPPED, guest_lines, program_checks
from qemu import boot

ELF_2632 = "build/guest/lgtest-2632.elf"
HYPERCALLS = next(c for c in cases.TESTS if c["test"] == "hypercalls")["expect"]
GEN_LINE = "its hypercalls are vmcall: a 2.6.32-era lguest guest"


def side_by_side_test():
    """A 2.6.32 guest and a 3.10 guest run the hypercall checks at once,
    beside a 2.6.32 guest using virtio-rng."""
    results = []
    tag = "gen/2632/side-by-side"
    mods = [f"{ELF_2632} kernel name=old mem=16M -- test=hypercalls",
            f"{cases.GUEST_ELF} kernel name=new mem=16M -- test=hypercalls",
            f"{ELF_2632} kernel name=rnd mem=16M rng=on -- test=rng"]
    b = boot(until=ALL_STOPPED, timeout=240, kernel=ELF, append="console=com1", initrd=",".join(mods),
             e1000=False)
    out = b.output
    dev.save_log(tag, out)
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    program_checks(results, f"{tag}/old", out, "old",
                   HYPERCALLS + ["hypercalls/vmcall-patched", "hypercalls/vmcall-emulated",
                                "hypercalls/vmcall-straddling", "hypercalls/vmcall-read-only"])
    program_checks(results, f"{tag}/new", out, "new", HYPERCALLS)
    program_checks(results, f"{tag}/rng", out, "rnd", dev.RNG_EXPECT)
    check(results, f"{tag}/old-recognised", f"guest old: {GEN_LINE}" in out, out[-1500:])
    check(results, f"{tag}/new-not", f"guest new: {GEN_LINE}" not in out, "a 3.10 guest was taken for 2.6.32")
    check(results, f"{tag}/generations-logged",
          "guest old: lguest generation 2.6.32 (LGUEST_INIT by vmcall)" in out and
          "guest new: lguest generation 3.10 (LGUEST_INIT by int $0x1f, syscall_vec 0x80 at lguest_data+0x56c)" in out,
          "the boot log does not say which generation each runs and why")
    m = re.search(r"guest old: first page tables at (0x[0-9a-f]+) \(RAM at 0 and at 0xc0000000\)", out)
    told = [ln for ln in guest_lines(out, "old") if "the host's first tables at" in ln]
    check(results, f"{tag}/boot-tables", m and told and told[0].endswith(hex(int(m.group(1), 16))),
          f"host said {m.group(0) if m else 'nothing'}; the guest read {told}")
    lines = guest_lines(out, "old")
    said = [f"lgtest: vmcall {w}" for w in ("in the kernel image", "outside the kernel image",
                                             "across a page boundary", "in a read-only page")]
    check(results, f"{tag}/vmcall-lines", all(w in lines for w in said), f"{lines[-12:]}")
    return results


def traps_test():
    """Traps in a 2.6.32 guest, a user-mode vmcall among them: its #UD is
    the guest's, never a hypercall and never patched."""
    results = []
    tag = "gen/2632/traps"
    case = next(c for c in cases.TESTS if c["test"] == "traps")
    b = boot(until=ALL_STOPPED, timeout=240, kernel=ELF, append="console=com1",
             initrd=f"{ELF_2632} kernel name=t mem=16M -- test=traps", e1000=False)
    out = b.output
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    program_checks(results, tag, out, "t", case["expect"])
    check(results, f"{tag}/recognised", f"guest t: {GEN_LINE}" in out, out[-1500:])
    return results


def block_test():
    """The 2.6.32 status protocol (every status write notified, the device
    started at DRIVER_OK or its first kick) with the whole block test."""
    results = []
    tag = "gen/2632/block"
    mods = [f"{ELF_2632} kernel name=t mem=16M -- {dev.block_args('t')}", f"{dev.disk_image()} disk name=t"]
    b = boot(until=ALL_STOPPED, timeout=400, kernel=ELF, append="console=com1", initrd=",".join(mods),
             e1000=False)
    out = b.output
    dev.save_log(tag, out)
    check(results, f"{tag}/finished", not b.timed_out, "timed out: " + out[-1500:])
    dev.block_checks(results, tag, out, "t", False)
    dev.no_broken_device(results, tag, out, ["t"])
    check(results, f"{tag}/recognised", f"guest t: {GEN_LINE}" in out, out[-1500:])
    return results


def tests():
    return [("gen/2632/side-by-side", side_by_side_test), ("gen/2632/block", block_test),
            ("gen/2632/traps", traps_test)]
