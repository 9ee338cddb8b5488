#!/usr/bin/env python3
"""appliance.py CONFIG [--out DIR] [--lgvisor ELF] [--check] [--fresh]

Builds an appliance from its file (README, "Appliance files"): DIR/NAME.iso
(BIOS and UEFI, by grub-mkrescue) and DIR/NAME.img (a raw GPT disk image
for dd, bootable by BIOS and UEFI), NAME being the file's name without
.cfg. Every mistake in the file is printed as FILE:LINE: message and then
nothing is built (exit 1). --check only checks; --fresh starts the image's
data partitions afresh instead of keeping what an earlier image held.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import appliance_config  # noqa: E402
import appliance_grub  # noqa: E402
import diskimage  # noqa: E402


def build_iso(out, lgvisor, cfg_text, files, tmp):
    stage = os.path.join(tmp, "iso")
    os.makedirs(os.path.join(stage, "boot", "grub"))
    shutil.copy(lgvisor, os.path.join(stage, "boot", "lgvisor.elf"))
    for dst, src in files.items():
        path = os.path.join(stage, dst.lstrip("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copy(src, path)
    with open(os.path.join(stage, "boot", "grub", "grub.cfg"), "w") as f:
        f.write(cfg_text)
    p = subprocess.run(["grub-mkrescue", "-o", out + ".tmp", stage], capture_output=True, text=True)
    if p.returncode:
        raise diskimage.BuildError(f"grub-mkrescue failed: {(p.stdout + p.stderr)[-1500:]}")
    os.replace(out + ".tmp", out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1].split("\n")[0])
    ap.add_argument("config")
    ap.add_argument("--out", default="build")
    ap.add_argument("--lgvisor", default="build/lgvisor.elf")
    ap.add_argument("--check", action="store_true", help="check the file only")
    ap.add_argument("--fresh", action="store_true", help="data partitions start afresh")
    ap.add_argument("--only", choices=("iso", "img"), help="build just one of the two")
    a = ap.parse_args()
    app = appliance_config.parse(a.config)
    if app.errors:
        for m in app.messages():
            print(m, file=sys.stderr)
        print(f"{a.config}: {len(app.errors)} error(s); nothing built", file=sys.stderr)
        return 1
    if a.check:
        print(f"{a.config}: good: {len(app.guests)} guest(s), {len(app.partitions)} data partition(s)")
        return 0
    if not os.path.isfile(a.lgvisor):
        print(f"{a.lgvisor}: no hypervisor image (run make first)", file=sys.stderr)
        return 1
    missing = diskimage.have_tools()
    if missing:
        print(f"missing tools: {' '.join(missing)} (scripts/ensure-deps.sh installs them)", file=sys.stderr)
        return 1
    files = appliance_grub.Files()
    cfg = appliance_grub.grub_cfg(app, files)
    os.makedirs(a.out, exist_ok=True)
    iso = os.path.join(a.out, f"{app.name}.iso")
    img = os.path.join(a.out, f"{app.name}.img")
    with tempfile.TemporaryDirectory(prefix="lgvisor-appliance-") as tmp:
        cfg_path = os.path.join(tmp, "grub.cfg")
        with open(cfg_path, "w") as f:
            f.write(cfg)
        boot_files = dict(files.sources)
        boot_files["/boot/lgvisor.elf"] = a.lgvisor
        boot_files["/boot/grub/grub.cfg"] = cfg_path
        try:
            if a.only != "img":
                build_iso(iso, a.lgvisor, cfg, files.sources, tmp)
                print(f"  ISO     {iso}")
            if a.only != "iso":
                parts = diskimage.build(app, img, boot_files, tmp, fresh=a.fresh)
                print(f"  IMG     {img}: " + ", ".join(f"{i}:{p.name}" for i, p in enumerate(parts, 1)))
        except diskimage.BuildError as e:
            print(f"{a.config}: {e}", file=sys.stderr)
            return 1
    with open(os.path.join(a.out, f"{app.name}.grub.cfg"), "w") as f:
        f.write(cfg)                    # for reading: the image holds the same text
    return 0


if __name__ == "__main__":
    sys.exit(main())
