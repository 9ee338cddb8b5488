#!/usr/bin/env bash
# Installs the Debian packages lgvisor needs to build, boot and test, when any
# is missing. As root it installs them; otherwise it prints the exact command.
set -eu
pkgs=(gcc make gcc-multilib binutils qemu-system-x86 grub-pc-bin grub-common
      grub-efi-amd64-bin ovmf xorriso mtools newlib-source python3 gdb)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "lgvisor: missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "lgvisor: run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
