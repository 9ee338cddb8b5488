"""GUID partition tables, written and read in Python (no loop devices, no
root): a protective MBR, the primary header and entry array at LBA 1-33,
and the backup array and header at the disk's end (UEFI spec, chapter 5).
"""
import struct
import uuid
import zlib

SECTOR = 512
ENTRIES = 128
ENTRY_SIZE = 128
ENTRY_SECTORS = ENTRIES * ENTRY_SIZE // SECTOR          # 32
HEADER = struct.Struct("<8sIIIIQQQQ16sQIII")            # 92 bytes
ENTRY = struct.Struct("<16s16sQQQ72s")

BIOS_BOOT = uuid.UUID("21686148-6449-6e6f-744e-656564454649")
EFI_SYSTEM = uuid.UUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
LINUX_DATA = uuid.UUID("0fc63daf-8483-4772-8e79-3d69d8477de4")


class Part:
    def __init__(self, name, type_guid, first, last, guid, attrs=0):
        self.name, self.type, self.first, self.last, self.guid, self.attrs = \
            name, type_guid, first, last, guid, attrs

    def __repr__(self):
        return f"Part({self.name!r}, {self.type}, {self.first}-{self.last})"


def _entries(parts):
    raw = bytearray(ENTRIES * ENTRY_SIZE)
    for i, p in enumerate(parts):
        ENTRY.pack_into(raw, i * ENTRY_SIZE, p.type.bytes_le, p.guid.bytes_le, p.first, p.last,
                        p.attrs, p.name.encode("utf-16-le")[:72])
    return bytes(raw)


def _header(my_lba, alt_lba, entries_lba, total, disk_guid, entries_crc):
    fields = [b"EFI PART", 0x00010000, HEADER.size, 0, 0, my_lba, alt_lba,
              1 + 1 + ENTRY_SECTORS, total - 2 - ENTRY_SECTORS, disk_guid.bytes_le,
              entries_lba, ENTRIES, ENTRY_SIZE, entries_crc]
    crc = zlib.crc32(HEADER.pack(*fields))
    fields[3] = crc
    return HEADER.pack(*fields).ljust(SECTOR, b"\0")


def protective_mbr(total, boot_code=b""):
    """Sector 0: boot code (up to the disk signature), one partition of
    type 0xEE over the whole disk (or as much as 32 bits hold), 55 AA."""
    mbr = bytearray(SECTOR)
    mbr[:len(boot_code[:0x1B8])] = boot_code[:0x1B8]
    size = min(total - 1, 0xFFFFFFFF)
    mbr[0x1BE:0x1CE] = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1, size)
    mbr[0x1FE:0x200] = b"\x55\xaa"
    return bytes(mbr)


def write(f, total, parts, disk_guid, boot_code=b""):
    """Writes the MBR and both GPT copies into the open image f of `total`
    sectors; partition data is the caller's."""
    entries = _entries(parts)
    crc = zlib.crc32(entries)
    f.seek(0)
    f.write(protective_mbr(total, boot_code))
    f.write(_header(1, total - 1, 2, total, disk_guid, crc))
    f.write(entries)
    f.seek((total - 1 - ENTRY_SECTORS) * SECTOR)
    f.write(entries)
    f.write(_header(total - 1, 1, total - 1 - ENTRY_SECTORS, total, disk_guid, crc))


def read(f, total, backup=False):
    """The partitions of the image f (`total` sectors) from its primary GPT
    (or its backup), checked (signature, both CRCs, where the other copy
    is), each with .number (its entry, from 1); ValueError when bad."""
    lba, other = (total - 1, 1) if backup else (1, total - 1)
    f.seek(lba * SECTOR)
    hdr = f.read(SECTOR)
    fields = list(HEADER.unpack(hdr[:HEADER.size]))
    if fields[0] != b"EFI PART":
        raise ValueError(f"no GPT signature at LBA {lba}")
    want = fields[3]
    fields[3] = 0
    if zlib.crc32(HEADER.pack(*fields)) != want:
        raise ValueError("GPT header CRC mismatch")
    if fields[5] != lba or fields[6] != other:
        raise ValueError(f"header at LBA {lba} says it is at {fields[5]}, the other copy at {fields[6]}")
    f.seek(fields[10] * SECTOR)
    entries = f.read(fields[11] * fields[12])
    if zlib.crc32(entries) != fields[13]:
        raise ValueError("GPT entry array CRC mismatch")
    parts = []
    for i in range(fields[11]):
        t, g, first, last, attrs, name = ENTRY.unpack_from(entries, i * fields[12])
        if t != bytes(16):
            p = Part(name.decode("utf-16-le").rstrip("\0"), uuid.UUID(bytes_le=t), first, last,
                     uuid.UUID(bytes_le=g), attrs)
            p.number = i + 1
            parts.append(p)
    return parts
