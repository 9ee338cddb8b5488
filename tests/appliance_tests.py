"""Appliances built from the files in examples/ (issue 13): the raw image's
layout checked on the host (GPT, MBR and GRUB's patched sectors, the ESP's
files), and the ISO and the raw image of each example booted under SeaBIOS
and OVMF, the raw image as a SATA disk (AHCI; once also as a USB stick),
until its guests are up.
Each test returns a list of (name, ok, detail)."""
import os
import re
import struct
import subprocess
import sys
import threading

from boot_tests import BUILD, TESTDIR, check
from qemu import boot

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "boot"))
import diskimage  # noqa: E402
import gpt  # noqa: E402

OUT = os.path.join(TESTDIR, "appliance")
DEMO_DISK = os.path.join(BUILD, "demo-disk.img")
DEMO_LABEL = "lgvisor demo disk, 8 MiB"
_lock = threading.Lock()
_built = {}


def demo_disk():
    if not os.path.exists(DEMO_DISK):
        subprocess.run(["scripts/mkdisk.sh", DEMO_DISK, "8"], check=True)


def built(name):
    """Builds examples/NAME.cfg into build/test/appliance once (data
    partitions fresh); returns (iso, img) or raises with the tool's output."""
    with _lock:
        if name not in _built:
            demo_disk()
            p = subprocess.run([sys.executable, "boot/appliance.py", f"examples/{name}.cfg", "--out", OUT,
                                "--fresh"], capture_output=True, text=True)
            _built[name] = p
        p = _built[name]
    if p.returncode:
        raise RuntimeError(f"examples/{name}.cfg did not build: {p.stdout}{p.stderr}")
    return os.path.join(OUT, f"{name}.iso"), os.path.join(OUT, f"{name}.img")


def sata_disk(img, machine):
    """The raw image as the machine's SATA disk 0; snapshot=on: the test
    leaves the built image as it was."""
    drive = ["-drive", f"if=none,id=d0,file={img},format=raw,snapshot=on"]
    if machine == "q35":                # its ICH9 AHCI controller is built in
        return drive + ["-device", "ide-hd,drive=d0,bus=ide.0,bootindex=1"]
    return drive + ["-device", "ahci,id=ahci", "-device", "ide-hd,drive=d0,bus=ahci.0,bootindex=1"]


def boot_example(name, media, firmware, **kw):
    machine = "q35" if firmware == "uefi" else "pc"
    iso, img = built(name)
    extra = list(kw.pop("extra", ()))
    if media == "img":
        extra += sata_disk(img, machine)
    elif name == "persistent":          # its store guest's partition is on the image
        extra += sata_disk(img, machine)
    return boot(iso=iso if media == "iso" else None, machine=machine, firmware=firmware, extra=extra,
                timeout=240, **kw)


def common(results, tag, b):
    out = b.output
    check(results, f"{tag}/grub-menu", "lgvisor rescue: the hypervisor alone" in out,
          "GRUB's menu (with the rescue entry) did not appear on the serial port")
    check(results, f"{tag}/booted", re.search(r"boot: multiboot2 from GRUB", out), out[-1500:])


def demo(media, firmware):
    def run():
        results = []
        tag = f"appliance/demo-{media}-{firmware}"
        b = boot_example("demo", media, firmware, until=r"text: '.*'",
                         send=[(r"\[demo\] lgtest\$ ", b"dread 0\r")])
        common(results, tag, b)
        check(results, f"{tag}/guest-up", "[demo] lgtest shell: 3 device(s), disk attached" in b.output,
              b.output[-1500:])
        check(results, f"{tag}/ramdisk", DEMO_LABEL in b.output, "dread 0 did not show the demo disk's label: "
              + b.output[-800:])
        return results
    return run


def network(media, firmware):
    def run():
        results = []
        tag = f"appliance/network-{media}-{firmware}"
        # only the focused guest's (a's) prompt shows before its line ends;
        # b's network is up when its vnet line is out
        both = r"(?s)(?=.*\[a\] lgtest\$ )(?=.*\[b\] vnet: mac)"
        b = boot_example("network", media, firmware, until=r"ping: 10\.0\.0\.3 \d+/\d+ replies",
                         send=[(both, b"ping 10.0.0.3\r")])
        common(results, tag, b)
        out = b.output
        check(results, f"{tag}/two-guests", "[a] lgtest shell" in out and "[b] lgtest shell" in out,
              out[-1500:])
        m = re.search(r"ping: 10\.0\.0\.3 (\d+)/(\d+) replies, (\d+) bad", out)
        check(results, f"{tag}/ping", m and m.group(1) == m.group(2) != "0" and m.group(3) == "0",
              m.group(0) if m else "no ping result: " + out[-800:])
        return results
    return run


