"""The appliance file: parse and check it (README, "Appliance files").

parse(path) returns an Appliance whose .errors lists every mistake as
(line, message); nothing is built from an Appliance that has any. The
checks here mirror what the hypervisor accepts on a module line
(kernel/lguest/guest_config.c), so that a file that passes also boots.
"""
import os
import re

GUEST_NAME = re.compile(r"[a-z0-9_-]{1,15}$")
PART_NAME = re.compile(r"[a-z0-9_-]{1,36}$")       # a GPT name holds 36 UTF-16 characters
OPTION_WORD = re.compile(r"[a-z_][a-z0-9_]*=\S+$")
MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
SIZE = re.compile(r"(\d+)\s*([KMGT]?)(?:i?B)?$", re.I)
MIB = 1 << 20
MAX_GUESTS = 64
GUEST_ARGS_MAX = 2047
MODULE_STRING_MAX = 8191
FIRST_DATA_PARTITION = 3        # GPT entries 1 and 2: BIOS boot and EFI system
DEFAULT_MEMORY = 256 * MIB      # what `make qemu` gives QEMU
# What the machine keeps besides the guests: firmware areas (OVMF keeps
# several MiB), the hypervisor's image and heap (boot log: under 16 MiB
# with the frames it keeps), and per guest its page tables and devices.
RESERVED = 32 * MIB
PER_GUEST = 1 * MIB

# key -> (range or choices, what the value must be); numbers as the
# hypervisor's kernel-line table (guest_config.c) has them
NUMBERS = {"cpu": (0, 63, "a CPU number"), "weight": (1, 65535, "a number"),
           "cap": (0, 100, "a percentage of one CPU (0: none)"),
           "restart_limit": (0, 1000, "a number (0: no limit)"),
           "restart_delay": (0, 10000, "a number of milliseconds")}
CHOICES = {"on_kill": ("stop", "restart"), "net": ("on", "off"), "gdb": ("on", "off")}
SECTION_KEYS = {
    "hypervisor": {"options", "timeout", "memory"},
    "guest": {"kernel", "initrd", "args", "mem", "mac", "disk"} | set(NUMBERS) | set(CHOICES),
    "partition": {"size", "from"},
}


class Value:
    def __init__(self, text, line):
        self.text, self.line = text, line


class Section:
    def __init__(self, kind, name, line):
        self.kind, self.name, self.line = kind, name, line
        self.keys = {}                  # key -> Value


class Guest:
    def __init__(self, name, line):
        self.name, self.line = name, line
        self.kernel = self.initrd = None        # absolute paths
        self.args = []
        self.mem = 64 * MIB
        self.options = []               # kernel-line words besides name= and mem=, in file order
        self.ramdisk = None             # absolute path of a ramdisk module
        self.sata = None                # (disk, partition name or number) for disk=sataN:X
        self.nvme = None                # the same for disk=nvmeN:X (a disk of the machine, not the image)
        self.disk_value = None          # its disk = line, for messages
        self.mem_line = line            # where its memory is set (its header when defaulted)


class Partition:
    def __init__(self, name, line):
        self.name, self.line = name, line
        self.size = 0
        self.source = None              # absolute path of its initial contents
        self.number = 0                 # GPT entry number (1-based)


class Appliance:
    def __init__(self, path):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.options = ["console=com1"]
        self.timeout = 1
        self.memory = DEFAULT_MEMORY
        self.guests = []
        self.partitions = []
        self.errors = []                # (line, message)

    def error(self, line, message):
        self.errors.append((line, message))

    def messages(self):
        return [f"{self.path}:{line}: {msg}" for line, msg in sorted(self.errors, key=lambda e: e[0])]

    def partition(self, name):
        return next((p for p in self.partitions if p.name == name), None)


def parse_size(text):
    """'64M' -> bytes (K, M, G, T are powers of 1024; optional iB/B); None if bad."""
    m = SIZE.match(text.strip())
    if not m:
        return None
    return int(m.group(1)) << (10 * " KMGT".index(m.group(2).upper() or " "))


def mib(n):
    return f"{n // MIB} MiB" if n % MIB == 0 else f"{n} bytes"


