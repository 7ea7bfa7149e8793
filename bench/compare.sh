#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# compactor against its baselines in alternating rounds, every program pinned to the same CPUs
# (taskset), so that a noisy machine moves both sides of a ratio alike: the medians over the
# rounds, and the ratios of the performance issue's table.
#   - remote round trip p50 at 1 in flight: `compactor ping` against `raw_tcp_ping_pong`;
#   - remote msg/s at 100 in flight: against CAF 0.17's middleman (`caf_remote_ping_pong`), as
#     send/reply and as ask/request;
#   - the remote ask's cost over send/reply, as the median of per-round ratios (msg/s and CPU);
#   - CPU per remote message, both processes (user+system time of `compactor ping`, and of
#     `compactor serve` over the same run);
#   - local msg/s at 1 and 100 in flight, send/reply and ask, against CAF 0.17 in one process;
#   - an HTTP route's requests/s under `wrk -t2 -c32` with keep-alive, against nginx (one
#     worker) serving a 2-byte file; skipped, and said so, where wrk or nginx is not installed;
#   - the CPU time the compactor server uses while idle, over IDLE_SECONDS (default 20).
#
# Usage: bench/compare.sh BUILD_DIR [rounds, default 5] [round trips at W=100, default 100000]
# BUILD_DIR is configured with -DCOMPACTOR_BUILD_BENCH=ON where libcaf-dev is installed.
set -euo pipefail
build=${1:?build directory (configured with -DCOMPACTOR_BUILD_BENCH=ON)}
rounds=${2:-5}
count=${3:-100000}
cpus=${COMPARE_CPUS:-0,1}
tool="$build/tools/compactor"
bench="$build/bench"
for program in "$tool" "$bench/raw_tcp_ping_pong" "$bench/caf_remote_ping_pong" \
  "$bench/local_ping_pong_bench" "$bench/caf_ping_pong_bench"; do
  [[ -x $program ]] || { echo "compare.sh: $program is missing (libcaf-dev installed?)" >&2; exit 1; }
