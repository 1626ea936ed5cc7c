#!/usr/bin/env bash
# Compiles the sample and hostile C programs to WASI modules (bin/*.wasm) and, with --native,
# to native executables too (bin/native/*), for the sandbox-cost benchmark and the process runtime's tests.
# Needs clang-14, lld-14, wasi-libc and libclang-rt-14-dev-wasm32 (Debian 12 packages).
# Only what is missing or older than its source is rebuilt.
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-14}
command -v "$CLANG" >/dev/null || { echo "programs/build.sh: $CLANG is missing; install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32" >&2; exit 1; }
mkdir -p bin
# Four projects run this script, and a parallel build runs them at once: one at a time, so that none
# moves or reads a module another is writing (the later ones find everything built).
exec 9>bin/.build.lock
flock 9
for src in samples/*.c hostile/*.c; do
  out="bin/$(basename "${src%.c}").wasm"
  if [ ! -f "$out" ] || [ "$src" -nt "$out" ] || [ "$0" -nt "$out" ]; then
    "$CLANG" --target=wasm32-wasi -O2 -fuse-ld=lld -o "$out.$$.tmp" "$src"
    mv "$out.$$.tmp" "$out"
    echo "built $out"
  fi
done
if [ "${1:-}" = "--native" ]; then
  mkdir -p bin/native
  for src in samples/*.c hostile/*.c; do
    out="bin/native/$(basename "${src%.c}")"
    if [ ! -f "$out" ] || [ "$src" -nt "$out" ]; then
      "$CLANG" -O2 -o "$out.$$.tmp" "$src" && mv "$out.$$.tmp" "$out"
      echo "built $out"
    fi
  done
fi