def read_sections(app, lines):
    """The file's sections and keys; syntax errors go to app.errors."""
    sections, current = [], None
    in_bad_section = False              # its keys are not reported again
    seen = {}                           # (kind, name) -> line
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current, in_bad_section = None, True
            if not line.endswith("]"):
                app.error(no, f"'{line}': a section header ends with ]")
                continue
            words = line[1:-1].split()
            kind = words[0] if words else ""
            if kind not in SECTION_KEYS:
                app.error(no, f"unknown section [{line[1:-1]}]: the sections are [hypervisor], "
                              "[guest NAME] and [partition NAME]")
                continue
            if (kind == "hypervisor") != (len(words) == 1) or len(words) > 2:
                app.error(no, f"[{line[1:-1]}]: write [hypervisor], [guest NAME] or [partition NAME]")
                continue
            name = words[1] if len(words) == 2 else ""
            if (kind, name) in seen:
                what = "[hypervisor]" if kind == "hypervisor" else f"{kind} '{name}'"
                app.error(no, f"{what} is already defined at line {seen[(kind, name)]}")
                continue
            seen[(kind, name)] = no
            current, in_bad_section = Section(kind, name, no), False
            sections.append(current)
            continue
        key, eq, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not key:
            app.error(no, f"'{line}' is not KEY = VALUE, a [section] or a # comment")
            continue
        if current is None:
            if not in_bad_section:
                app.error(no, f"'{key}' is outside any section: start with [hypervisor] or [guest NAME]")
            continue
        if key not in SECTION_KEYS[current.kind]:
            app.error(no, f"unknown key '{key}' in [{current.kind}]; known: "
                          f"{', '.join(sorted(SECTION_KEYS[current.kind]))}")
            continue
        if key in current.keys:
            app.error(no, f"'{key}' is already set at line {current.keys[key].line}")
            continue
        current.keys[key] = Value(value, no)
    return sections


def check_words(app, v, what):
    """GRUB drops quotes from a multiboot2/module2 line: they never arrive."""
    if re.search(r"[\"']", v.text):
        app.error(v.line, f"{what}: quotes cannot be passed (GRUB drops them from module lines); "
                          "write the words without them")
        return False
    return True


def file_value(app, base, v, what):
    if not v.text:
        app.error(v.line, f"{what}: no file named")
        return None
    path = os.path.normpath(os.path.join(base, v.text))
    if not os.path.isfile(path):
        app.error(v.line, f"{what} file {v.text} ({path}) does not exist" if not os.path.exists(path)
                  else f"{what} {v.text} ({path}) is not a regular file")
        return None
    return path


def hypervisor_section(app, s):
    v = s.keys.get("options")
    if v and check_words(app, v, "options"):
        words = v.text.split()
        bad = [w for w in words if not OPTION_WORD.match(w)]
        if bad:
            app.error(v.line, f"hypervisor option '{bad[0]}' is not NAME=VALUE (see README, Command line)")
        else:
            app.options = words
    v = s.keys.get("timeout")
    if v:
        if not re.fullmatch(r"\d{1,3}", v.text) or int(v.text) > 600:
            app.error(v.line, f"timeout = {v.text}: give the GRUB menu's wait in whole seconds, 0 to 600")
        else:
            app.timeout = int(v.text)
    v = s.keys.get("memory")
    if v:
        n = parse_size(v.text)
        if n is None or n % MIB or not 64 * MIB <= n <= 4096 * MIB:
            app.error(v.line, f"memory = {v.text}: give the machine's RAM in whole MiB, 64M to 4G")
        else:
            app.memory = n


