# SPDX-License-Identifier: Apache-2.0
# Sourced by the remote ping-pong comparisons (tls_ping_pong.sh, metrics_overhead.sh), with their
# arguments: BUILD_DIR [rounds, default 5] [round trips at W=100, default 100000]. Servers started
# under an environment, ping rounds against them, medians.
build=${1:?build directory (configured with -DCOMPACTOR_BUILD_BENCH=ON)}
rounds=${2:-5}
count=${3:-100000}
tool="$build/tools/compactor"
dir=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$dir"' EXIT

# start NAME ENV...: a `compactor serve`; its PID text in $dir/NAME.pid
start() {
  local name=$1; shift
  env "$@" "$tool" serve --quiet --ip 127.0.0.1 --port 0 >"$dir/$name.out" &
  pids+=($!)
  for _ in $(seq 100); do grep -q '^PID ' "$dir/$name.out" && break; sleep 0.05; done
  awk '/^PID /{print $2}' "$dir/$name.out" >"$dir/$name.pid"
}

# rate NAME W N ENV...: msg/s of one ping run (and the connection it reports, in $dir/NAME.connection)
rate() {
  local name=$1 w=$2 n=$3; shift 3
  env "$@" "$tool" ping "$(cat "$dir/$name.pid")" -n "$n" -w "$w" --size 200 --link >"$dir/ping.out"
  grep -o '[0-9]* msg/s' "$dir/ping.out" | awk '{print $1}'
  grep '^connection:' "$dir/ping.out" >"$dir/$name.connection" || true
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
