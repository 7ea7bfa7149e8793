#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the dependencies, builds, and runs what only compactor has, both halves joined: three
# members of a beacon group elect a leader, a follower finds the leader's PID through the group
# (nothing configured), does the leader/follower handshake over the libprocess wire (link, ping,
# pong), and when the leader is stopped the tag moves and the follower registers with the new one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target group_handshake >/dev/null
exec build/examples/group_handshake
