// SPDX-License-Identifier: Apache-2.0
#pragma once
// A process that starts children and restarts them when they fail, as Erlang/OTP's supervisors.

#include <compactor/clock.hpp>
#include <compactor/export.hpp>
#include <compactor/process.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace compactor {

/// When a supervisor restarts a child that ended.
enum class Restart {
  permanent,  ///< always
  transient,  ///< when it ended abnormally (ExitReason::abnormal): failed, or lost
  temporary,  ///< never
};

/// One child of a Supervisor: how to make it, and when to restart it.
struct ChildSpec {
  /// Makes a new instance (its process id names the child: the same one on every start).
  std::function<std::unique_ptr<Process>()> start;
  Restart restart = Restart::transient;  ///< see Restart
  /// How long an ordered shutdown waits for the child to terminate before it goes on.
  std::chrono::milliseconds shutdown_timeout{5000};
};

/// Which children a supervisor restarts when one of them ends and is to be restarted.
enum class RestartStrategy {
  one_for_one,   ///< that one only
  one_for_all,   ///< all of them: the others are terminated first (last started first)
  rest_for_one,  ///< that one and those started after it, terminated first (last started first)
};

/// How a Supervisor restarts its children, and when it gives up.
struct SupervisorOptions {
  RestartStrategy strategy = RestartStrategy::one_for_one;  ///< see RestartStrategy
  /// The restart intensity: more than `max_restarts` restarts within `within` and the supervisor
  /// gives up: it terminates its children and itself, failed, so that its own supervisor (a
  /// linker) decides.
  ///@{
  std::size_t max_restarts = 3;
  Clock::duration within = std::chrono::seconds(5);
  ///@}
  /// The wait before a restart: `backoff` for the first in the intensity window, doubled for
  /// each further one, at most `max_backoff`. Zero restarts at once.
  ///@{
  Clock::duration backoff = std::chrono::milliseconds(100);
  Clock::duration max_backoff = std::chrono::seconds(5);
  ///@}
};

/// A process that spawns its children, in order, when it starts, and restarts them after they
/// end as their ChildSpec and the RestartStrategy say. Children run on the supervisor's context,
/// with OnException::terminate unless they chose otherwise, so that an exception escaping a
/// child is a failure its supervisor sees. When the supervisor terminates, it terminates its
/// children last started first, each within its shutdown_timeout. A Supervisor is a child like
/// any other, so supervisors nest.
///
/// @note The ordered shutdown waits for each child on the supervisor's worker thread: give the
/// context at least two workers, or a child's wait runs out its shutdown_timeout. A
/// deterministic context runs the children itself.
class COMPACTOR_API Supervisor : public Process {
 public:
  /// `children` are started in this order.
  Supervisor(std::string id, SupervisorOptions options, std::vector<ChildSpec> children);

  /// The PID each child runs as now, in start order; empty for one that is not running
  /// (waiting for its restart, or a temporary child that ended). On the supervisor's thread.
  std::vector<PID> children() const;

  /// Restarts so far, for tests and metrics.
  std::size_t restarts() const { return restarts_; }

 protected:
  void initialize() override;
  void finalize() override;
  void exited(const PID& pid) override;

 private:
  struct Child {
    ChildSpec spec;
    PID pid;                  ///< empty when not running
    std::size_t stopped = 0;  ///< exits of instances stopped on purpose, still to come
    bool done = false;        ///< ended for good (its Restart says so): no sibling restarts it
  };

  // Spawns `child` and links to it; false if it cannot be spawned (its id is still taken).
  bool start(Child& child);
  // Terminates the running children in [first, last) last first, each within its timeout.
  void stop(std::size_t first, std::size_t last);
  // Restarts the children from `first` (and the others the strategy names) after the back-off,
  // or gives up when the intensity is exceeded.
  void restart_from(std::size_t failed);
  // Gives up: `why` becomes the supervisor's own failure, seen by its linkers.
  void give_up(const std::string& why);

  SupervisorOptions options_;
  std::vector<Child> children_;
  std::deque<Clock::time_point> recent_restarts_;  // within options_.within
  std::size_t restarts_ = 0;
};

}  // namespace compactor
