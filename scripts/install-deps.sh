#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what compactor needs to build, test, fuzz and benchmark, from Debian's packages.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  dpkg-dev file binutils                  # cpack -G DEB (dpkg-shlibdeps), objdump and nm in the install check
  doxygen                                 # the API reference
  libasio-dev libh2o-dev libmsgpack-cxx-dev zlib1g-dev libfmt-dev libspdlog-dev libcli11-dev nlohmann-json3-dev
  libmosquitto-dev libprotobuf-dev libprotoc-dev protobuf-compiler libssl-dev
  openssl                                 # certificates made by the TLS tests
  libgtest-dev libgmock-dev libbenchmark-dev
  mosquitto serf curl                     # real servers and a real HTTP client for the tests
  prometheus                              # promtool checks the /metrics exposition
  chromium                                # renders the status page in a test
  iproute2 util-linux                     # network namespaces (partition tests), prlimit
  clang libclang-rt-14-dev clang-format   # libFuzzer, sanitizer runtimes, the format check
)
# The CAF baseline of the benchmarks, only where asked for (it is large).
if [[ "${COMPACTOR_WITH_CAF:-0}" == 1 ]]; then packages+=(libcaf-dev); fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]} == 0)); then exit 0; fi

sudo=""
if [[ $(id -u) != 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
