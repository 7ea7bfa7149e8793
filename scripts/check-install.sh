#!/usr/bin/env bash
# Installs compactor into a temporary prefix and builds a program against it with
# find_package(compactor): the export works for users.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake -S . -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCOMPACTOR_BUILD_TESTS=OFF \
  -DCOMPACTOR_BUILD_EXAMPLES=OFF -DCMAKE_INSTALL_PREFIX="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
cmake --install "$work/build" >/dev/null
mkdir -p "$work/user"
cat > "$work/user/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(user CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(compactor REQUIRED)
add_executable(user main.cpp)
target_link_libraries(user PRIVATE compactor::compactor)
# A user's .proto files: one line.
add_executable(user_protobuf protobuf_service.cpp)
compactor_add_protos(user_protobuf service.proto)
target_link_libraries(user_protobuf PRIVATE compactor::compactor)
CMAKE
cp examples/ping_pong.cpp "$work/user/main.cpp"
cp examples/protobuf_service.cpp examples/service.proto examples/fork_peer.hpp "$work/user/"
cmake -S "$work/user" -B "$work/user/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/user/build" >/dev/null
"$work/user/build/user" | tail -1
"$work/user/build/user_protobuf" | tail -1
