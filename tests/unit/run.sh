#!/bin/bash
# Host-side unit tests: builds every tests/unit/test_*.c with the host gcc in
# 32-bit mode (the kernel's pointer size) together with the kernel sources
# named on its first line, "/* sources: kernel/a.c kernel/b.c */", runs it,
# and counts the PASS/FAIL lines. Exits non-zero if anything fails.
set -u
cd "$(dirname "$0")/../.." || exit 1

OUT=build/unit
mkdir -p "$OUT"
CFLAGS="-m32 -std=gnu11 -O1 -g -Wall -Wextra -Werror -I."

# Sanitizers for -m32 need the 32-bit runtimes (lib32asan, lib32ubsan),
# which not every machine has: use the strongest set that builds and runs.
probe="$OUT/probe"
printf 'int main(void) { return 0; }\n' > "$probe.c"
SAN=""
for s in "-fsanitize=undefined,address" "-fsanitize=undefined"; do
    if gcc -m32 $s -fno-sanitize-recover=all "$probe.c" -o "$probe" >/dev/null 2>&1 &&
       "$probe" >/dev/null 2>&1; then
        SAN="$s -fno-sanitize-recover=all"
        break
    fi
done
rm -f "$probe" "$probe.c"
echo "unit tests: gcc -m32 ${SAN:-(no sanitizers available for -m32)}"

# A hung test must not hang the run.
TIMEOUT=""
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout 300"

passed=0
failed=0
for test in tests/unit/test_*.c; do
    name=$(basename "$test" .c)
    sources=$(head -n 1 "$test" | sed -n 's|^/\* sources: \(.*\) \*/$|\1|p')
    if [ -z "$sources" ]; then
        echo "FAIL $name: first line must be /* sources: ... */"
        failed=$((failed + 1))
        continue
    fi
    if ! gcc $CFLAGS $SAN "$test" $sources -o "$OUT/$name" 2> "$OUT/$name.log"; then
        cat "$OUT/$name.log"
        echo "FAIL $name: does not compile"
        failed=$((failed + 1))
        continue
    fi
    $TIMEOUT "$OUT/$name" > "$OUT/$name.out" 2>&1
    rc=$?
    cat "$OUT/$name.out"
    p=$(grep -c '^PASS ' "$OUT/$name.out")
    f=$(grep -c '^FAIL ' "$OUT/$name.out")
    passed=$((passed + p))
    failed=$((failed + f))
    # a crash or timeout is a failure even when no case got to say FAIL
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exited with status $rc after $p cases"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
