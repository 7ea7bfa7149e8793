// SPDX-License-Identifier: Apache-2.0
#pragma once
// Inflating `Content-Encoding: gzip` bodies, bounded so that a small bomb cannot exhaust memory.

#include <cstddef>
#include <string>
#include <string_view>

namespace compactor::wire {

enum class GunzipResult { ok, corrupt, too_large };

// Inflates the gzip stream `compressed` into `out` (replacing its content); stops with too_large
// as soon as the output would exceed `max_size`.
GunzipResult gunzip(std::string_view compressed, std::size_t max_size, std::string& out);

// Compresses `data` as a gzip stream (for tests and, later, HTTP responses).
std::string gzip(std::string_view data);

}  // namespace compactor::wire
