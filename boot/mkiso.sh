#!/usr/bin/env bash
# mkiso.sh OUT.iso HYPERVISOR.elf "HYPERVISOR OPTIONS" [MODULE_FILE "MODULE STRING"]...
# Builds a hybrid BIOS + UEFI bootable ISO with GRUB loading lgvisor through
# multiboot2 and each module through module2.
set -eu
out=$1 elf=$2 opts=$3
shift 3
stage=$(mktemp -d)
# The log lives outside the staged tree: grub-mkrescue copies that whole tree
# into the image, and xorriso refuses a file that grows while it reads it.
log=$(mktemp)
trap 'rm -rf "$stage" "$log"' EXIT
mkdir -p "$stage/boot/grub" "$stage/boot/modules"
cp "$elf" "$stage/boot/lgvisor.elf"
{
    echo "set timeout=0"
    echo "set default=0"
    echo "menuentry \"lgvisor\" {"
    echo "    multiboot2 /boot/lgvisor.elf $opts"
    i=0
    while [ $# -ge 2 ]; do
        name=$(basename "$1")
        cp "$1" "$stage/boot/modules/$i-$name"
        echo "    module2 /boot/modules/$i-$name $2"
        i=$((i + 1))
        shift 2
    done
    echo "    boot"
    echo "}"
} > "$stage/boot/grub/grub.cfg"
mkdir -p "$(dirname "$out")"
grub-mkrescue -o "$out" "$stage" > "$log" 2>&1 || { cat "$log" >&2; exit 1; }
