"""The raw disk image of an appliance, built as an ordinary user (no loop
devices, no root): GPT written by gpt.py; partition 1 the BIOS boot
partition holding GRUB's i386-pc core.img, with GRUB's boot.img in the MBR
pointing at it (patched as grub-bios-setup would); partition 2 the EFI
system partition, FAT32 made by mtools, with GRUB's x86_64 EFI image as
EFI/BOOT/BOOTX64.EFI and the boot files; partitions 3... the data
partitions of the appliance file, named as there."""
import os
import shutil
import struct
import subprocess
import uuid

import gpt

MIB = 1 << 20
SECTORS_PER_MIB = MIB // gpt.SECTOR
GRUB_PC = "/usr/lib/grub/i386-pc"
# Modules built into both GRUB images: nothing is loaded from the disk but
# grub.cfg and the files it names.
GRUB_MODULES = ["part_gpt", "part_msdos", "fat", "multiboot2", "normal", "configfile", "echo", "test",
                "serial", "terminal", "boot", "search", "ls", "cat", "reboot", "halt", "sleep"]
BIOS_MODULES = ["biosdisk"]
BIOS_BOOT_MIB = 1
# boot.img (GRUB's include/grub/i386/pc/boot.h): LBA of core.img's first
# sector, and the jump over the boot-drive fix-up (two NOPs on a hard disk)
KERNEL_SECTOR = 0x5C
DRIVE_CHECK = 0x66
# diskboot.img, core.img's first sector, ends with a block list of
# {u64 start, u16 sectors, u16 segment} telling it where the rest is
BLOCKLIST = gpt.SECTOR - 12


class BuildError(Exception):
    pass


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        raise BuildError(f"{' '.join(cmd)} failed ({p.returncode}): {(p.stdout + p.stderr).strip()[-1500:]}")


def grub_images(tmp):
    """GRUB's BIOS core.img and UEFI BOOTX64.EFI. The BIOS prefix names the
    boot drive's partition 2; UEFI GRUB starts on the ESP itself."""
    core = os.path.join(tmp, "core.img")
    efi = os.path.join(tmp, "BOOTX64.EFI")
    run(["grub-mkimage", "-O", "i386-pc", "-o", core, "-p", "(,gpt2)/boot/grub"] + GRUB_MODULES + BIOS_MODULES)
    run(["grub-mkimage", "-O", "x86_64-efi", "-o", efi, "-p", "/boot/grub"] + GRUB_MODULES)
    with open(core, "rb") as f:
        core_img = bytearray(f.read())
    if len(core_img) > BIOS_BOOT_MIB * MIB:
        raise BuildError(f"GRUB's core.img is {len(core_img)} bytes, more than the BIOS boot partition")
    with open(os.path.join(GRUB_PC, "boot.img"), "rb") as f:
        boot_img = bytearray(f.read())
    return boot_img, core_img, efi


