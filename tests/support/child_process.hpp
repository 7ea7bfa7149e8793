// SPDX-License-Identifier: Apache-2.0
#pragma once
// Starts another OS process (the compactor tool, an example), reads its standard output line by
// line with timeouts, and kills it at the end: the second party of the integration tests.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace compactor::testing {

// The path of program `name` in $PATH, /usr/sbin or /sbin; throws if there is none.
std::string find_program(const std::string& name);

class ChildProcess {
 public:
  // Starts `argv[0]` (a path) with `argv`; `env` entries ("NAME=value") are added to the
  // environment. Without `capture_output`, its standard output goes to /dev/null (for servers
  // that talk a lot and are never read).
  explicit ChildProcess(std::vector<std::string> argv, std::vector<std::string> env = {},
                        bool capture_output = true);
  ~ChildProcess();  // SIGKILL and reap if still running

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // The next line of standard output, or nullopt at EOF or after `timeout`.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

  // Reads lines until one starts with `prefix`; returns it, or nullopt.
  std::optional<std::string> wait_for_line(const std::string& prefix,
                                           std::chrono::milliseconds timeout);

  void kill(int signal);

  // Waits for exit; the exit code, or nullopt on timeout (128+N when killed by signal N).
  std::optional<int> wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
  std::optional<int> exit_code_;
};

}  // namespace compactor::testing
