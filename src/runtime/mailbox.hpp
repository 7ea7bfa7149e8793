#pragma once
// A process's queue of events: many producers, one consumer at a time.

#include "runtime/event.hpp"
#include "runtime/spin_lock.hpp"

#include <cstddef>
#include <iterator>
#include <mutex>
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
  bool push(Event&& event) {
    const std::size_t bytes = size_of(event);
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    bytes_ += bytes;
    return over_mark();
  }

  // Moves every queued event into `batch`, which must be empty; keeps batch's old capacity.
  void take_all(std::vector<Event>& batch) {
    std::lock_guard lock(mutex_);
    batch.swap(events_);
    bytes_ = 0;
  }

  // Puts batch[from..] back in front of what was queued since, in order (a held process).
  void put_back(std::vector<Event>& batch, std::size_t from) {
    std::size_t bytes = 0;
    for (std::size_t i = from; i < batch.size(); ++i) bytes += size_of(batch[i]);
    std::lock_guard lock(mutex_);
    events_.insert(events_.begin(), std::make_move_iterator(batch.begin() + from),
                   std::make_move_iterator(batch.end()));
    bytes_ += bytes;
  }

  bool empty() const {
    std::lock_guard lock(mutex_);
    return events_.empty();
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return events_.size();
  }

  // True while the mailbox is over its high-water mark.
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
  static std::size_t size_of(const Event& event) {
    if (const auto* message = std::get_if<MessageEvent>(&event)) {
      return message->body.size() + message->name.size();
    }
    if (const auto* http = std::get_if<HttpEvent>(&event)) return http->request->body.size();
    return 0;
  }

  bool over_mark() const {
    return (mark_.messages != 0 && events_.size() > mark_.messages) ||
           (mark_.bytes != 0 && bytes_ > mark_.bytes);
  }

  const HighWaterMark mark_;
  const std::size_t limit_;
  mutable SpinLock mutex_;
  std::vector<Event> events_;
  std::size_t bytes_ = 0;
};

}  // namespace compactor::runtime