def patch_bios_stage(boot_img, core_img, core_lba):
    """boot.img loads core.img's first sector from core_lba; that sector
    (diskboot) loads the rest, the next sectors in a row."""
    nsec = -(-len(core_img) // gpt.SECTOR)
    core_img.extend(bytes(nsec * gpt.SECTOR - len(core_img)))
    struct.pack_into("<Q", boot_img, KERNEL_SECTOR, core_lba)
    boot_img[DRIVE_CHECK:DRIVE_CHECK + 2] = b"\x90\x90"
    start, _, segment = struct.unpack_from("<QHH", core_img, BLOCKLIST)
    if start != 2 or segment != 0x820:
        raise BuildError("core.img's first sector is not GRUB's diskboot.img as expected")
    struct.pack_into("<QHH", core_img, BLOCKLIST, core_lba + 1, nsec - 1, segment)


def make_esp(path, files, size, serial):
    """A FAT32 image of `size` bytes holding files ({path on it: host path})."""
    with open(path, "wb") as f:
        f.truncate(size)
    run(["mformat", "-i", path, "-F", "-v", "LGVISOR", "-N", serial, "-T", str(size // gpt.SECTOR),
         "-h", "64", "-s", "32", "::"])
    dirs = sorted({d for p in files for d in _parents(p)})
    if dirs:
        run(["mmd", "-i", path] + [f"::{d}" for d in dirs])
    for dst, src in sorted(files.items()):
        run(["mcopy", "-i", path, "-m", src, f"::{dst}"])


def _parents(p):
    parts = p.strip("/").split("/")[:-1]
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def esp_size(files):
    """Room for the files with slack; at least 64 MiB, so FAT32 has the
    clusters it needs (firmware is only required to read FAT32 on disks)."""
    content = sum(-(-os.path.getsize(s) // 4096) * 4096 for s in files.values())
    return max(64, -(-(content + content // 10 + 4 * MIB) // MIB)) * MIB


def old_partitions(path):
    """{name: gpt.Part} of an earlier image at path, if it has a good GPT."""
    try:
        with open(path, "rb") as f:
            total = os.path.getsize(path) // gpt.SECTOR
            return {p.name: p for p in gpt.read(f, total)}
    except (OSError, ValueError, UnicodeDecodeError):
        return {}


def copy_range(src, dst, src_off, dst_off, length):
    """Copies into a fresh (all-zero) image; zero blocks are skipped, so the
    image file stays sparse where the data is."""
    src.seek(src_off)
    dst.seek(dst_off)
    while length > 0:
        block = src.read(min(length, MIB))
        if not block:
            return
        if block.count(0) == len(block):
            dst.seek(len(block), os.SEEK_CUR)
        else:
            dst.write(block)
        length -= len(block)


def build(app, out, files, tmp, fresh=False, log=print):
    """Writes the raw image of app to out; files: {path on the ESP: host path}."""
    boot_img, core_img, efi = grub_images(tmp)
    files = dict(files, **{"/EFI/BOOT/BOOTX64.EFI": efi})
    esp = os.path.join(tmp, "esp.img")
    # the same file gives the same identifiers at every build
    ns = uuid.uuid5(uuid.NAMESPACE_URL, f"lgvisor-appliance:{app.name}")
    make_esp(esp, files, esp_size(files), ns.hex[:8])
    lba = SECTORS_PER_MIB                       # everything aligned to 1 MiB
    layout = []                                 # (gpt.Part, host file or None)

    def place(name, type_guid, size, source):
        nonlocal lba
        part = gpt.Part(name, type_guid, lba, lba + size // gpt.SECTOR - 1, uuid.uuid5(ns, name))
        layout.append((part, source))
        lba += size // gpt.SECTOR

    place("BIOS boot", gpt.BIOS_BOOT, BIOS_BOOT_MIB * MIB, None)
    place("EFI system", gpt.EFI_SYSTEM, os.path.getsize(esp), esp)
    for p in app.partitions:
        place(p.name, gpt.LINUX_DATA, p.size, p.source)
    total = lba + SECTORS_PER_MIB               # the backup GPT in the last MiB
    old = {} if fresh else old_partitions(out)
    tmp_out = out + ".tmp"
    patch_bios_stage(boot_img, core_img, layout[0][0].first)
    with open(tmp_out, "wb") as img:
        img.truncate(total * gpt.SECTOR)
        gpt.write(img, total, [p for p, _ in layout], uuid.uuid5(ns, "disk"), bytes(boot_img))
        img.seek(layout[0][0].first * gpt.SECTOR)
        img.write(core_img)
        for part, source in layout[1:]:
            size = (part.last - part.first + 1) * gpt.SECTOR
            prev = old.get(part.name) if part.type == gpt.LINUX_DATA else None
            if prev and prev.last - prev.first == part.last - part.first:
                # a rebuild keeps what the guests wrote (FRESH=1 to start over)
                with open(out, "rb") as src:
                    copy_range(src, img, prev.first * gpt.SECTOR, part.first * gpt.SECTOR, size)
                log(f"  kept the contents of partition {part.name} from the previous {out}")
            elif source:
                with open(source, "rb") as src:
                    copy_range(src, img, 0, part.first * gpt.SECTOR, size)
    os.replace(tmp_out, out)
    return [p for p, _ in layout]


def have_tools():
    return [t for t in ("grub-mkimage", "mformat", "mmd", "mcopy") if not shutil.which(t)]
