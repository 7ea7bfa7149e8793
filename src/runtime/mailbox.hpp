// SPDX-License-Identifier: Apache-2.0
#pragma once
// A process's queue of events: many producers, one consumer at a time.

#include "core/spin_lock.hpp"
#include "runtime/event.hpp"

#include <cstddef>
#include <iterator>
#include <mutex>
#include <utility>
#include <vector>

namespace compactor::runtime {

// How much a mailbox may hold before remote senders are slowed down (flow control).
struct HighWaterMark {
  std::size_t messages = 0;  // 0: no mark
  std::size_t bytes = 0;     // 0: no mark
};

// push() may be called from any thread. take_all() and put_back() are called only by the worker
// running the process, which swaps the whole queue out so that producers and the consumer
// contend once per batch, not once per event.
class Mailbox {
 public:
  // `limit`: events a local sender may find queued and still add (0: no limit).
  explicit Mailbox(HighWaterMark mark = {}, std::size_t limit = 0) : mark_(mark), limit_(limit) {}

  // Queues `event`; true if the mailbox is now over its high-water mark.
  bool push(Event&& event) { return emplace(std::move(event)); }

  // Queues the event that `args` construct, built in place.
  template <class... Args>
  bool emplace(Args&&... args) {
    std::lock_guard lock(mutex_);
    bytes_ += size_of(events_.emplace_back(std::forward<Args>(args)...));
    return over_mark();
  }

  // A batch this large counts as in hand, towards the high-water mark, until the consumer says
  // how much of it is left (in_hand()); a smaller one is not worth the bookkeeping.
  static constexpr std::size_t kLargeBatch = 64;

  // Moves every queued event into `batch`, which must be empty; keeps batch's old capacity.
  // Returns the bytes taken.
  std::size_t take_all(std::vector<Event>& batch) {
    std::lock_guard lock(mutex_);
    batch.swap(events_);
    const std::size_t bytes = std::exchange(bytes_, 0);
    if (batch.size() >= kLargeBatch) in_hand_ = {batch.size(), bytes};
    return bytes;
  }

  // Of the large batch taken last, `count` events of `bytes` are still to be handled.
  void in_hand(std::size_t count, std::size_t bytes) {
    std::lock_guard lock(mutex_);
    in_hand_ = {count, bytes};
  }

  // Puts batch[from..] back in front of what was queued since, in order (a held process).
  void put_back(std::vector<Event>& batch, std::size_t from) {
    std::size_t bytes = 0;
    for (std::size_t i = from; i < batch.size(); ++i) bytes += size_of(batch[i]);
    std::lock_guard lock(mutex_);
    events_.insert(events_.begin(), std::make_move_iterator(batch.begin() + from),
                   std::make_move_iterator(batch.end()));
    bytes_ += bytes;
    in_hand_ = {};
  }

  bool empty() const {
    std::lock_guard lock(mutex_);
    return events_.empty();
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return events_.size();
  }

  std::size_t bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
  }
  // See ProcessRecord::inspect_queue.
  template <class Visit>
  std::size_t inspect(std::size_t limit, const Visit& visit) const {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < events_.size() && i < limit; ++i) visit(events_[i]);
    return events_.size();
  }
  // True while the mailbox, with the events in hand, is over its high-water mark.
  bool over_high_water() const {
    std::lock_guard lock(mutex_);
    return over_mark();
  }

  // True while it holds `limit` events or more.
  bool full() const {
    std::lock_guard lock(mutex_);
    return limit_ != 0 && events_.size() >= limit_;
  }

 private:
  // The bytes an event holds for its sender: message bodies and names, HTTP bodies.
 public:
  static std::size_t size_of(const Event& event) {
    if (const auto* message = std::get_if<MessageEvent>(&event)) {
      return message->body.size() + message->name.size();
    }
    if (const auto* http = std::get_if<HttpEvent>(&event)) return http->request->body.size();
    if (const auto* reply = std::get_if<ReplyEvent>(&event)) {
      return reply->reply.body.size() + reply->reply.name.size();
    }
    return 0;
  }

 private:
  // Queued and in hand: a consumer slow through a large batch keeps its remote senders slowed
  // down, and lets them on, a read at a time, as it gets through it (rather than all at once
  // when it takes the next batch, which could leave a sender without progress for longer than
  // its write_timeout).
  bool over_mark() const {
    return (mark_.messages != 0 && events_.size() + in_hand_.count > mark_.messages) ||
           (mark_.bytes != 0 && bytes_ + in_hand_.bytes > mark_.bytes);
  }

  const HighWaterMark mark_;
  const std::size_t limit_;
  mutable core::SpinLock mutex_;
  std::vector<Event> events_;
  std::size_t bytes_ = 0;
  struct InHand {
    std::size_t count = 0;
    std::size_t bytes = 0;
  } in_hand_;
};

}  // namespace compactor::runtime
