#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The cost of the built-in runtime metrics on remote ping-pong: servers and pings with
# ContextOptions::runtime_metrics on (the default) and off (COMPACTOR_RUNTIME_METRICS=false),
# rounds alternating between them; medians of msg/s and the on/off ratio, at 1 and 100 in flight.
#
# Usage: bench/metrics_overhead.sh BUILD_DIR [rounds, default 5] [round trips at W=100, default 100000]
set -euo pipefail
source "$(dirname "$0")/ping_rounds.sh" "$@"

off_env=(COMPACTOR_RUNTIME_METRICS=false)
start on
start off "${off_env[@]}"

for w in 1 100; do
  n=$count; [[ $w == 1 ]] && n=$((count / 10))
  : >"$dir/on.$w"; : >"$dir/off.$w"
  for _ in $(seq "$rounds"); do
    rate off "$w" "$n" "${off_env[@]}" >>"$dir/off.$w"
    rate on "$w" "$n" >>"$dir/on.$w"
  done
  on=$(median <"$dir/on.$w")
  off=$(median <"$dir/off.$w")
  awk -v w="$w" -v on="$on" -v off="$off" -v r="$(tr '\n' ' ' <"$dir/on.$w")" -v o="$(tr '\n' ' ' <"$dir/off.$w")" \
    'BEGIN { printf "W=%-3s metrics on %8.0f msg/s, off %8.0f msg/s: %.1f %%  (on: %s| off: %s)\n", w, on, off, 100 * on / off, r, o }'
done
