// SPDX-License-Identifier: Apache-2.0
#pragma once
// Why a linked process ended, and what a process does when an exception escapes its code.

#include <string>

namespace compactor {

/// Why a linked process ended, as its linker learns it in Process::exited (exit_reason()).
/// Known for processes of this OS process; libprocess's wire carries no reason, so a remote
/// peer's end is always `lost`.
struct ExitReason {
  /// How it ended.
  enum class Kind {
    terminated,  ///< it ended normally: terminate(), its context shutting down
    failed,      ///< an exception escaped its code and its policy is OnException::terminate
    lost,        ///< unknown: no such process, or its context could not be reached or broke
  };
  Kind kind = Kind::terminated;  ///< see Kind
  std::string what{};            ///< failed: the exception's what(); lost: why, if known

  /// Not a normal end: what a supervisor restarts a transient child for.
  bool abnormal() const { return kind != Kind::terminated; }
};

/// What a process does when an exception escapes a handler, a task or initialize(): either way
/// it is logged with the process's PID and counted (ContextStats::handler_exceptions).
enum class OnException {
  carry_on,   ///< the process goes on with its next event (libprocess's behaviour)
  terminate,  ///< the process terminates; its linkers get ExitReason::Kind::failed
};

}  // namespace compactor
