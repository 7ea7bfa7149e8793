#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# compactor as users and packagers take it:
#  - a static install, and a program built against it with find_package(compactor);
#  - a shared install (the Debian packages' build): only the public API exported (nm -D), the
#    installed tool runs, one consumer per component built with nothing but that component's
#    dependencies findable and none of the others' headers included, a pkg-config consumer,
#    and `cpack -G DEB` (dpkg -c lists each package);
#  - add_subdirectory leaves the parent's build type alone and adds no install rules.
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "check-install: $*" >&2; exit 1; }

configure_build_install() {  # <name> <cmake options...>
  local name=$1; shift
  cmake -S . -B "$work/$name" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCOMPACTOR_BUILD_TESTS=OFF \
    -DCOMPACTOR_BUILD_EXAMPLES=OFF -DCMAKE_INSTALL_PREFIX="$work/$name-prefix" "$@" >/dev/null
  cmake --build "$work/$name" >/dev/null
  cmake --install "$work/$name" >/dev/null
}

# A consumer project: <dir> <prefix> [cmake flags...] -- <CMakeLists.txt lines...>; the sources
# are copied in first.
configure_consumer() {
  local dir=$1 prefix=$2; shift 2
  local flags=()
  while [[ $1 != -- ]]; do flags+=("$1"); shift; done
  shift
  {
    echo 'cmake_minimum_required(VERSION 3.25)'
    echo 'project(user CXX)'
    printf '%s\n' "$@"
  } > "$dir/CMakeLists.txt"
  cmake -S "$dir" -B "$dir/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
    --no-warn-unused-cli "${flags[@]}" >/dev/null
}

echo "--- static install + find_package(compactor)"
configure_build_install static
mkdir -p "$work/user"
cp examples/ping_pong.cpp "$work/user/main.cpp"
cp examples/protobuf_service.cpp examples/service.proto examples/fork_peer.hpp "$work/user/"
configure_consumer "$work/user" "$work/static-prefix" -- \
  'find_package(compactor REQUIRED)' \
  'add_executable(user main.cpp)' \
  'target_link_libraries(user PRIVATE compactor::compactor)' \
  '# A user'"'"'s .proto files: one line.' \
  'add_executable(user_protobuf protobuf_service.cpp)' \
  'compactor_add_protos(user_protobuf service.proto)' \
  'target_link_libraries(user_protobuf PRIVATE compactor::compactor)'
cmake --build "$work/user/build" >/dev/null
"$work/user/build/user" | tail -1
"$work/user/build/user_protobuf" | tail -1

echo "--- shared install"
configure_build_install shared -DBUILD_SHARED_LIBS=ON
prefix=$work/shared-prefix
libdir=$prefix/lib
[[ -d $libdir ]] || libdir=$(dirname "$(find "$prefix" -name 'libcompactor.so' | head -1)")
for lib in libcompactor libcompactor_protobuf libcompactor_testing; do
  real=$(readlink -f "$libdir/$lib.so")
  soname=$(objdump -p "$real" | awk '/SONAME/ {print $2}')
  echo "$lib: $(basename "$real"), SONAME $soname"
  [[ $soname == "$lib.so.0.1" ]] || fail "$lib has SONAME '$soname'"
  # Every exported symbol is the public API: in namespace compactor, none of its internal layers.
  exported=$(nm -DC --defined-only "$real" | cut -d' ' -f3-)
  outside=$(grep -v -E '^((typeinfo|typeinfo name|vtable|VTT) for )?compactor::' <<<"$exported" || true)
  internal=$(grep -E 'compactor::(core|runtime|connection|net|wire|ops|serf|beacon::detail)::|::(Impl|State|Driver)::' \
             <<<"$exported" || true)
  [[ -z $outside && -z $internal ]] || fail "$lib exports internals:"$'\n'"$outside$internal"
  echo "$lib: $(wc -l <<<"$exported") symbols exported, all public API"
done
"$prefix/bin/compactor" --version | grep -qx "compactor $(sed -n 's/^project(compactor VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)" \
  || fail "the installed tool does not run"
echo "installed tool: $("$prefix/bin/compactor" --version), $(ldd "$prefix/bin/compactor" | grep -o 'libcompactor.so[^ ]* => [^ ]*')"

