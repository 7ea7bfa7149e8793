#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Remote ping-pong over TLS against plaintext, in the same run: two `compactor serve` (one
# plaintext, one TLS with a certificate made here by openssl), `compactor ping` at 1 and 100 in
# flight, rounds alternating between them; medians of msg/s and the TLS/plaintext ratio. TLS as
# libprocess configures it by default (TLS 1.2, AES128-SHA), and with TLS 1.3 enabled.
#
# Usage: bench/tls_ping_pong.sh BUILD_DIR [rounds, default 5] [round trips at W=100, default 100000]
set -euo pipefail
source "$(dirname "$0")/ping_rounds.sh" "$@"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
tls_env=(LIBPROCESS_SSL_ENABLED=true LIBPROCESS_SSL_CERT_FILE="$dir/cert.pem"
         LIBPROCESS_SSL_KEY_FILE="$dir/key.pem")
tls13_env=("${tls_env[@]}" LIBPROCESS_SSL_ENABLE_TLS_V1_3=true)

start plain
start tls "${tls_env[@]}"
start tls13 "${tls13_env[@]}"

for w in 1 100; do
  n=$count; [[ $w == 1 ]] && n=$((count / 10))
  : >"$dir/plain.$w"; : >"$dir/tls.$w"; : >"$dir/tls13.$w"
  for _ in $(seq "$rounds"); do
    rate plain "$w" "$n" >>"$dir/plain.$w"
    rate tls "$w" "$n" "${tls_env[@]}" >>"$dir/tls.$w"
    rate tls13 "$w" "$n" "${tls13_env[@]}" >>"$dir/tls13.$w"
  done
  plain=$(median <"$dir/plain.$w")
  for name in tls tls13; do
    rate_median=$(median <"$dir/$name.$w")
    awk -v n="$name" -v w="$w" -v p="$plain" -v t="$rate_median" -v c="$(cut -d' ' -f2- "$dir/$name.connection")" \
      'BEGIN { printf "W=%-3s %-22s %8.0f msg/s vs plaintext %8.0f: %.0f %%\n", w, c, t, p, 100 * t / p }'
  done
done