done
dir=$(mktemp -d)
servers=()
trap 'kill "${servers[@]}" 2>/dev/null || true; rm -rf "$dir"' EXIT
pinned() { taskset -c "$cpus" "$@"; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
ticks=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$1/stat"; }

# The servers, for every round: a compactor context, one that runs handlers on its I/O thread
# (ContextOptions::run_on_io_thread) and a CAF middleman, each answering pings.
# (taskset runs them as themselves: $! is the server.)
taskset -c "$cpus" "$tool" serve --quiet --ip 127.0.0.1 --port 0 >"$dir/serve.out" &
servers+=($!)
compactor_server=$!
COMPACTOR_RUN_ON_IO_THREAD=1 taskset -c "$cpus" "$tool" serve --quiet --ip 127.0.0.1 --port 0 \
  >"$dir/serve_io.out" &
servers+=($!)
taskset -c "$cpus" "$bench/caf_remote_ping_pong" serve 0 >"$dir/caf.out" &
servers+=($!)
for _ in $(seq 100); do
  grep -q '^PID ' "$dir/serve.out" && grep -q '^PID ' "$dir/serve_io.out" &&
    grep -q '^serving' "$dir/caf.out" && break
  sleep 0.05
done
pid=$(awk '/^PID /{print $2}' "$dir/serve.out")
pid_io=$(awk '/^PID /{print $2}' "$dir/serve_io.out")
caf_port=$(grep -o '[0-9]*$' "$dir/caf.out")

# The HTTP servers: a process's route (http_route_bench serve) and nginx, one worker, no logs.
http_seconds=${HTTP_SECONDS:-5}
if command -v wrk >/dev/null && command -v nginx >/dev/null && [[ -x $bench/http_route_bench ]]; then
  mkdir -p "$dir/nginx/root" && printf ok >"$dir/nginx/root/ok"
  nginx_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$dir/nginx/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1; pid $dir/nginx/nginx.pid; error_log stderr error;
events { worker_connections 256; }
http { access_log off; keepalive_requests 1000000;
       server { listen 127.0.0.1:$nginx_port; root $dir/nginx/root; } }
EOF
  taskset -c "$cpus" nginx -c "$dir/nginx/nginx.conf" -p "$dir/nginx" &
  servers+=($!)
  taskset -c "$cpus" "$bench/http_route_bench" serve >"$dir/route.out" &
  servers+=($!)
  for _ in $(seq 100); do grep -q '^serving' "$dir/route.out" && break; sleep 0.05; done
  route_port=$(grep -o '[0-9]*$' "$dir/route.out")
else
  echo "compare.sh: wrk, nginx or http_route_bench missing: no HTTP row" >&2
  http_seconds=0
fi
requests() { awk '/^Requests\/sec:/{print $2}'; }

# record NAME VALUE: one round's figure
record() { echo "$2" >>"$dir/$1"; }
rate() { grep -o '[0-9.]* msg/s' | awk '{print $1}'; }
p50() { grep -o 'p50 [0-9.]*' | awk '{print $2}'; }

for round in $(seq "$rounds"); do
  echo "round $round of $rounds" >&2
  # 1 in flight: latency against raw TCP; 100 in flight: throughput against CAF.
  out=$(pinned "$bench/raw_tcp_ping_pong" $((count / 5)) 1 200)
  record raw.p50 "$(p50 <<<"$out")"
  out=$(pinned "$tool" ping "$pid" -n $((count / 5)) -w 1 --size 200 --link)
  record compactor.p50 "$(p50 <<<"$out")"
  record compactor.send.1 "$(rate <<<"$out")"
  out=$(pinned "$tool" ping "$pid" -n $((count / 5)) -w 1 --size 200 --link --ask)
  record compactor.ask.1 "$(rate <<<"$out")"
  # Both ends with run_on_io_thread: the same, and what it costs at 100 in flight.
  out=$(COMPACTOR_RUN_ON_IO_THREAD=1 pinned "$tool" ping "$pid_io" -n $((count / 5)) -w 1 --size 200 --link)
  record compactor_io.p50 "$(p50 <<<"$out")"
  out=$(COMPACTOR_RUN_ON_IO_THREAD=1 pinned "$tool" ping "$pid_io" -n "$count" -w 100 --size 200 --link)
  record compactor_io.send.100 "$(rate <<<"$out")"
  for mode in send ask; do
    flags=(); caf_flags=()
    [[ $mode == ask ]] && flags=(--ask) && caf_flags=(--request)
    before=$(cpu_seconds "$compactor_server")
    out=$( { /usr/bin/time -f 'cpu %U %S' taskset -c "$cpus" "$tool" ping "$pid" -n "$count" -w 100 \
      --size 200 --link "${flags[@]}"; } 2>&1)
    after=$(cpu_seconds "$compactor_server")
    record "compactor.$mode.100" "$(rate <<<"$out")"
    record "compactor.$mode.cpu_us" "$(awk -v b="$before" -v a="$after" -v n="$count" \
      '/^cpu /{printf "%.3f", ($2 + $3 + a - b) * 1e6 / (2 * n)}' <<<"$out")"
    out=$(pinned "$bench/caf_remote_ping_pong" ping "$caf_port" $((count / 5)) 1 200 "${caf_flags[@]}")
    record "caf.$mode.1" "$(rate <<<"$out")"
    out=$(pinned "$bench/caf_remote_ping_pong" ping "$caf_port" "$count" 100 200 "${caf_flags[@]}")
    record "caf.$mode.100" "$(rate <<<"$out")"
  done
  # The ask's cost over send/reply as a ratio within each round (their median below): steadier
  # than the ratio of two medians on a machine whose speed drifts between rounds.
  last_ratio() { awk -v a="$(tail -1 "$dir/$1")" -v b="$(tail -1 "$dir/$2")" 'BEGIN {printf "%.4f", a / b}'; }
  record ask_cost.1 "$(last_ratio compactor.send.1 compactor.ask.1)"
  record ask_cost.100 "$(last_ratio compactor.send.100 compactor.ask.100)"
  record ask_cost.cpu "$(last_ratio compactor.ask.cpu_us compactor.send.cpu_us)"
  if ((http_seconds > 0)); then
    pinned wrk -t2 -c32 -d"${http_seconds}s" "http://127.0.0.1:$route_port/hello/" | requests |
      while read -r value; do record http.compactor "$value"; done
    pinned wrk -t2 -c32 -d"${http_seconds}s" "http://127.0.0.1:$nginx_port/ok" | requests |
      while read -r value; do record http.nginx "$value"; done
  fi
  # In one process: items_per_second of each benchmark, 3 repetitions, their median.
  for program in local_ping_pong_bench caf_ping_pong_bench; do
    pinned "$bench/$program" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
      --benchmark_format=csv 2>/dev/null | grep '_median"' |
      awk -F, '{gsub(/"/, "", $1); sub(/\/real_time_median/, "", $1); sub(/\//, ".", $1); print $1, $(NF-3)}' |
      while read -r name value; do record "local.$name" "$value"; done
  done
done

# Idle: the server after the rounds, nothing asked of it (its timers and I/O thread only).
idle_seconds=${IDLE_SECONDS:-20}
before=$(cpu_seconds "$compactor_server")
sleep "$idle_seconds"
record idle.cpu "$(awk -v b="$before" -v a="$(cpu_seconds "$compactor_server")" 'BEGIN {printf "%.2f", a - b}')"

# A figure not measured in this run (the HTTP row without wrk) is "n/a".
m() {
  [[ -s $dir/$1 ]] || { echo n/a; return; }
  median <"$dir/$1" | awk '{printf($1 >= 1000 ? "%.0f" : "%.2f", $1)}'
}
ratio() {
  [[ -s $dir/$1 && -s $dir/$2 ]] || { echo n/a; return; }
  awk -v a="$(m "$1")" -v b="$(m "$2")" 'BEGIN {printf "%.2f", a / b}'
}
echo "== medians of $rounds alternating rounds (CPUs $cpus), 200-byte bodies"
# figure | compactor's file | the baseline's file (none: no ratio)
printf '%-66s %12s %12s %8s\n' figure compactor baseline ratio
while IFS='|' read -r figure ours theirs; do
  if [[ -n $theirs ]]; then
    printf '%-66s %12s %12s %8s\n' "$figure" "$(m "$ours")" "$(m "$theirs")" "$(ratio "$ours" "$theirs")"
  else
    printf '%-66s %12s\n' "$figure" "$(m "$ours")"
  fi
done <<'TABLE'
remote round trip p50 at 1 in flight, us (vs raw TCP)|compactor.p50|raw.p50
remote round trip p50 at 1 in flight, run_on_io_thread, us (vs raw TCP)|compactor_io.p50|raw.p50
remote msg/s at 1 in flight (vs CAF middleman)|compactor.send.1|caf.send.1
remote msg/s at 100 in flight (vs CAF middleman)|compactor.send.100|caf.send.100
remote msg/s at 100 in flight, run_on_io_thread (vs without)|compactor_io.send.100|compactor.send.100
remote ask msg/s at 1 in flight (vs CAF request)|compactor.ask.1|caf.ask.1
remote ask msg/s at 100 in flight (vs CAF request)|compactor.ask.100|caf.ask.100
remote ask's cost over send, 1 in flight (per-round ratio)|ask_cost.1|
remote ask's cost over send, 100 in flight (per-round ratio)|ask_cost.100|
remote ask's CPU over send's, 100 in flight (per-round ratio)|ask_cost.cpu|
CPU per remote message, both ends, us (send/reply)|compactor.send.cpu_us|
CPU per remote message, both ends, us (ask)|compactor.ask.cpu_us|
local msg/s at 1 in flight (vs CAF)|local.LocalPingPong.1|local.CafPingPong.1
local msg/s at 100 in flight (vs CAF)|local.LocalPingPong.100|local.CafPingPong.100
local ask msg/s at 1 in flight (vs CAF request, no timeout)|local.LocalAsk.1|local.CafRequest.1
local ask msg/s at 100 in flight (vs CAF request, no timeout)|local.LocalAsk.100|local.CafRequest.100
local ask msg/s at 1 in flight (vs CAF request, 10 s timeout)|local.LocalAsk.1|local.CafRequestDeadline.1
local ask msg/s at 100 in flight (vs CAF request, 10 s timeout)|local.LocalAsk.100|local.CafRequestDeadline.100
HTTP route req/s, wrk -t2 -c32 keep-alive (vs nginx, 2-byte file)|http.compactor|http.nginx
CPU seconds of an idle compactor server over IDLE_SECONDS|idle.cpu|
TABLE
