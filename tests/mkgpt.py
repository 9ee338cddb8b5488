"""Writes a raw disk image with a GPT (primary and backup, CRCs by
zlib.crc32) for the SATA tests: partitions given as (name, first LBA,
sectors, fill), where fill(lba_in_partition) gives a sector's 512 bytes,
or None for zeros.

    python3 tests/mkgpt.py OUT.img   # the layout sata_tests.py uses
"""
import struct
import sys
import uuid
import zlib

SECTOR = 512
ENTRIES = 128
ENTRY_SIZE = 128
LINUX_DATA = uuid.UUID("0fc63daf-8483-4772-8e79-3d69d8477de4")


def _header(lba, alt, entries_lba, disk_sectors, disk_guid, entries_crc):
    first_usable = 2 + ENTRIES * ENTRY_SIZE // SECTOR
    last_usable = disk_sectors - 2 - ENTRIES * ENTRY_SIZE // SECTOR
    h = struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x00010000, 92, 0, 0, lba, alt,
                    first_usable, last_usable, disk_guid.bytes_le, entries_lba, ENTRIES,
                    ENTRY_SIZE, entries_crc)
    crc = zlib.crc32(h) & 0xFFFFFFFF
    h = h[:16] + struct.pack("<I", crc) + h[20:]
    return h + bytes(SECTOR - len(h))


def write_image(path, disk_sectors, parts):
    """parts: [(name, first, sectors, fill)]; entry i is partition i + 1."""
    entries = bytearray(ENTRIES * ENTRY_SIZE)
    for i, (name, first, sectors, _fill) in enumerate(parts):
        e = struct.pack("<16s16sQQQ72s", LINUX_DATA.bytes_le,
                        uuid.uuid5(uuid.NAMESPACE_DNS, f"lgvisor-{i}-{name}").bytes_le,
                        first, first + sectors - 1, 0, name.encode("utf-16-le"))
        entries[i * ENTRY_SIZE:(i + 1) * ENTRY_SIZE] = e
    ecrc = zlib.crc32(bytes(entries)) & 0xFFFFFFFF
    guid = uuid.uuid5(uuid.NAMESPACE_DNS, "lgvisor-test-disk")
    esecs = len(entries) // SECTOR
    with open(path, "wb") as f:
        f.truncate(disk_sectors * SECTOR)
        # protective MBR: one partition of type 0xEE over the disk
        mbr = bytearray(SECTOR)
        mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1,
                                   min(disk_sectors - 1, 0xFFFFFFFF))
        mbr[510:512] = b"\x55\xaa"
        f.seek(0)
        f.write(mbr)
        f.write(_header(1, disk_sectors - 1, 2, disk_sectors, guid, ecrc))
        f.write(entries)
        f.seek((disk_sectors - 1 - esecs) * SECTOR)
        f.write(entries)
        f.write(_header(disk_sectors - 1, 1, disk_sectors - 1 - esecs, disk_sectors, guid, ecrc))
        for name, first, sectors, fill in parts:
            if fill is None:
                continue
            f.seek(first * SECTOR)
            f.write(b"".join(fill(s) for s in range(sectors)))


if __name__ == "__main__":
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    import sata_tests
    sata_tests.make_image(sys.argv[1])
