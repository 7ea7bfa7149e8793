#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the dependencies, builds, and runs the leader/follower demo: two OS processes, a link,
# a ping/pong round trip over the libprocess wire, and exited() when the leader goes away.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target leader_follower >/dev/null
exec build/examples/leader_follower
