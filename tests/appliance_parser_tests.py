"""Host-side tests of the appliance file parser (boot/appliance_config.py)
and of what is generated from a good file: every class of mistake is
reported with the exact line, once, and the tool builds nothing when there
is one. Each test returns a list of (name, ok, detail)."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "boot"))
import appliance_config  # noqa: E402
import appliance_grub  # noqa: E402

GUEST = "[guest web]\nkernel = k.elf\n"

# (tag, file text, [(line, words the message must hold)]): exactly these
# errors, in this order of lines
CASES = [
    ("unknown-section", GUEST + "[guset b]\nkernel = k.elf\n", [(3, "unknown section [guset b]")]),
    ("section-no-bracket", GUEST + "[partition p\n", [(3, "ends with ]")]),
    ("section-shape", "[hypervisor x]\n" + GUEST + "[guest a b]\n", [(1, "write [hypervisor]"),
                                                                      (4, "write [hypervisor]")]),
    ("unknown-key-guest", GUEST + "memory = 64M\n", [(3, "unknown key 'memory' in [guest]")]),
    ("unknown-key-hypervisor", "[hypervisor]\nconsole = com1\n" + GUEST, [(2, "unknown key 'console'")]),
    ("unknown-key-partition", GUEST + "[partition p]\nsize = 1M\ntype = ext2\n", [(5, "unknown key 'type'")]),
    ("outside-section", "mem = 64M\n" + GUEST, [(1, "outside any section")]),
    ("not-key-value", GUEST + "just words\n", [(3, "is not KEY = VALUE")]),
    ("comment-and-blank", "# a comment\n\n   # indented\n" + GUEST, []),
    ("missing-kernel-file", "[guest web]\nkernel = nothere.elf\n", [(2, "kernel file nothere.elf")]),
    ("kernel-is-directory", "[guest web]\nkernel = sub\n", [(2, "is not a regular file")]),
    ("no-kernel", "[guest web]\nmem = 32M\n", [(1, "guest 'web' has no kernel")]),
    ("empty-kernel", "[guest web]\nkernel =\n", [(2, "kernel: no file named")]),
    ("missing-initrd", GUEST + "initrd = gone.cpio\n", [(3, "initrd file gone.cpio")]),
    ("guest-twice", GUEST + "\n[guest web]\nkernel = k.elf\n", [(4, "guest 'web' is already defined at line 1")]),
    ("partition-twice", GUEST + "[partition p]\nsize = 1M\n[partition p]\nsize = 2M\n",
     [(5, "partition 'p' is already defined at line 3")]),
    ("hypervisor-twice", "[hypervisor]\n[hypervisor]\n" + GUEST, [(2, "[hypervisor] is already defined at line 1")]),
    ("key-twice", GUEST + "mem = 32M\nmem = 48M\n", [(4, "'mem' is already set at line 3")]),
    ("bad-size-word", GUEST + "mem = 64Q\n", [(3, "mem = 64Q")]),
    ("mem-too-small", GUEST + "mem = 7M\n", [(3, "8M to 768M")]),
    ("mem-too-big", GUEST + "mem = 1G\n", [(3, "8M to 768M")]),
    ("mem-not-mib", GUEST + "mem = 33000K\n", [(3, "whole number of MiB")]),
    ("partition-size-zero", GUEST + "[partition p]\nsize = 0\n", [(4, "size = 0")]),
    ("partition-size-not-mib", GUEST + "[partition p]\nsize = 1500K\n", [(4, "whole number of MiB")]),
    ("partition-no-size", GUEST + "[partition p]\n", [(3, "has no size")]),
    ("partition-from-too-big", GUEST + "[partition p]\nsize = 1M\nfrom = disk.img\n", [(5, "more than the partition's 1 MiB")]),
    ("partition-from-missing", GUEST + "[partition p]\nfrom = none.img\n", [(4, "from file none.img")]),
    ("partition-bad-name", GUEST + "[partition 123]\nsize = 1M\n", [(3, "partition name '123'")]),
    ("guest-bad-name", "[guest Web]\nkernel = k.elf\n", [(1, "guest name 'Web'")]),
    ("guest-name-too-long", "[guest abcdefghijklmnop]\nkernel = k.elf\n", [(1, "1-15 characters")]),
    ("memory-cannot-fit", "[hypervisor]\nmemory = 64M\n" + GUEST + "mem = 48M\n", [(5, "does not fit")]),
    ("memory-second-guest", GUEST + "mem = 128M\n[guest b]\nkernel = k.elf\nmem = 128M\n",
     [(6, "guest 'b' does not fit")]),
    ("memory-default-fits", GUEST + "mem = 128M\n", []),
    ("memory-bad", "[hypervisor]\nmemory = lots\n" + GUEST, [(2, "memory = lots")]),
    ("partition-two-guests", GUEST + "disk = sata0:data\n[guest b]\nkernel = k.elf\ndisk = sata0:data\n"
     "[partition data]\nsize = 1M\n", [(6, "already the disk of guest 'web' (line 3)")]),
    ("partition-two-guests-by-number", GUEST + "disk = sata0:data\n[guest b]\nkernel = k.elf\ndisk = sata0:3\n"
     "[partition data]\nsize = 1M\n", [(6, "partition 'data' is already the disk")]),
    ("unknown-partition", GUEST + "disk = sata0:nope\n", [(3, "no [partition nope]")]),
    ("unknown-partition-number", GUEST + "disk = sata0:4\n[partition data]\nsize = 1M\n",
     [(3, "data partitions: 3 to 3")]),
    ("partition-number-system", GUEST + "disk = sata0:2\n", [(3, "2 the EFI system partition")]),
    ("bad-disk", GUEST + "disk = usb:stick\n", [(3, "write ramdisk:PATH, sata0:")]),
    ("missing-ramdisk", GUEST + "disk = ramdisk:gone.img\n", [(3, "ramdisk file gone.img")]),
    ("other-disk-unchecked", GUEST + "disk = sata1:anything\n", []),
    ("nvme-disk-unchecked", GUEST + "disk = nvme0:anything\n", []),
    ("nvme-two-guests", GUEST + "disk = nvme0:data\n[guest b]\nkernel = k.elf\ndisk = nvme0:data\n",
     [(6, "disk = nvme0:data is already the disk of guest 'web' (line 3)")]),
    ("nvme-bad-partition", GUEST + "disk = nvme0:\n", [(3, "or nvmeN:")]),
    ("bad-option-word", "[hypervisor]\noptions = console=com1 verbose\n" + GUEST, [(2, "option 'verbose'")]),
    ("quotes-in-args", GUEST + "args = init=\"/bin/sh\"\n", [(3, "quotes cannot be passed")]),
    ("args-too-long", GUEST + "args = " + "x" * 2048 + "\n", [(3, "longer than 2047")]),
    ("bad-timeout", "[hypervisor]\ntimeout = soon\n" + GUEST, [(2, "timeout = soon")]),
    ("bad-cpu", GUEST + "cpu = 64\n", [(3, "cpu = 64 is not a CPU number from 0 to 63")]),
    ("bad-weight", GUEST + "weight = 0\n", [(3, "weight = 0 is not a number from 1 to 65535")]),
    ("bad-cap", GUEST + "cap = 101\n", [(3, "cap = 101")]),
    ("bad-restart-delay", GUEST + "restart_delay = 10001\n", [(3, "restart_delay = 10001")]),
    ("bad-on-kill", GUEST + "on_kill = maybe\n", [(3, "on_kill = maybe is not stop or restart")]),
    ("bad-net", GUEST + "net = yes\n", [(3, "net = yes is not on or off")]),
    ("bad-gdb", GUEST + "gdb = 1\n", [(3, "gdb = 1 is not on or off")]),
    ("multicast-mac", GUEST + "mac = 01:00:5e:00:00:01\n", [(3, "not a unicast address")]),
    ("bad-mac", GUEST + "mac = 02:00:00:00:00\n", [(3, "not a unicast address")]),
    ("no-guests", "[hypervisor]\noptions = console=com1\n", [(1, "no [guest NAME] section")]),
    ("too-many-guests", "[hypervisor]\nmemory = 4G\n" +
     "".join(f"[guest g{i}]\nkernel = k.elf\nmem = 8M\n" for i in range(65)), [(195, "at most 64 guests")]),
    ("all-reported", "[guest web]\nmem = 7M\ncpu = x\n[bogus]\nfoo = 1\n[guest web]\nkernel = k.elf\n",
     [(1, "has no kernel"), (2, "mem = 7M"), (3, "cpu = x"), (4, "unknown section"), (6, "already defined")]),
]

GOOD = """# a good file
[hypervisor]
options = console=com1 loglevel=debug
timeout = 3
memory = 512M

