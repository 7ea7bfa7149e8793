#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bounds under faults, in one run (issue: overload and fault safety):
#  1. a receiver whose handler takes 1 ms, fed COUNT x 1 KiB: peak RSS of both, loss, order;
#  2. a linked sender against a peer that never reads: its peak RSS and seconds to exited;
#  3. 16 connections each sending 60 MiB of a 64 MiB body: the server's peak RSS;
#  4. a server at its descriptor limit (ulimit -n 256) offered 300 idle connections: its CPU.
# The silent-partition case needs network namespaces (root): tests/integration/fault_test.cpp.
#
# Usage: bench/soak.sh BUILD_DIR [COUNT, default 100000; the issue's figure is 1000000, ~17 min]
set -euo pipefail
build=${1:?build directory (configured with -DCOMPACTOR_BUILD_BENCH=ON)}
count=${2:-100000}
soak="$build/bench/soak"
ticks=$(getconf CLK_TCK)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

peak_rss_mib() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "== 1. slow receiver (1 ms per message), $count x 1 KiB"
coproc RECEIVER { exec "$soak" receive 1000 "$count"; }
pids+=($RECEIVER_PID)
read -r _ sink <&"${RECEIVER[0]}"
"$soak" send "$sink" "$count" 1024
cat <&"${RECEIVER[0]}"

echo "== 2. linked sender, peer accepts and never reads (write_timeout default 20 s)"
coproc STUCK { exec "$soak" stuck; }
pids+=($STUCK_PID)
read -r _ port <&"${STUCK[0]}"
"$soak" send "pong@127.0.0.1:$port" 1000000 1024
kill "$STUCK_PID"; wait "$STUCK_PID" 2>/dev/null || true

echo "== 3. 16 connections x 60 MiB of a 64 MiB body"
coproc SERVER { exec "$soak" receive 0 1000000000; }
pids+=($SERVER_PID)
read -r _ sink <&"${SERVER[0]}"
port=${sink##*:}
"$soak" half-bodies "$port" 16 60
echo "server: peak RSS $(peak_rss_mib "$SERVER_PID") MiB"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

echo "== 4. server limited to 256 descriptors, 300 idle connections"
coproc LIMITED { exec prlimit --nofile=256:256 -- "$soak" receive 0 1000000000; }
pids+=($LIMITED_PID)
read -r _ sink <&"${LIMITED[0]}"
port=${sink##*:}
"$soak" idle "$port" 300 12 &
sleep 2
before=$(cpu_ticks "$LIMITED_PID")
sleep 5
after=$(cpu_ticks "$LIMITED_PID")
awk -v t="$((after - before))" -v hz="$ticks" 'BEGIN { printf "server: %.1f %% of a core over 5 s at the limit\n", 100 * t / hz / 5 }'
wait
