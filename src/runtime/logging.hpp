#pragma once
// The library's logger ("compactor"), created on first use.

#include <spdlog/spdlog.h>

namespace compactor::runtime {

spdlog::logger& log();

}  // namespace compactor::runtime
