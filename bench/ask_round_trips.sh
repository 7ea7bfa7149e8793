#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Remote round trips as Process::ask against plain send/reply, interleaved in one run: one
# `compactor serve`, and `compactor ping` with and without --ask (the same request, the same
# pong; an ask's comes back to a fresh __req_res__ PID). Medians of msg/s and the ratio.
#
# Usage: bench/ask_round_trips.sh BUILD_DIR [rounds, default 5] [round trips at W=100, default 100000]
set -euo pipefail
source "$(dirname "$0")/ping_rounds.sh"

start serve
for w in 1 100; do
  n=$count; [[ $w == 1 ]] && n=$((count / 10))
  : >"$dir/send.$w"; : >"$dir/ask.$w"
  for _ in $(seq "$rounds"); do
    for mode in send ask; do
      flag=(); [[ $mode == ask ]] && flag=(--ask)
      "$tool" ping "$(cat "$dir/serve.pid")" -n "$n" -w "$w" --size 200 --link "${flag[@]}" |
        grep -o '[0-9]* msg/s' | awk '{print $1}' >>"$dir/$mode.$w"
    done
  done
  awk -v w="$w" -v s="$(median <"$dir/send.$w")" -v a="$(median <"$dir/ask.$w")" \
    'BEGIN { printf "W=%-3s send/reply %8.0f msg/s, ask %8.0f msg/s: ask costs %+.1f %% per round trip\n", w, s, a, 100 * (s / a - 1) }'
done
