// SPDX-License-Identifier: Apache-2.0
#pragma once
// The library's logger ("compactor"), created on first use (see compactor/logging.hpp).

#include <spdlog/spdlog.h>

#include <string>

namespace compactor::core {

spdlog::logger& log();

// What this thread's lines are tagged with when no process runs on it (a context's I/O thread:
// its address).
void set_log_place(std::string place);

// The PID text of the process this thread runs now (nullptr: none); it tags the lines first. Set
// by the runtime's scheduler around each run.
void set_running_process(const std::string* pid_text);

}  // namespace compactor::core