def guest_section(app, s, base):
    g = Guest(s.name, s.line)
    g.disk_value = s.keys.get("disk")
    if "mem" in s.keys:
        g.mem_line = s.keys["mem"].line
    if not GUEST_NAME.match(s.name):
        app.error(s.line, f"guest name '{s.name}' must be 1-15 characters of a-z 0-9 - _")
    k = s.keys
    if "kernel" not in k:
        app.error(s.line, f"guest '{s.name}' has no kernel (kernel = PATH)")
    else:
        g.kernel = file_value(app, base, k["kernel"], "kernel")
    if "initrd" in k:
        g.initrd = file_value(app, base, k["initrd"], "initrd")
    if "args" in k and check_words(app, k["args"], "args"):
        g.args = k["args"].text.split()
        if len(" ".join(g.args)) > GUEST_ARGS_MAX:
            app.error(k["args"].line, f"args: the guest command line is longer than {GUEST_ARGS_MAX} characters")
    if "mem" in k:
        n = parse_size(k["mem"].text)
        if n is None or n % MIB or not 8 * MIB <= n <= 768 * MIB:
            app.error(k["mem"].line, f"mem = {k['mem'].text}: a guest's RAM is a whole number of MiB, 8M to 768M")
        else:
            g.mem = n
    for key in k:                       # in file order, as written
        v = k[key]
        if key in NUMBERS:
            lo, hi, what = NUMBERS[key]
            if not re.fullmatch(r"\d{1,6}", v.text) or not lo <= int(v.text) <= hi:
                app.error(v.line, f"{key} = {v.text} is not {what} from {lo} to {hi}")
            else:
                g.options.append(f"{key}={int(v.text)}")
        elif key in CHOICES:
            if v.text not in CHOICES[key]:
                app.error(v.line, f"{key} = {v.text} is not {' or '.join(CHOICES[key])}")
            else:
                g.options.append(f"{key}={v.text}")
        elif key == "mac":
            if not MAC.match(v.text) or int(v.text[:2], 16) & 1:
                app.error(v.line, f"mac = {v.text} is not a unicast address like 02:4c:47:00:00:01")
            else:
                g.options.append(f"mac={v.text.lower()}")
    if "disk" in k:
        disk_value(app, base, g, k["disk"])
    return g


def disk_value(app, base, g, v):
    kind, colon, rest = v.text.partition(":")
    if kind == "ramdisk" and colon:
        g.ramdisk = file_value(app, base, Value(rest, v.line), "ramdisk")
        return
    m = re.fullmatch(r"sata(\d{1,2})", kind)
    if m and colon and (PART_NAME.match(rest) or re.fullmatch(r"\d{1,3}", rest)):
        g.sata = (int(m.group(1)), int(rest) if rest.isdigit() else rest)
        return
    m = re.fullmatch(r"nvme(\d{1,2})", kind)
    if m and colon and (PART_NAME.match(rest) or re.fullmatch(r"\d{1,3}", rest)):
        g.nvme = (int(m.group(1)), int(rest) if rest.isdigit() else rest)
        return
    app.error(v.line, f"disk = {v.text}: write ramdisk:PATH, sata0:PARTITION-NAME or sata0:PARTITION-NUMBER "
                      f"(or nvmeN:... for a partition of an NVMe disk)")


