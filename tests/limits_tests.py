"""Limits and long input (issue 15): nothing is cut or dropped without a
word. A 2,000-character guest command line arrives whole and a 5,599-character
one is refused by name; a 9,800-character hypervisor command line (the limit is
8,191) loses whole words from its end, said in the log; 40 modules with bad lines each get their
message and every guest its "not started"; 64 guests start; a bzImage built
without CONFIG_RELOCATABLE is refused with the reason."""
import os
import re
import struct

import guest_cases as cases
from boot_tests import ELF, TESTDIR, check
from qemu import boot

READY = r"ready in [\d.]+ ms"


def run(mods, append="", mem="256M", until=READY, timeout=120):
    return boot(until=until, timeout=timeout, kernel=ELF, append=("console=com1 " + append).strip(),
                initrd=",".join(mods), mem=mem, e1000=False)


def long_strings_test():
    results = []
    tag = "limits/long-strings"
    whole = "x" * 1980
    mods = [f"{cases.GUEST_ELF} kernel name=w mem=16M -- test=poweroff pad={whole}",
            f"{cases.GUEST_ELF} kernel name=t mem=16M -- test=poweroff pad={'y' * 5590}"]
    append = " ".join(["loglevel=info"] * 700)          # 9,799 characters of good options
    b = run(mods, append + " lo=1", until=r"; 0 running")
    out = b.output
    check(results, f"{tag}/guest-cmdline-whole", f"[w] lgtest: booted" in out and
          re.search(rf"\[w\] lgtest: booted.*cmdline 'test=poweroff pad={whole}'", out),
          "the 2,000-character command line did not arrive whole: " + out[-600:])
    check(results, f"{tag}/guest-cmdline-refused",
          re.search(r"error: guests: module 1: guest command line longer than 2047 characters", out)
          and re.search(r"error: guests: guest 't' not started", out) and "[t] lgtest" not in out,
          "the 5,599-character guest command line was not refused by name: " + out[-1500:])
    check(results, f"{tag}/hv-cmdline-cut-said",
          re.search(r"warning: boot information: command line of \d+ characters is longer than the "
                    r"8191 allowed: everything from character \d+ \('loglevel=info", out)
          and "unknown option 'lo" not in out,
          "the long hypervisor command line was cut without a word, or in a word: " + out[-2500:])
    return results


def many_modules_test():
    """40 guests with a bad mem= each (80 messages, where 16 were kept),
    and one good guest."""
    results = []
    tag = "limits/40-bad-modules"
    mods = [f"{cases.GUEST_ELF} kernel name=b{i} mem=3M -- test=poweroff" for i in range(40)]
    mods.append(f"{cases.GUEST_ELF} kernel name=ok mem=16M -- test=poweroff")
    b = run(mods, until=r"; 0 running")
    out = b.output
    no_error = [i for i in range(40) if not re.search(
        rf"error: guests: module {i}: mem=3M is not a whole number of MiB from 8 to 768 MiB", out)]
    no_line = [i for i in range(40) if f"error: guests: guest 'b{i}' not started" not in out]
    check(results, f"{tag}/every-message", not no_error and not no_line,
          f"modules without their mem= error: {no_error}; guests without 'not started': {no_line}")
    check(results, f"{tag}/good-one-started", "[ok] lgtest: booted" in out, out[-800:])
    return results


def many_guests_test():
    results = []
    tag = "limits/64-guests"
    mods = [f"{cases.GUEST_ELF} kernel name=g{i} mem=8M -- test=poweroff" for i in range(65)]
    b = run(mods, mem="1G", until=r"; 0 running", timeout=300)
    out = b.output
    booted = sum(1 for i in range(64) if f"[g{i}] lgtest: booted" in out)
    check(results, f"{tag}/all-started", booted == 64, f"{booted} of 64 guests booted: " + out[-800:])
    check(results, f"{tag}/65th-refused",
          "error: guests: module 64: more than 64 guests; module ignored" in out, out[-800:])
    return results


def fake_bzimage(path, relocatable):
    """A setup header (protocol 2.12) and a small payload: enough for the
    loader's checks, never run (it is refused first)."""
    img = bytearray(0x400 + 0x1000)
    img[0x1F1] = 1                                  # setup_sects: payload at 0x400
    img[0x1FE:0x200] = b"\x55\xaa"
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, 0x020C)
    struct.pack_into("<I", img, 0x214, 0x100000)    # code32_start
    img[0x234] = relocatable
    struct.pack_into("<Q", img, 0x258, 0x1000000)   # pref_address
    struct.pack_into("<I", img, 0x260, 0x400000)    # init_size
    struct.pack_into("<H", img, 0x20E, 0x100)       # kernel_version: at 0x200 + 0x100
    img[0x300:0x300 + 17] = b"2.6.32.69 (fake)\0"
    with open(path, "wb") as f:
        f.write(img)


def bzimage_test():
    results = []
    tag = "limits/bzimage-not-relocatable"
    os.makedirs(TESTDIR, exist_ok=True)
    path = os.path.join(TESTDIR, "fixed-bzimage")
    fake_bzimage(path, 0)
    b = run([f"{path} kernel name=fixed mem=32M",
             f"{cases.GUEST_ELF} kernel name=ok mem=16M -- test=poweroff"], until=r"; 0 running")
    out = b.output
    check(results, f"{tag}/refused", re.search(
        r"guest fixed: .*bzImage is not relocatable \(relocatable_kernel is 0; it would run only at "
        r"its fixed address 0x1000000\)", out), out[-1500:])
    check(results, f"{tag}/others-run", "[ok] lgtest: booted" in out, out[-800:])
    check(results, f"{tag}/version-read", "guest fixed: image is Linux 2.6.32.69 (2.6)" in out,
          "the setup header's kernel_version was not read: " + out[-1500:])
    return results


def big_ramdisk_test():
    """A 72 MiB disk module on a 128 MiB machine: served in place it fits;
    kept beside a copy (as before) it cost 144 MiB and was refused."""
    results = []
    tag = "limits/big-ramdisk"
    os.makedirs(TESTDIR, exist_ok=True)
    path = os.path.join(TESTDIR, "big-ramdisk.img")
    sectors = 72 * 2048
    with open(path, "wb") as f:
        f.truncate(sectors * 512)
        f.seek((sectors - 1) * 512)
        f.write(b"the last sector of the big disk")
    s = r"\[big\] "
    send = [(s + r"lgtest shell: ", b"disk\r"), (s + r"disk: ", f"dread {sectors - 1}\r".encode()),
            (s + r"text: ", b"poweroff\r")]
    b = boot(until=r"; 0 running", timeout=180, kernel=ELF, append="console=com1", mem="128M",
             initrd=",".join([f"{cases.GUEST_ELF} kernel name=big mem=16M -- test=shell",
                              f"{path} disk name=big"]), e1000=False, send=send)
    out = b.output
    check(results, f"{tag}/served-in-place",
          f"guest big: disk of {sectors} sectors ({sectors // 2} KiB), served in place" in out, out[-1500:])
    check(results, f"{tag}/guest-sees-it", f"[big] disk: {sectors} sectors" in out, out[-1500:])
    check(results, f"{tag}/last-sector", "[big] text: 'the last sector of the big disk'" in out, out[-1500:])
    return results


def tests():
    return [("limits/long-strings", long_strings_test), ("limits/40-bad-modules", many_modules_test),
            ("limits/64-guests", many_guests_test), ("limits/bzimage", bzimage_test),
            ("limits/big-ramdisk", big_ramdisk_test)]
