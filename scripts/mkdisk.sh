#!/usr/bin/env bash
# mkdisk.sh OUT SIZE_MIB: a demo disk for the appliance: a text label in
# sector 0 (the shell's `dread 0` shows it), the rest zero.
set -eu
out=$1 mib=$2
mkdir -p "$(dirname "$out")"
truncate -s 0 "$out"
truncate -s "${mib}M" "$out"
printf 'lgvisor demo disk, %s MiB. Try: dwrite 1 hello, dread 1\n' "$mib" | dd of="$out" conv=notrunc status=none
