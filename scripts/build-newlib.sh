#!/usr/bin/env bash
# Builds newlib's libc for a freestanding i686 target with the host gcc -m32,
# from Debian's newlib-source tarball, into $1 (install prefix). About 40 s.
#
# Options and why:
#  --disable-newlib-supplied-syscalls  we provide _write, _sbrk, ... ourselves
#  --enable-newlib-nano-malloc         small allocator; the heap is a fixed window
#  --enable-newlib-reent-small         one small reentrancy struct: no threads here
#  --disable-newlib-io-float           the hypervisor never prints floats
#  -U__linux__ ...                    the host gcc says "Linux"; newlib's headers
#                                      would then expect a Linux runtime
#  -march=i686, no SSE                 hypervisor code must not touch FPU/SSE state
#                                      (it belongs to the guests: lazy FPU switching)
set -eu
prefix=$(realpath -m "$1")
tarball=$(ls /usr/src/newlib/newlib-*.tar.* 2>/dev/null | head -n1)
[ -n "$tarball" ] || { echo "newlib-source is not installed (apt-get install newlib-source)" >&2; exit 1; }
work=$(dirname "$prefix")/newlib-work
rm -rf "$work"; mkdir -p "$work"
tar -C "$work" -xf "$tarball"
src=$(find "$work" -maxdepth 2 -name configure -path '*newlib*' -printf '%h\n' | head -n1)
mkdir -p "$work/obj"; cd "$work/obj"
flags="-m32 -march=i686 -U__linux__ -U__linux -Ulinux -U__gnu_linux__ -U__unix__ -U__unix -Uunix -mno-sse -mno-mmx -ffreestanding -fno-pie -fno-stack-protector -O2 -g"
"$src/configure" --target=i686-elf --prefix="$prefix" --disable-multilib \
    --disable-newlib-supplied-syscalls --enable-newlib-nano-malloc \
    --enable-newlib-reent-small --disable-newlib-io-float --disable-nls \
    CC_FOR_TARGET="gcc $flags" AR_FOR_TARGET=ar AS_FOR_TARGET="as --32" \
    LD_FOR_TARGET="ld -m elf_i386" RANLIB_FOR_TARGET=ranlib NM_FOR_TARGET=nm \
    > "$work/configure.log" 2>&1
make -j"$(nproc)" all-target-newlib > "$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
make install-target-newlib > "$work/install.log" 2>&1
rm -rf "$work"
echo "newlib installed in $prefix"
