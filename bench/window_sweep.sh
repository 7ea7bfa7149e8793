#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Remote messages per second (pings and pongs) against the window (1 to 256 messages in flight), for compactor
# (`compactor ping` against `compactor serve`), CAF 0.17's middleman (`caf_remote_ping_pong`)
# and raw TCP (`raw_tcp_ping_pong`, one write per message): alternating rounds, every program
# pinned to the same CPUs, the median of each point. Writes the table and plots it with gnuplot.
#
# Usage: bench/window_sweep.sh BUILD_DIR [rounds, default 3] [round trips per run, default 20000]
# Environment: COMPARE_CPUS (default 0,1); PLOT, the SVG to write (default docs/figures/window.svg).
set -euo pipefail
set -- "${1:?build directory (configured with -DCOMPACTOR_BUILD_BENCH=ON)}" "${2:-3}" "${3:-20000}"
source "$(dirname "$0")/ping_rounds.sh"
cpus=${COMPARE_CPUS:-0,1}
plot=${PLOT:-$(dirname "$0")/../docs/figures/window.svg}
bench="$build/bench"
for program in "$bench/raw_tcp_ping_pong" "$bench/caf_remote_ping_pong"; do
  [[ -x $program ]] || { echo "window_sweep.sh: $program is missing (libcaf-dev installed?)" >&2; exit 1; }
done
command -v gnuplot >/dev/null || { echo "window_sweep.sh: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }
pinned() { taskset -c "$cpus" "$@"; }

start serve  # ping_rounds.sh's compactor server, pinned below with its CPU list
taskset -apc "$cpus" "${pids[-1]}" >/dev/null
taskset -c "$cpus" "$bench/caf_remote_ping_pong" serve 0 >"$dir/caf.out" &
pids+=($!)
for _ in $(seq 100); do grep -q '^serving' "$dir/caf.out" && break; sleep 0.05; done
caf_port=$(grep -o '[0-9]*$' "$dir/caf.out")
pid=$(cat "$dir/serve.pid")
msgs() { grep -o '[0-9.]* msg/s' | awk '{print $1}'; }

windows=(1 2 4 8 16 32 64 128 256)
for round in $(seq "$rounds"); do
  echo "round $round of $rounds" >&2
  for w in "${windows[@]}"; do
    pinned "$bench/raw_tcp_ping_pong" "$count" "$w" 200 | msgs >>"$dir/raw.$w"
    pinned "$tool" ping "$pid" -n "$count" -w "$w" --size 200 --link | msgs >>"$dir/compactor.$w"
    pinned "$bench/caf_remote_ping_pong" ping "$caf_port" "$count" "$w" 200 | msgs >>"$dir/caf.$w"
  done
done

table="${plot%.svg}.dat"
{
  echo "# window  raw_tcp  compactor  caf  (msg/s, pings and pongs, medians of $rounds rounds, CPUs $cpus, 200-byte bodies)"
  for w in "${windows[@]}"; do
    printf '%s %s %s %s\n' "$w" "$(median <"$dir/raw.$w")" "$(median <"$dir/compactor.$w")" \
      "$(median <"$dir/caf.$w")"
  done
} >"$table"
cat "$table"
gnuplot <<EOF
set terminal svg size 720,420 dynamic background rgb 'white' font "sans,12"
set output "$plot"
set title "Remote ping-pong over loopback, 200-byte messages"
set xlabel "messages in flight"
set ylabel "messages per second (pings and pongs)"
set logscale x 2
set key top left
set grid
set format y "%.0s%c"
plot "$table" using 1:2 with linespoints title "raw TCP (one write per message)", \
     "$table" using 1:3 with linespoints title "compactor", \
     "$table" using 1:4 with linespoints title "CAF 0.17 middleman"
EOF
echo "plotted: $plot" >&2
