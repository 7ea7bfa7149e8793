#include <compactor/process.hpp>

#include "runtime/context_core.hpp"
#include "runtime/logging.hpp"

#include <exception>
#include <stdexcept>

namespace compactor {
namespace {

void check_id(const std::string& id) {
  if (id.empty()) throw std::invalid_argument("a process id must not be empty");
  for (const char c : id) {
    if (c == '@' || c == '/' || static_cast<unsigned char>(c) <= 0x20) {
      throw std::invalid_argument("process id '" + id +
                                  "' must not contain '@', '/', spaces or control characters");
    }
  }
}

runtime::ContextCore& spawned_context(runtime::ContextCore* context, const std::string& id) {
  if (context == nullptr) throw std::logic_error("process '" + id + "' is not spawned");
  return *context;
}

}  // namespace

Process::Process(std::string id) : id_(std::move(id)) { check_id(id_); }

Process::~Process() {
  if (running_.load(std::memory_order_acquire)) {
    runtime::log().critical("process {} destroyed while running: terminate it and wait first",
                            self_.to_string());
    std::terminate();
  }
}

void Process::send(const PID& to, std::string_view name, std::string_view body) const {
  spawned_context(context_, id_).send(self_, to, name, body);
}

void Process::link(const PID& pid) { spawned_context(context_, id_).link(self_, pid); }

void Process::terminate() { spawned_context(context_, id_).terminate(self_); }

void Process::exited(const PID& pid) {
  runtime::log().debug("process {}: linked process {} exited", self_.to_string(), pid.to_string());
}

void Process::unhandled(const PID& from, std::string_view name, std::string_view) {
  if (reported_unhandled_.emplace(std::string(name), true).second) {
    runtime::log().warn("process {}: no handler for message '{}' (first from {}); dropping it",
                        self_.to_string(), name, from.to_string());
  }
}

void Process::install(std::string name, Handler handler) {
  handlers_.insert_or_assign(std::move(name), std::move(handler));
}

void Process::dispatch(const PID& from, std::string_view name, std::string_view body) {
  if (last_handler_ == nullptr || last_handler_->first != name) {
    const auto it = handlers_.find(name);
    if (it == handlers_.end()) {
      unhandled(from, name, body);
      return;
    }
    last_handler_ = &*it;
  }
  last_handler_->second(from, body);
}

}  // namespace compactor