def persistent(media, firmware):
    """The store guest's disk is partition store-data of SATA disk 0. Until
    the hypervisor has its AHCI driver it refuses disk= (then this checks
    that the option reached it, and the other guest); once it has, the
    guest must see the partition's contents (a copy of the demo disk)."""
    def run():
        results = []
        tag = f"appliance/persistent-{media}-{firmware}"

        def until(text):                # both guests up (store has the focus), or store refused
            return "[scratch] lgtest shell:" in text and ("[store] lgtest$ " in text or "guest 'store' not" in text)
        b = boot_example("persistent", media, firmware, until=until)
        common(results, tag, b)
        out = b.output
        check(results, f"{tag}/module-line",
              "'kernel name=store mem=32M net=off disk=sata0:store-data -- test=shell'" in out,
              "the store guest's kernel line did not reach the hypervisor")
        check(results, f"{tag}/scratch-up", "[scratch] lgtest shell: 2 device(s), disk attached" in out,
              out[-1500:])
        if "module 0: unknown option 'disk'" not in out:
            check(results, f"{tag}/store-up", "[store] lgtest shell: 2 device(s), disk attached" in out,
                  out[-1500:])
            b = boot_example("persistent", media, firmware, until=r"text: '.*'",
                             send=[(r"\[store\] lgtest\$ ", b"dread 0\r")])
            check(results, f"{tag}/store-partition", DEMO_LABEL in b.output,
                  "dread 0 in store did not show the partition's initial contents: " + b.output[-800:])
        return results
    return run


def rescue():
    """The menu's second entry: the hypervisor alone, the monitor only."""
    results = []
    tag = "appliance/rescue-img-bios"
    b = boot_example("demo", "img", "bios", until=r"ready in [0-9.]+ ms: \d+ guest",
                     send=[(r"Use the \^ and v keys", b"\x1b[B"), (r"\*lgvisor rescue", b"\r")])
    out = b.output
    check(results, f"{tag}/no-guests", re.search(r"ready in [0-9.]+ ms: 0 guest\(s\) running", out)
          and "modules: 0" in out, out[-1500:])
    return results


def layout():
    """Each example's raw image on the host: both GPT copies, the
    partitions the file asks for, boot.img and core.img patched to find
    each other, and the ESP holding GRUB, the grub.cfg generated and each
    file once."""
    results = []
    for name, data, nfiles in (("demo", [], 2), ("network", [], 1), ("persistent", [("store-data", 16)], 2)):
        tag = f"appliance/layout-{name}"
        iso, img = built(name)
        total = os.path.getsize(img) // gpt.SECTOR
        with open(img, "rb") as f:
            try:
                parts = gpt.read(f, total)
                backup = gpt.read(f, total, backup=True)
            except ValueError as e:
                check(results, f"{tag}/gpt", False, str(e))
                continue
            want = [("BIOS boot", gpt.BIOS_BOOT), ("EFI system", gpt.EFI_SYSTEM)] + \
                [(n, gpt.LINUX_DATA) for n, _ in data]
            check(results, f"{tag}/gpt", [(p.name, p.type) for p in parts] == want and
                  [(p.name, p.first, p.last) for p in parts] == [(p.name, p.first, p.last) for p in backup],
                  f"primary {parts}, backup {backup}")
            check(results, f"{tag}/data-sizes", all((p.last - p.first + 1) * gpt.SECTOR == mib << 20
                                                    for p, (_, mib) in zip(parts[2:], data)), str(parts[2:]))
            f.seek(0)
            mbr = f.read(gpt.SECTOR)
            f.seek(parts[0].first * gpt.SECTOR)
            diskboot = f.read(gpt.SECTOR)
            if name == "persistent":
                f.seek(parts[2].first * gpt.SECTOR)
                check(results, f"{tag}/from", f.read(len(DEMO_LABEL)).decode() == DEMO_LABEL,
                      "store-data does not start with the demo disk")
        with open(os.path.join(diskimage.GRUB_PC, "boot.img"), "rb") as g:
            boot_img = g.read()
        check(results, f"{tag}/mbr", mbr[0x1FE:] == b"\x55\xaa" and mbr[0x1C2] == 0xEE and
              struct.unpack_from("<Q", mbr, diskimage.KERNEL_SECTOR)[0] == parts[0].first and
              mbr[:diskimage.KERNEL_SECTOR] == boot_img[:diskimage.KERNEL_SECTOR],
              "protective MBR or boot.img's core.img sector wrong")
        start, count, seg = struct.unpack_from("<QHH", diskboot, diskimage.BLOCKLIST)
        check(results, f"{tag}/core-blocklist", start == parts[0].first + 1 and 0 < count < 2048 and seg == 0x820,
              f"diskboot block list start {start} count {count} segment {seg:#x}")
        esp = f"{img}@@{parts[1].first * gpt.SECTOR}"
        cfg = subprocess.run(["mtype", "-i", esp, "::/boot/grub/grub.cfg"], capture_output=True, text=True).stdout
        with open(os.path.join(OUT, f"{name}.grub.cfg")) as g:
            check(results, f"{tag}/esp-grub-cfg", cfg == g.read(), cfg[:300])
        ls = subprocess.run(["mdir", "-b", "-i", esp, "::/boot/modules", "::/EFI/BOOT"], capture_output=True,
                            text=True).stdout.split()
        check(results, f"{tag}/esp-files", "::/EFI/BOOT/BOOTX64.EFI" in ls and
              sum(1 for p in ls if p.startswith("::/boot/modules/")) == nfiles,
              f"want BOOTX64.EFI and {nfiles} module file(s): {ls}")
        if name == "persistent":
            check(results, f"{tag}/sata-module-option", "kernel name=store mem=32M net=off disk=sata0:store-data "
                  in cfg, cfg)
    return results


