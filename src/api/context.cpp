// SPDX-License-Identifier: Apache-2.0
#include <compactor/context.hpp>

#include "metrics/registry.hpp"
#include "net/network.hpp"
#include "ops/endpoints.hpp"
#include "ops/runtime_readings.hpp"
#include "runtime/context_core.hpp"
#include "runtime/event.hpp"
#include "runtime/process_record.hpp"

#include <stdexcept>
#include <thread>

namespace compactor {

Context::Context(ContextOptions options)
    : core_(std::make_unique<runtime::ContextCore>(std::move(options))) {
  core_->set_builtin_endpoints(&ops::find_builtin_endpoint);
  auto network = std::make_unique<net::Network>(*core_);
  auto* started = network.get();
  const Address bound = network->bound_address();
  core_->start(bound, std::move(network));
  metrics::impl_of(core_->metrics()).set_source([core = core_.get()](metrics::Readings& out) {
    ops::read_runtime(*core, out);
  });
  started->start();
}

Context::~Context() { shutdown(); }

Context& Context::global() {
  static Context context(ContextOptions::from_environment());
  return context;
}

const Address& Context::address() const { return core_->address(); }

const ContextOptions& Context::options() const { return core_->options(); }

PID Context::spawn(Process& process) { return core_->spawn(process, nullptr); }

PID Context::spawn(std::unique_ptr<Process> process) {
  if (!process) throw std::invalid_argument("cannot spawn a null process");
  auto& borrowed = *process;
  return core_->spawn(borrowed, std::move(process));
}

void Context::terminate(const PID& pid) { core_->terminate(pid); }

bool Context::wait(const PID& pid, std::optional<std::chrono::milliseconds> timeout) {
  return core_->wait(pid, timeout);
}

void Context::send(const PID& from, const PID& to, std::string_view name, std::string_view body) {
  core_->send(from, to, name, body);
}

ContextStats Context::stats() const { return core_->counters().snapshot(); }

metrics::Registry& Context::metrics() { return core_->metrics(); }

std::optional<std::string> Context::connection_security(const Address& peer) const {
  return core_->connection_security(peer);
}

bool Context::settle(std::chrono::milliseconds timeout) {
  auto* manual = dynamic_cast<ManualClock*>(&core_->clock());
  auto all_idle = [&] {
    for (const auto& record : core_->processes()) {
      if (!record->idle()) return false;
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Idle twice in a row, with nothing due between: a process that was just woken is seen busy.
  int quiet = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const bool ran_timers = manual != nullptr && manual->settle() > 0;
    // Stepped, in slices: processes that keep each other busy must not outlast the timeout.
    const bool ran_processes = core_->scheduler().stepped() && run(1000) > 0;
    if (!ran_timers && !ran_processes && all_idle()) {
      if (++quiet == 2) return true;
    } else {
      quiet = 0;
    }
    std::this_thread::yield();
  }
  return false;
}

bool Context::run_once() {
  if (!core_->scheduler().stepped()) {
    throw std::logic_error("Context::run_once() needs ContextOptions::deterministic");
  }
  return core_->scheduler().run_one();
}

std::size_t Context::run(std::size_t max_steps) {
  std::size_t steps = 0;
  while (steps < max_steps && run_once()) ++steps;
  return steps;
}

void Context::shutdown() { core_->shutdown(); }

void Context::inspect_mailboxes(std::function<bool(const MailboxEntry&)> inspector) {
  if (!inspector) {
    core_->set_inspector(nullptr);
    return;
  }
  core_->set_inspector(
      [inspector = std::move(inspector)](const PID& to, const runtime::Event& event) {
        if (const auto* message = std::get_if<runtime::MessageEvent>(&event)) {
          return inspector(
              {.to = to, .from = &message->from, .name = message->name, .body = message->body});
        }
        if (const auto* exited = std::get_if<runtime::ExitedEvent>(&event)) {
          return inspector({.to = to, .exited = &exited->pid});
        }
        return true;
      });
}

PID spawn(std::unique_ptr<Process> process) { return Context::global().spawn(std::move(process)); }
PID spawn(Process& process) { return Context::global().spawn(process); }
void terminate(const PID& pid) { Context::global().terminate(pid); }
bool wait(const PID& pid, std::optional<std::chrono::milliseconds> timeout) {
  return Context::global().wait(pid, timeout);
}

}  // namespace compactor
