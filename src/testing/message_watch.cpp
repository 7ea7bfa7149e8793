// SPDX-License-Identifier: Apache-2.0
#include <compactor/testing.hpp>

#include <mutex>
#include <set>
#include <vector>

namespace compactor::testing {

class MessageWatch::State {
 public:
  struct Expectation {
    std::string name;  // empty for an exited expectation
    std::optional<PID> to;
    bool drop = false;
    Promise<Message> message;
    PID exited_pid;
    Promise<Nothing> exited;
  };

  // The inspector: false to drop.
  bool inspect(const Context::MailboxEntry& entry) {
    const PID& to = entry.to;
    std::vector<std::function<void()>> completions;  // run outside the lock
    bool keep = true;
    {
      std::lock_guard lock(mutex_);
      if (entry.exited == nullptr) {
        if (drop_all_.count(entry.name) != 0) {
          ++dropped_;
          return false;
        }
        for (auto it = expectations_.begin(); it != expectations_.end(); ++it) {
          if (it->name != entry.name || (it->to && *it->to != to)) continue;
          keep = !it->drop;
          dropped_ += it->drop;
          completions.push_back([promise = it->message,
                                 m = Message{*entry.from, to, std::string(entry.name),
                                             std::string(entry.body)}] { promise.set_value(m); });
          expectations_.erase(it);
          break;
        }
      } else {
        for (auto it = expectations_.begin(); it != expectations_.end(); ++it) {
          if (!it->name.empty() || *it->to != to || it->exited_pid != *entry.exited) continue;
          completions.push_back([promise = it->exited] { promise.set_value(Nothing{}); });
          expectations_.erase(it);
          break;
        }
      }
    }
    for (auto& complete : completions) complete();
    return keep;
  }

  void add(Expectation expectation) {
    std::lock_guard lock(mutex_);
    expectations_.push_back(std::move(expectation));
  }
  void drop_all(std::string name) {
    std::lock_guard lock(mutex_);
    drop_all_.insert(std::move(name));
  }
  std::size_t dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
  }
  // What is still expected fails: the watch ends.
  void fail_pending() {
    std::vector<Expectation> left;
    {
      std::lock_guard lock(mutex_);
      left.swap(expectations_);
    }
    for (auto& e : left) {
      e.message.fail("the watch ended first");
      e.exited.fail("the watch ended first");
    }
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Expectation> expectations_;
  std::set<std::string, std::less<>> drop_all_;
  std::size_t dropped_ = 0;
};

MessageWatch::MessageWatch(Context& context)
    : context_(context), state_(std::make_shared<State>()) {
  context_.inspect_mailboxes(
      [state = state_](const Context::MailboxEntry& entry) { return state->inspect(entry); });
}

MessageWatch::~MessageWatch() {
  context_.inspect_mailboxes(nullptr);
  state_->fail_pending();
}

Future<Message> MessageWatch::expect(std::string name, std::optional<PID> to) {
  State::Expectation e;
  e.name = std::move(name);
  e.to = std::move(to);
  auto future = e.message.future();
  state_->add(std::move(e));
  return future;
}

Future<Message> MessageWatch::drop(std::string name, std::optional<PID> to) {
  State::Expectation e;
  e.name = std::move(name);
  e.to = std::move(to);
  e.drop = true;
  auto future = e.message.future();
  state_->add(std::move(e));
  return future;
}

void MessageWatch::drop_all(std::string name) { state_->drop_all(std::move(name)); }

std::size_t MessageWatch::dropped() const { return state_->dropped(); }

Future<Nothing> MessageWatch::expect_exited(const PID& linker, const PID& pid) {
  State::Expectation e;
  e.to = linker;
  e.exited_pid = pid;
  auto future = e.exited.future();
  state_->add(std::move(e));
  return future;
}

}  // namespace compactor::testing
