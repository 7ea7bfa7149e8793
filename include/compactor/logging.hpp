// SPDX-License-Identifier: Apache-2.0
#pragma once
// compactor's log: its level, where its lines go, and raising it for a while (libprocess's
// /logging/toggle). Lines name the context and the process they come from.

#include <compactor/export.hpp>

#include <chrono>
#include <functional>
#include <string_view>

namespace compactor::logging {

enum class Level { trace, debug, info, warn, error, critical, off };

/// Lines below `level` are neither formatted nor written. Default: info; or, when the log is first
/// used, COMPACTOR_LOG_LEVEL (trace, debug, info, warn, error, critical, off), else spdlog's
/// SPDLOG_LEVEL. A level raised by raise_for() ends at once.
COMPACTOR_API void set_level(Level level);
/// The level in force (raised or not).
COMPACTOR_API Level level();

/// Where lines go: `sink` gets each line's level and text (without a newline), from any thread,
/// one line at a time. None: standard error, the default.
using Sink = std::function<void(Level level, std::string_view line)>;
COMPACTOR_API void set_sink(Sink sink);

/// Raises verbosity `steps` above the level set (1: debug, 2 or more: trace) for `duration`, then
/// lowers it back; 0 lowers it now. As libprocess's /logging/toggle?level=N&duration=D, which
/// calls it.
COMPACTOR_API void raise_for(int steps, std::chrono::milliseconds duration);
/// How many steps the level is raised now (0: not raised).
COMPACTOR_API int raised_steps();

}  // namespace compactor::logging