[guest web]
kernel = k.elf
initrd = initrd.cpio
args = console=hvc0 root=/dev/vda x=$y;z
mem = 48M
cpu = 1
weight = 512
cap = 50
on_kill = restart
net = off
mac = 02:00:00:00:00:01
disk = sata0:data

[guest db]
kernel = sub/../k.elf
disk = ramdisk:disk.img

[partition data]
size = 4M
from = disk.img
"""


def fixture(d):
    with open(os.path.join(d, "k.elf"), "wb") as f:
        f.write(b"\x7fELF" + bytes(4092))
    with open(os.path.join(d, "initrd.cpio"), "wb") as f:
        f.write(b"initrd")
    with open(os.path.join(d, "disk.img"), "wb") as f:
        f.write(b"d" * (1 << 20) + b"!")         # a byte more than 1 MiB
    os.makedirs(os.path.join(d, "sub"), exist_ok=True)


def parse_text(d, text, name="t.cfg"):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return appliance_config.parse(path)


def error_cases():
    results = []
    with tempfile.TemporaryDirectory() as d:
        fixture(d)
        for tag, text, want in CASES:
            app = parse_text(d, text)
            got = sorted(app.errors, key=lambda e: e[0])
            ok = len(got) == len(want) and all(gl == wl and words in gm
                                               for (gl, gm), (wl, words) in zip(got, want))
            results.append((f"appliance/parser/{tag}", ok, f"want {want}, got {got}"))
            msgs = app.messages()
            if want:
                results.append((f"appliance/parser/{tag}-file-line",
                                msgs and msgs[0].startswith(f"{os.path.join(d, 't.cfg')}:{want[0][0]}: "),
                                f"first message {msgs[:1]}"))
    return results


def good_file():
    results = []
    with tempfile.TemporaryDirectory() as d:
        fixture(d)
        app = parse_text(d, GOOD, "good.cfg")
        results.append(("appliance/parser/good-no-errors", not app.errors, str(app.errors)))
        if app.errors:
            return results
        web, db = app.guests
        line = appliance_config.module_line(web)
        want = ("kernel name=web mem=48M cpu=1 weight=512 cap=50 on_kill=restart net=off "
                "mac=02:00:00:00:00:01 disk=sata0:data -- console=hvc0 root=/dev/vda x=$y;z")
        results.append(("appliance/parser/good-module-line", line == want, f"got {line!r}"))
        results.append(("appliance/parser/good-defaults", appliance_config.module_line(db) ==
                        "kernel name=db mem=64M", appliance_config.module_line(db)))
        nv = parse_text(d, GUEST + "disk = nvme1:7\n", "nvme.cfg")
        nv_line = appliance_config.module_line(nv.guests[0]) if not nv.errors and nv.guests else str(nv.errors)
        results.append(("appliance/parser/nvme-module-line", nv_line.endswith(" disk=nvme1:7"), nv_line))
        results.append(("appliance/parser/good-relative-paths",
                        web.kernel == db.kernel == os.path.join(d, "k.elf") and
                        db.ramdisk == os.path.join(d, "disk.img"), f"{web.kernel} {db.kernel} {db.ramdisk}"))
        results.append(("appliance/parser/good-hypervisor",
                        app.options == ["console=com1", "loglevel=debug"] and app.timeout == 3
                        and app.memory == 512 << 20, f"{app.options} {app.timeout} {app.memory}"))
        p = app.partitions[0]
        results.append(("appliance/parser/good-partition", (p.name, p.size, p.number) == ("data", 4 << 20, 3),
                        f"{p.name} {p.size} {p.number}"))
        files = appliance_grub.Files()
        cfg = appliance_grub.grub_cfg(app, files)
        results.append(("appliance/grub/stored-once",
                        sorted(files.sources) == ["/boot/modules/disk.img", "/boot/modules/initrd.cpio",
                                                  "/boot/modules/k.elf"], str(sorted(files.sources))))
        results.append(("appliance/grub/timeout", "set timeout=3\n" in cfg, cfg[:200]))
        results.append(("appliance/grub/entries", cfg.count("menuentry ") == 2 and
                        "multiboot2 /boot/lgvisor.elf console=com1 loglevel=debug\n    boot\n}" in cfg, cfg))
        results.append(("appliance/grub/quoted-special", "'x=$y;z'" in cfg and
                        "module2 /boot/modules/k.elf kernel name=db mem=64M\n" in cfg and
                        "module2 /boot/modules/disk.img disk name=db\n" in cfg, cfg))
    return results


def nothing_built():
    """The tool itself: a bad file prints FILE:LINE lines, exits 1 and
    writes nothing; --check passes a good one."""
    results = []
    tool = os.path.join(HERE, "..", "boot", "appliance.py")
    with tempfile.TemporaryDirectory() as d:
        fixture(d)
        out = os.path.join(d, "out")
        bad = os.path.join(d, "bad.cfg")
        with open(bad, "w") as f:
            f.write("[guest web]\nkernel = k.elf\nmem = 5M\n[partition p]\nsize = 2X\n")
        p = subprocess.run([sys.executable, tool, bad, "--out", out], capture_output=True, text=True)
        lines = p.stderr.splitlines()
        results.append(("appliance/tool/bad-exit", p.returncode == 1, f"exit {p.returncode}"))
        results.append(("appliance/tool/bad-lines", len(lines) == 3 and lines[0].startswith(f"{bad}:3: ")
                        and lines[1].startswith(f"{bad}:5: ") and "2 error(s); nothing built" in lines[2],
                        p.stderr))
        results.append(("appliance/tool/bad-nothing-built", not os.path.exists(out), str(os.listdir(d))))
        good = os.path.join(d, "good.cfg")
        with open(good, "w") as f:
            f.write(GOOD)
        p = subprocess.run([sys.executable, tool, good, "--check"], capture_output=True, text=True)
        results.append(("appliance/tool/check-good", p.returncode == 0 and "good: 2 guest(s), 1 data partition"
                        in p.stdout, p.stdout + p.stderr))
    return results


def tests():
    return [("appliance/parser", lambda: error_cases() + good_file()), ("appliance/tool", nothing_built)]