def usb_stick():
    """The raw image as a USB stick (what dd makes of it), SeaBIOS."""
    results = []
    _, img = built("demo")
    b = boot(machine="pc", firmware="bios", timeout=240, until=r"\[demo\] lgtest\$ ",
             extra=["-usb", "-device", "usb-ehci,id=ehci", "-drive", f"if=none,id=u0,file={img},format=raw,"
                    "snapshot=on", "-device", "usb-storage,bus=ehci.0,drive=u0,bootindex=1"])
    check(results, "appliance/demo-usb-bios/guest-up", "[demo] lgtest shell: 3 device(s), disk attached"
          in b.output, b.output[-1500:])
    return results


def rebuild_keeps_data():
    """A rebuild copies what the guests wrote to a data partition from the
    previous image; --fresh starts it again from its `from` file."""
    results = []
    out = os.path.join(OUT, "rebuild")
    img = os.path.join(out, "persistent.img")
    marker = b"written by a guest before the rebuild"

    def build(*flags):
        p = subprocess.run([sys.executable, "boot/appliance.py", "examples/persistent.cfg", "--out", out,
                            "--only", "img"] + list(flags), capture_output=True, text=True)
        if p.returncode:
            raise RuntimeError(p.stdout + p.stderr)
        return p.stdout

    def sector(n):
        with open(img, "rb") as f:
            part = gpt.read(f, os.path.getsize(img) // gpt.SECTOR)[2]
            f.seek((part.first + n) * gpt.SECTOR)
            return f.read(gpt.SECTOR), part

    with _lock:
        demo_disk()
    build("--fresh")
    _, part = sector(0)
    with open(img, "r+b") as f:
        f.seek((part.first + 1) * gpt.SECTOR)
        f.write(marker)
    said = build()
    data, _ = sector(1)
    check(results, "appliance/rebuild/keeps", data.startswith(marker) and "kept the contents of partition "
          "store-data" in said, f"sector 1 after the rebuild: {data[:40]!r}; tool said {said!r}")
    build("--fresh")
    data, _ = sector(1)
    label, _ = sector(0)
    check(results, "appliance/rebuild/fresh", data == bytes(gpt.SECTOR) and label.startswith(DEMO_LABEL.encode()),
          f"sector 0 {label[:30]!r}, sector 1 {data[:40]!r}")
    return results


def tests():
    t = [("appliance/layout", layout), ("appliance/rebuild", rebuild_keeps_data),
         ("appliance/rescue-img-bios", rescue), ("appliance/demo-usb-bios", usb_stick)]
    for media, firmware in (("img", "bios"), ("img", "uefi"), ("iso", "bios"), ("iso", "uefi")):
        t.append((f"appliance/demo-{media}-{firmware}", demo(media, firmware)))
    t += [("appliance/network-img-bios", network("img", "bios")),
          ("appliance/network-iso-uefi", network("iso", "uefi")),
          ("appliance/persistent-img-uefi", persistent("img", "uefi")),
          ("appliance/persistent-iso-bios", persistent("iso", "bios"))]
    return t
