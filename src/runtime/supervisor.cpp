// SPDX-License-Identifier: Apache-2.0
#include <compactor/supervisor.hpp>

#include "core/logging.hpp"
#include "runtime/context_core.hpp"

#include <algorithm>
#include <stdexcept>

namespace compactor {

Supervisor::Supervisor(std::string id, SupervisorOptions options, std::vector<ChildSpec> children)
    : Process(std::move(id)), options_(options) {
  children_.reserve(children.size());
  for (auto& spec : children) {
    if (!spec.start) {
      throw std::invalid_argument("supervisor " + this->id() + ": a child has no start");
    }
    children_.push_back({std::move(spec), PID(), 0, false});
  }
  // Giving up is a failure its own supervisor sees (give_up throws).
  on_exception(OnException::terminate);
}

std::vector<PID> Supervisor::children() const {
  std::vector<PID> pids;
  pids.reserve(children_.size());
  for (const auto& child : children_) pids.push_back(child.pid);
  return pids;
}

void Supervisor::initialize() {
  for (auto& child : children_) {
    if (!start(child)) give_up("cannot start its children");
  }
}

void Supervisor::finalize() { stop(0, children_.size()); }

bool Supervisor::start(Child& child) {
  if (!child.pid.id.empty() || child.done) return true;  // running, or not to run again
  auto process = child.spec.start();
  if (!process) return false;
  if (!process->on_exception_) process->on_exception(OnException::terminate);
  auto& process_ref = *process;
  try {
    child.pid = context_->spawn(process_ref, std::move(process));
  } catch (const std::invalid_argument& error) {
    core::log().error("supervisor {}: cannot start a child: {}", self().to_string(), error.what());
    return false;
  }
  link(child.pid);
  return true;
}

void Supervisor::stop(std::size_t first, std::size_t last) {
  for (std::size_t i = last; i-- > first;) {
    auto& child = children_[i];
    if (child.pid.id.empty()) continue;
    ++child.stopped;  // its exited() is still to come: not a failure
    context_->terminate(child.pid);
    if (!context_->wait(child.pid, child.spec.shutdown_timeout)) {
      core::log().warn("supervisor {}: child {} did not terminate within {} ms", self().to_string(),
                       child.pid.to_string(), child.spec.shutdown_timeout.count());
    }
    child.pid = PID();
  }
}

void Supervisor::exited(const PID& pid) {
  const auto found = std::find_if(children_.begin(), children_.end(),
                                  [&](const Child& child) { return child.pid == pid; });
  if (found == children_.end()) return;
  if (found->stopped > 0) {  // the end of an instance stopped on purpose, same PID
    --found->stopped;
    return;
  }
  found->pid = PID();
  const auto& reason = exit_reason();
  const bool again = found->spec.restart == Restart::permanent ||
                     (found->spec.restart == Restart::transient && reason.abnormal());
  core::log().info("supervisor {}: child {} ended ({}){}", self().to_string(), pid.to_string(),
                   reason.what.empty() ? (reason.abnormal() ? "lost" : "terminated") : reason.what,
                   again ? ", restarting" : "");
  if (again) {
    restart_from(static_cast<std::size_t>(found - children_.begin()));
  } else {
    found->done = true;
  }
}

void Supervisor::restart_from(std::size_t failed) {
  const auto now = context_->clock().now();
  while (!recent_restarts_.empty() && now - recent_restarts_.front() > options_.within) {
    recent_restarts_.pop_front();
  }
  if (recent_restarts_.size() >= options_.max_restarts) {
    give_up("more than " + std::to_string(options_.max_restarts) + " restarts within " +
            std::to_string(
                std::chrono::duration_cast<std::chrono::milliseconds>(options_.within).count()) +
            " ms");
  }
  // Doubled for each restart still in the window.
  auto wait = options_.backoff;
  for (std::size_t i = 0; i < recent_restarts_.size() && wait < options_.max_backoff; ++i) {
    wait *= 2;
  }
  wait = std::min(wait, options_.max_backoff);
  recent_restarts_.push_back(now);
  ++restarts_;

  std::size_t first = failed;
  std::size_t last = failed + 1;
  if (options_.strategy != RestartStrategy::one_for_one) {
    if (options_.strategy == RestartStrategy::one_for_all) first = 0;
    last = children_.size();
    stop(first, last);
  }
  auto start_range = [this, first, last] {
    for (std::size_t i = first; i < last; ++i) {
      if (!start(children_[i])) give_up("cannot restart its children");
    }
  };
  if (wait <= Clock::duration::zero()) {
    start_range();
  } else {
    delay(wait, start_range);
  }
}

void Supervisor::give_up(const std::string& why) {
  // Escapes the handler: under OnException::terminate the supervisor terminates, failed, and
  // its finalize() stops the children.
  throw std::runtime_error("supervisor " + self().to_string() + " gives up: " + why);
}

}  // namespace compactor
