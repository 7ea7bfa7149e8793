#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Remote ping-pong between two OS processes over loopback, with the raw TCP floor measured in the
# same run: `compactor serve --quiet` answers, `compactor ping` measures; CPU per message from the
# two processes' user+system time; idle CPU of a context at rest.
#
# Usage: bench/remote_ping_pong.sh BUILD_DIR [round trips, default 200000] [bytes, default 200]
set -euo pipefail
build=${1:?build directory (configured with -DCOMPACTOR_BUILD_BENCH=ON)}
count=${2:-200000}
size=${3:-200}
tool="$build/tools/compactor"
raw="$build/bench/raw_tcp_ping_pong"
ticks=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

coproc SERVER { exec "$tool" serve --quiet --ip 127.0.0.1 --port 0; }
server=$SERVER_PID
read -r _ pid <&"${SERVER[0]}"
trap 'kill $server 2>/dev/null || true' EXIT
echo "server: $pid"

echo "== 1 in flight, $size bytes"
"$raw" 20000 1 "$size" | sed 's/^/raw tcp:   /'
"$tool" ping "$pid" -n 20000 -w 1 --size "$size" --link | sed 's/^/compactor: /'

echo "== 100 in flight, $size bytes, $count round trips"
"$raw" "$count" 100 "$size" | sed 's/^/raw tcp:   /'
before=$(cpu_ticks "$server")
TIMEFORMAT='%U %S'
{ time "$tool" ping "$pid" -n "$count" -w 100 --size "$size" --link | sed 's/^/compactor: /' >&2; } 2>/tmp/ping_times.$$ 
cat /tmp/ping_times.$$ | grep compactor || true
ping_cpu=$(tail -1 /tmp/ping_times.$$ | awk '{print $1 + $2}')
rm -f /tmp/ping_times.$$
after=$(cpu_ticks "$server")
awk -v s="$(( after - before ))" -v t="$ticks" -v p="$ping_cpu" -v n="$count" 'BEGIN {
  server = s / t; total = server + p;
  printf "cpu: ping %.2f s + serve %.2f s for %d messages = %.2f us per message\n", p, server, 2 * n, total * 1e6 / (2 * n) }'

echo "== idle context for 20 s"
before=$(cpu_ticks "$server")
sleep 20
after=$(cpu_ticks "$server")
awk -v d="$(( after - before ))" -v t="$ticks" 'BEGIN { printf "idle cpu: %.3f %% (%d ticks in 20 s)\n", 100 * d / t / 20, d }'
