// SPDX-License-Identifier: Apache-2.0
#include "runtime/replies.hpp"

#include "core/logging.hpp"
#include "runtime/process_record.hpp"

#include <fmt/format.h>

#include <charconv>
#include <chrono>

namespace compactor::runtime {
namespace {

constexpr std::string_view kPrefix = detail::ask_id_prefix;

// The N of "__req_res__(N)", or 0 if `id` is not such an id.
std::uint64_t number_of(std::string_view id) {
  if (!id.starts_with(kPrefix) || !id.ends_with(')')) return 0;
  const auto digits = id.substr(kPrefix.size(), id.size() - kPrefix.size() - 1);
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  return error == std::errc() && end == digits.data() + digits.size() ? number : 0;
}

}  // namespace

void ReplyEvent::complete_unhandled() noexcept {
  try {
    complete();
  } catch (...) {
    core::log().error("a callback of an ask's future threw as its reply was dropped: {}",
                      describe(std::current_exception()));
  }
}

std::optional<Replies::Opened> Replies::open(const PID& target, Clock::duration timeout,
                                             std::weak_ptr<ProcessRecord> home) {
  Pending pending{Promise<Message>(), std::move(home), target, timeout, clock_.now() + timeout};
  auto reply = pending.promise.future();
  const auto deadline = pending.deadline;
  std::uint64_t number;
  std::optional<Clock::time_point> arm;
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() >= limit_) return std::nullopt;
    number = next_++;
    if (spare_.empty()) {
      pending_.emplace(number, std::move(pending));
    } else {
      auto node = std::move(spare_.back());
      spare_.pop_back();
      node.key() = number;
      node.mapped() = std::move(pending);
      pending_.insert(std::move(node));
    }
    deadlines_.push({deadline, number});
    if (!armed_for_ || deadline < *armed_for_) arm = armed_for_ = deadline;
  }
  if (arm) schedule(*arm);
  return Opened{number, std::move(reply)};
}

std::optional<Promise<Message>> Replies::take_locked(std::uint64_t number,
                                                     std::weak_ptr<ProcessRecord>* home) {
  const auto found = pending_.find(number);
  if (found == pending_.end()) return std::nullopt;
  auto node = pending_.extract(found);
  std::optional<Promise<Message>> taken(std::move(node.mapped().promise));
  if (home != nullptr) *home = std::move(node.mapped().home);
  if (spare_.size() < kSpareNodes) spare_.push_back(std::move(node));
  // Mostly answered asks' leftovers: keep them at most about as many as the asks in flight.
  if (deadlines_.size() > 64 && deadlines_.size() > 2 * pending_.size()) {
    std::vector<Deadline> live;
    live.reserve(pending_.size());
    for (const auto& [n, ask] : pending_) live.push_back({ask.deadline, n});
    deadlines_ = decltype(deadlines_)(std::greater<>(), std::move(live));
  }
  return taken;
}

void Replies::schedule(Clock::time_point when) {
  clock_.schedule(when, [weak = weak_from_this()] {
    if (const auto alive = weak.lock()) alive->expire();
  });
}

void Replies::expire() {
  struct Expired {
    Promise<Message> promise;
    PID target;
    Clock::duration timeout;
  };
  std::vector<Expired> expired;
  std::optional<Clock::time_point> arm;
  {
    std::lock_guard lock(mutex_);
    const auto now = clock_.now();
    if (armed_for_ && *armed_for_ <= now) armed_for_.reset();  // that timer is this one
    while (!deadlines_.empty() && deadlines_.top().when <= now) {
      const auto number = deadlines_.top().number;
      deadlines_.pop();
      const auto found = pending_.find(number);
      if (found == pending_.end()) continue;          // answered
      auto target = std::move(found->second.target);  // formatted below, not under the lock
      const auto timeout = found->second.timeout;
      expired.push_back({std::move(*take_locked(number)), std::move(target), timeout});
    }
    // Answered asks' deadlines before the next live one need no timer.
    while (!deadlines_.empty() && !pending_.contains(deadlines_.top().number)) deadlines_.pop();
    if (!deadlines_.empty() && (!armed_for_ || deadlines_.top().when < *armed_for_)) {
      arm = armed_for_ = deadlines_.top().when;
    }
  }
  if (arm) schedule(*arm);
  for (auto& ask : expired) {
    ask.promise.fail(AskTimeout(
        fmt::format("ask: no reply from {} in {} ms", ask.target.to_string(),
                    std::chrono::duration_cast<std::chrono::milliseconds>(ask.timeout).count())));
  }
}

void Replies::fail_where(const std::function<bool(const PID&)>& gone, std::string_view why) {
  std::vector<std::pair<Promise<Message>, PID>> ended;
  {
    std::lock_guard lock(mutex_);
    std::vector<std::uint64_t> numbers;
    for (const auto& [number, ask] : pending_) {
      if (gone(ask.target)) numbers.push_back(number);
    }
    for (const auto number : numbers) {
      auto target = pending_.at(number).target;
      ended.emplace_back(std::move(*take_locked(number)), std::move(target));
    }
  }
  for (auto& [promise, target] : ended) {
    promise.fail(PeerExited(fmt::format("ask: {} exited: {}", target.to_string(), why)));
  }
}

void Replies::peer_exited(const PID& target, std::string_view why) {
  fail_where([&](const PID& asked) { return asked == target; }, why);
}

void Replies::peer_exited(const Address& address, std::string_view why) {
  fail_where([&](const PID& asked) { return asked.address == address; }, why);
}

Replies::Answer Replies::answer(std::string_view receiver, MessageEvent& message) {
  const std::uint64_t number = number_of(receiver);
  if (number == 0) return Answer::unknown;
  std::optional<Promise<Message>> ask;
  std::weak_ptr<ProcessRecord> home;
  {
    std::lock_guard lock(mutex_);
    ask = take_locked(number, &home);
    if (!ask) return number < next_ ? Answer::late : Answer::unknown;
  }
  // Completed at home, or here if home terminated (the event completes it as it is dropped).
  if (const auto record = home.lock()) {
    record->enqueue_in_place<ReplyEvent>(nullptr, std::move(*ask), std::move(message));
  } else {
    ReplyEvent(std::move(*ask), std::move(message)).complete();
  }
  return Answer::answered;
}

}  // namespace compactor::runtime