# One consumer per component. Every dependency the component does not need is made unfindable,
# and the compiler's list of included headers (-H) must name none of them.
all_dependencies=(Protobuf Mosquitto ZLIB fmt spdlog HttpParser Asio MsgpackCxx OpenSSL)
foreign_headers='google/protobuf|mosquitto\.h|msgpack|asio|spdlog|fmt/|http_parser|openssl|zlib\.h'
check_component() {  # <name> <component> <main.cpp> <allowed header pattern or ""> [files...]
  local name=$1 component=$2 main=$3 allowed=$4; shift 4
  local dir=$work/consumer-$name
  mkdir -p "$dir"
  cp "$main" "$dir/main.cpp"
  [[ $# -gt 0 ]] && cp "$@" "$dir/"
  local flags=()
  for dependency in "${all_dependencies[@]}"; do
    [[ $component == protobuf && $dependency == Protobuf ]] && continue
    flags+=("-DCMAKE_DISABLE_FIND_PACKAGE_$dependency=ON")
  done
  local lines=("find_package(compactor REQUIRED COMPONENTS $component)"
               'add_executable(user main.cpp)'
               "target_link_libraries(user PRIVATE compactor::$component)"
               'target_compile_options(user PRIVATE -H)')
  [[ $component == protobuf ]] && lines+=('compactor_add_protos(user service.proto)')
  configure_consumer "$dir" "$prefix" "${flags[@]}" -- "${lines[@]}"
  cmake --build "$dir/build" --verbose > "$dir/build.log" 2>&1 || { cat "$dir/build.log"; fail "$name consumer"; }
  local included
  included=$(grep -E '^\.+ ' "$dir/build.log" | grep -E "$foreign_headers" || true)
  [[ -n $allowed ]] && included=$(grep -v -E "$allowed" <<<"$included" || true)
  [[ -z $included ]] || fail "the $name consumer included other components' headers:"$'\n'"$included"
  local output
  output=$("$dir/build/user") || fail "the $name consumer failed: $output"
  echo "consumer $name: $(grep -cE '^\.+ ' "$dir/build.log") headers, none of another component's; run: $(tail -1 <<<"$output")"
}
check_component runtime runtime examples/ping_pong.cpp ""
check_component protobuf protobuf examples/protobuf_service.cpp 'google/protobuf' \
  examples/service.proto examples/fork_peer.hpp
cat > "$work/mqtt_main.cpp" <<'CPP'
#include <compactor/beacon/mqtt_channel.hpp>
#include <compactor/version.hpp>

#include <iostream>

int main() {
  compactor::beacon::MqttOptions options;
  options.topic = "compactor/check";  // made, not opened: no broker needed
  auto channel = compactor::beacon::mqtt_channel(options);
  std::cout << "mqtt channel built (compactor " << compactor::version() << ")" << std::endl;
  return COMPACTOR_WITH_MQTT ? 0 : 1;
}
CPP
check_component mqtt mqtt "$work/mqtt_main.cpp" ""
cat > "$work/testing_main.cpp" <<'CPP'
#include <compactor/context.hpp>
#include <compactor/testing.hpp>

#include <iostream>

struct Sink : compactor::Process {
  Sink() : Process("sink") {}
};

int main() {
  compactor::Context context({.ip = "127.0.0.1", .port = 0});
  compactor::testing::MessageWatch watch(context);
  auto hello = watch.expect("hello");
  Sink sink;
  const auto pid = context.spawn(sink);
  context.send(pid, pid, "hello", "");
  if (!hello.await(std::chrono::seconds(10))) return 1;
  std::cout << "message watched: " << hello.get().name << std::endl;
  context.terminate(pid);
  context.wait(pid);
}
CPP
check_component testing testing "$work/testing_main.cpp" ""

echo "--- pkg-config consumer"
export PKG_CONFIG_PATH=$libdir/pkgconfig
g++ -std=c++20 examples/ping_pong.cpp -o "$work/pc_user" $(pkg-config --cflags --libs compactor) \
  -Wl,-rpath,"$libdir"
echo "pkg-config compactor $(pkg-config --modversion compactor): $("$work/pc_user" | tail -1)"
# The .pc files name the prefix relative to themselves: an install moved elsewhere is found there.
cp -a "$work/shared-prefix" "$work/moved-prefix"
moved_pc=$(find "$work/moved-prefix" -name compactor.pc)
[[ $(PKG_CONFIG_PATH=$(dirname "$moved_pc") pkg-config --variable=includedir compactor) == \
  "$work/moved-prefix/"* ]] || fail "compactor.pc does not follow its install: $(cat "$moved_pc")"
echo "pkg-config follows a moved install"

echo "--- cpack -G DEB"
(cd "$work/shared" && cpack -G DEB >/dev/null)
for deb in "$work"/shared/*.deb; do
  echo "$(basename "$deb"): $(dpkg-deb -f "$deb" Depends)"
  dpkg -c "$deb" | awk '{print "   " $6 ($7 ? " " $7 " " $8 : "")}' | grep -v '/$'
done
ls "$work"/shared/*.deb | grep -q 'libcompactor0.1_' || fail "no library package"
ls "$work"/shared/*.deb | grep -q 'libcompactor-dev_' || fail "no -dev package"
ls "$work"/shared/*.deb | grep -q '/compactor_' || fail "no tool package"

echo "--- add_subdirectory"
# A parent that leaves the build type empty keeps it empty (compactor alone defaults it to
# RelWithDebInfo only when it is the top-level project), and gets no install rules.
mkdir -p "$work/parent"
cat > "$work/parent/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(parent CXX)
add_subdirectory("$source_dir" compactor)
CMAKE
cmake -S "$work/parent" -B "$work/parent/build" -G Ninja >/dev/null
grep -qx 'CMAKE_BUILD_TYPE:STRING=' "$work/parent/build/CMakeCache.txt" \
  || fail "compactor set the parent's build type: $(grep '^CMAKE_BUILD_TYPE:' "$work/parent/build/CMakeCache.txt")"
! grep -q 'file(INSTALL' "$work/parent/build/compactor/cmake_install.cmake" \
  || fail "compactor added install rules under add_subdirectory"
echo "the parent's build type stays unset; no install rules from compactor"
