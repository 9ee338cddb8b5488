"""SATA (AHCI) guest disks: lgtest guests on GPT partitions of a disk image
made here (tests/mkgpt.py), on QEMU's AHCI controller (`-device ahci` on
pc, the built-in one on q35).
"""
import os
import sys
from array import array

from boot_tests import ELF, TESTDIR, check

SEED_IMAGE = 0x1D15C000
PART_SECTORS = 8192
DISK_SECTORS = 22528
LAYOUT = [("alpha", 2048, PART_SECTORS), ("beta", 10240, PART_SECTORS), ("gamma", 18432, 2048)]


def pattern_sector(s):
    cols = [(j * 2246822519) & 0xFFFFFFFF for j in range(128)]
    row = ((s * 2654435761) ^ SEED_IMAGE) & 0xFFFFFFFF
    w = array("I", (row ^ c for c in cols))
    if sys.byteorder != "little":
        w.byteswap()
    return w.tobytes()


def make_image(path):
    import mkgpt
    fills = [pattern_sector, pattern_sector, lambda s: b"\xc3" * 512]
    mkgpt.write_image(path, DISK_SECTORS, [(n, f, c, fill) for (n, f, c), fill in zip(LAYOUT, fills)])
    return path
