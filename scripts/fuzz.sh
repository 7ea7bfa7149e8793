#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for a bounded time.
# Usage: scripts/fuzz.sh [seconds per target, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${BUILD_DIR:-build-fuzz}
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCOMPACTOR_BUILD_FUZZ=ON -DCOMPACTOR_BUILD_TESTS=OFF -DCOMPACTOR_BUILD_EXAMPLES=OFF \
  -DCOMPACTOR_BUILD_TOOLS=OFF -DCOMPACTOR_SANITIZERS=address,undefined >/dev/null
targets=$(basename -s .cpp fuzz/*_fuzz.cpp)
cmake --build "$build" --target $targets  # not the whole library: the fuzzed layers
for source in fuzz/*_fuzz.cpp; do
  target=$(basename "$source" .cpp)
  corpus="$build/corpus/$target"
  mkdir -p "$corpus"
  cp fuzz/seeds/"${target%_fuzz}"/* "$corpus"/ 2>/dev/null || true
  echo "== $target for ${seconds}s"
  log="$build/$target.log"
  status=0
  "$build/fuzz/$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$corpus" >"$log" 2>&1 || status=$?
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)" "$log" || true
  if ((status != 0)); then
    grep -E "ERROR|SUMMARY|Test unit written" "$log" || tail -20 "$log"
    echo "$target failed (exit $status)"
    exit 1
  fi
done
