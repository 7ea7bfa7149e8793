#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the whole test suite of a built tree many times while the machine is kept busy, and prints
# how often each test failed. Use it before resolving an issue that touches timing, threads or
# sockets: a test that fails once here will fail in CI sooner or later.
#
# Usage: scripts/flake-hunt.sh BUILD_DIR [REPETITIONS, default 20] [LOAD_PROCESSES, default nproc]
#   e.g. scripts/flake-hunt.sh build 20; scripts/flake-hunt.sh build-tsan 20
# The load is LOAD_PROCESSES busy loops at normal priority beside `ctest -j2` (0: no load).
# Exit status: 0 when no test failed in any repetition, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/flake-hunt.sh BUILD_DIR [REPETITIONS] [LOAD_PROCESSES]}
repetitions=${2:-20}
load=${3:-$(nproc)}
[[ -f "$build/CTestTestfile.cmake" ]] || { echo "no test tree in $build (build it first)" >&2; exit 2; }

logs=$(mktemp -d)
busy=()
stop_load() { ((${#busy[@]} == 0)) || kill "${busy[@]}" 2>/dev/null || true; }
trap stop_load EXIT
for ((i = 0; i < load; i++)); do
  (while :; do :; done) &
  busy+=($!)
done

start=$SECONDS
for ((run = 1; run <= repetitions; run++)); do
  log="$logs/run-$run.log"
  status=0
  ctest --test-dir "$build" -j2 --timeout 180 --output-on-failure >"$log" 2>&1 || status=$?
  summary=$(grep -E "tests passed|tests failed" "$log" | tail -1 || true)
  echo "run $run/$repetitions ($((SECONDS - start)) s): ${summary:-exit $status}"
  # ctest lists each failed test as "  <number> - <name> (Failed|Timeout|...)".
  sed -n '/The following tests FAILED:/,$p' "$log" | grep -E '^\s+[0-9]+ - ' |
    sed -E 's/^\s+[0-9]+ - //' >>"$logs/failures.txt" || true
done
stop_load
busy=()

echo
echo "== $repetitions runs of $(ctest --test-dir "$build" -N | grep -c 'Test *#') tests in $build," \
  "$load busy loop(s) beside, $((SECONDS - start)) s"
if [[ ! -s "$logs/failures.txt" ]]; then
  echo "no failures"
  rm -rf "$logs"
  exit 0
fi
echo "failures per test (logs in $logs):"
sort "$logs/failures.txt" | uniq -c | sort -rn
exit 1
