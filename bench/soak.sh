#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bounds under faults, in one run (issue: overload and fault safety):
#  1. a receiver whose handler takes 1 ms, fed COUNT x 1 KiB: peak RSS of both, loss, order;
#  2. a linked sender against a peer that never reads: its peak RSS and seconds to exited;
#  3. 16 connections each sending 60 MiB of a 64 MiB body: the server's peak RSS;
#  4. a server at its descriptor limit (ulimit -n 256) offered 300 idle connections: its CPU;
#  5. slowhttptest's slow read, slowloris and slow body attacks: RSS, log lines, availability.
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

# 5. The attacks of slowhttptest (Debian's package, written by others): slow read, slowloris,
# slow body. Each: the server's peak RSS, its log lines, and whether a fresh client is served
# once a second. Skipped (visibly) without slowhttptest.
if ! command -v slowhttptest >/dev/null; then
  echo "== 5. slowhttptest attacks: skipped (apt-get install slowhttptest)"
  exit 0
fi
attack() {
  local title=$1; shift
  echo "== 5. $title"
  local log; log=$(mktemp)
  coproc WEB { exec "$soak" web 1 2>"$log"; }
  local server=$WEB_PID  # bash unsets WEB_PID when the server exits
  pids+=($server)
  read -r _ port <&"${WEB[0]}"
  slowhttptest "$@" -u "http://127.0.0.1:$port/web/big" -l 60 -o "$log.slowhttptest" >/dev/null 2>&1 &
  local attacker=$! served=0 samples=0
  sleep 2
  for _ in $(seq 60); do
    samples=$((samples + 1))
    curl -s -m 2 "http://127.0.0.1:$port/web/small" | grep -q small && served=$((served + 1))
    sleep 1
  done
  echo "server: peak RSS $(peak_rss_mib "$server") MiB, served a fresh client in $served of $samples samples, $(wc -l <"$log") log lines"
  wait "$attacker" 2>/dev/null || true
  local out=${WEB[0]}
  exec {WEB[1]}>&-  # its input ends: it prints its counters and exits
  cat <&"$out"
  wait "$server" 2>/dev/null || true
  rm -f "$log" "$log.slowhttptest"*
}
attack "slow read: 500 connections take a 1 MiB answer 32 bytes every 5 s through a 512-byte window" \
  -c 500 -X -r 200 -w 512 -y 1024 -n 5 -z 32 -k 3
attack "slowloris: 1000 connections send a header line every 10 s" -c 1000 -H -r 200 -i 10
attack "slow body: 1000 connections send a body 10 bytes every 10 s" -c 1000 -B -r 200 -i 10 -s 8192