def partition_section(app, s, base):
    p = Partition(s.name, s.line)
    if not PART_NAME.match(s.name) or s.name.isdigit():
        app.error(s.line, f"partition name '{s.name}' must be 1-36 characters of a-z 0-9 - _, not all digits")
    k = s.keys
    if "from" in k:
        p.source = file_value(app, base, k["from"], "from")
    if "size" in k:
        n = parse_size(k["size"].text)
        if n is None or n % MIB or n == 0:
            app.error(k["size"].line, f"size = {k['size'].text}: a partition is a whole number of MiB (e.g. 64M)")
        else:
            p.size = n
            if p.source and os.path.getsize(p.source) > n:
                app.error(k["from"].line, f"from = {k['from'].text} holds {os.path.getsize(p.source)} bytes, "
                                          f"more than the partition's {mib(n)}")
    elif p.source:
        p.size = -(-os.path.getsize(p.source) // MIB) * MIB or MIB
    elif "from" not in k:
        app.error(s.line, f"partition '{s.name}' has no size (size = 64M) and no contents (from = PATH)")
    return p


def check_disks(app):
    """sata0 is the appliance's own disk: its partitions are the file's."""
    users = {}                          # partition name -> guest
    nvme_users = {}                     # (disk, partition) -> guest: only the same words can be told apart
    for g in app.guests:
        if g.nvme:
            if g.nvme in nvme_users:
                first = nvme_users[g.nvme]
                app.error(g.disk_value.line, f"disk = nvme{g.nvme[0]}:{g.nvme[1]} is already the disk of guest "
                                             f"'{first.name}' (line {first.disk_value.line}); two guests cannot "
                                             f"share a partition")
            nvme_users.setdefault(g.nvme, g)
        if not g.sata:
            continue
        disk, part = g.sata
        line = g.disk_value.line
        if disk != 0:
            continue                    # another disk of the machine: not ours to check
        if isinstance(part, int):
            idx = part - FIRST_DATA_PARTITION
            if not 0 <= idx < len(app.partitions):
                have = (f"{FIRST_DATA_PARTITION} to {FIRST_DATA_PARTITION + len(app.partitions) - 1}"
                        if app.partitions else "none: the file has no [partition] section")
                app.error(line, f"disk = sata0:{part}: no such data partition (1 is BIOS boot, 2 the EFI "
                                f"system partition; data partitions: {have})")
                continue
            p = app.partitions[idx]
        else:
            p = app.partition(part)
            if not p:
                app.error(line, f"disk = sata0:{part}: no [partition {part}] in this file")
                continue
        if p.name in users:
            app.error(line, f"partition '{p.name}' is already the disk of guest '{users[p.name].name}' "
                            f"(line {users[p.name].disk_value.line}); two guests cannot share a partition")
            continue
        users[p.name] = g


def check_memory(app, mem_line):
    """The guests, their modules (GRUB keeps each file in memory) and each
    ramdisk's copy must fit in the machine's RAM beside what it keeps."""
    total = RESERVED
    for g in app.guests:
        files = [f for f in (g.kernel, g.initrd, g.ramdisk) if f]     # those that exist
        total += g.mem + PER_GUEST + sum(os.path.getsize(f) for f in files)
        if g.ramdisk:
            total += os.path.getsize(g.ramdisk)     # the copy the guest's disk is served from
        if total > app.memory:
            where = f"memory = {mib(app.memory)} (line {mem_line})" if mem_line else \
                f"the default {mib(app.memory)} (set memory = in [hypervisor])"
            app.error(g.mem_line, f"guest '{g.name}' does not fit: the guests up to it need about "
                                  f"{total >> 20} MiB with their files and {RESERVED >> 20} MiB for firmware "
                                  f"and hypervisor, more than {where}")
            return


def module_line(g):
    """The kernel module's string for guest g."""
    words = ["kernel", f"name={g.name}", f"mem={g.mem >> 20}M"] + g.options
    if g.sata:
        words.append(f"disk=sata{g.sata[0]}:{g.sata[1]}")
    if g.nvme:
        words.append(f"disk=nvme{g.nvme[0]}:{g.nvme[1]}")
    if g.args:
        words += ["--"] + g.args
    return " ".join(words)


def parse(path, text=None):
    app = Appliance(path)
    if text is None:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            app.error(0, f"cannot read: {e}")
            return app
    base = os.path.dirname(os.path.abspath(path))
    sections = read_sections(app, text.splitlines())
    mem_line = 0
    for s in sections:
        if s.kind == "hypervisor":
            hypervisor_section(app, s)
            mem_line = s.keys["memory"].line if "memory" in s.keys else 0
        elif s.kind == "partition":
            p = partition_section(app, s, base)
            p.number = FIRST_DATA_PARTITION + len(app.partitions)
            app.partitions.append(p)
    for s in sections:
        if s.kind != "guest":
            continue
        g = guest_section(app, s, base)
        if len(app.guests) == MAX_GUESTS:
            app.error(s.line, f"guest '{s.name}': at most {MAX_GUESTS} guests")
            continue
        app.guests.append(g)
        if len(module_line(g)) > MODULE_STRING_MAX:
            app.error(s.line, f"guest '{g.name}': its kernel module line is longer than {MODULE_STRING_MAX} characters")
    if not app.guests and not app.errors:
        app.error(1, "no [guest NAME] section: an appliance needs at least one guest")
    check_disks(app)
    check_memory(app, mem_line)
    return app
