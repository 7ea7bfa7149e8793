// SPDX-License-Identifier: Apache-2.0
#include "runtime/replies.hpp"

#include <fmt/format.h>

#include <charconv>
#include <vector>

namespace compactor::runtime {
namespace {

constexpr std::string_view kPrefix = "__req_res__(";

// The N of "__req_res__(N)", or 0 if `id` is not such an id.
std::uint64_t number_of(std::string_view id) {
  if (!id.starts_with(kPrefix) || !id.ends_with(')')) return 0;
  const auto digits = id.substr(kPrefix.size(), id.size() - kPrefix.size() - 1);
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  return error == std::errc() && end == digits.data() + digits.size() ? number : 0;
}

}  // namespace

Replies::Opened Replies::open(const PID& target) {
  Pending pending;
  pending.target = target;
  auto reply = pending.promise.future();
  std::lock_guard lock(mutex_);
  std::string id = std::string(kPrefix) + std::to_string(next_++) + ")";
  pending_.emplace(id, std::move(pending));
  return {std::move(id), std::move(reply)};
}

void Replies::set_timer(std::string_view id, Clock& clock, Clock::TimerId timer) {
  {
    std::lock_guard lock(mutex_);
    const auto found = pending_.find(id);
    if (found != pending_.end()) {
      found->second.clock = &clock;
      found->second.timer = timer;
      return;
    }
  }
  clock.cancel(timer);  // answered before its timer was set
}

std::optional<Replies::Pending> Replies::take(std::string_view id) {
  std::optional<Pending> taken;
  {
    std::lock_guard lock(mutex_);
    const auto found = pending_.find(id);
    if (found == pending_.end()) return std::nullopt;
    taken.emplace(std::move(found->second));
    pending_.erase(found);
  }
  if (taken->clock != nullptr) taken->clock->cancel(taken->timer);
  return taken;
}

template <class Gone>
void Replies::fail_where(Gone gone, std::string_view why) {
  std::vector<std::string> ended;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, pending] : pending_) {
      if (gone(pending.target)) ended.push_back(id);
    }
  }
  // One by one, outside the lock: a failed ask's awaiter may ask again at once.
  for (const auto& id : ended) {
    if (auto pending = take(id)) {
      pending->promise.fail(
          PeerExited(fmt::format("ask: {} exited: {}", pending->target.to_string(), why)));
    }
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
  if (auto pending = take(receiver)) {
    pending->promise.set_value(
        {std::move(message.from), std::move(message.name), std::move(message.body)});
    return Answer::answered;
  }
  std::lock_guard lock(mutex_);
  return number < next_ ? Answer::late : Answer::unknown;
}

}  // namespace compactor::runtime
