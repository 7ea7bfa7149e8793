// SPDX-License-Identifier: Apache-2.0
#include "runtime/scheduler.hpp"

#include "core/spin_lock.hpp"
#include "runtime/deferred_flush.hpp"
#include "runtime/process_record.hpp"

#include <compactor/future.hpp>

namespace compactor::runtime {
namespace {

// The worker state of the current thread.
struct WorkerSlot {
  const Scheduler* owner = nullptr;
  Scheduler::Task next;
  unsigned next_streak = 0;  // tasks run in a row from `next`, to bound starvation of the queue
};
thread_local WorkerSlot tls_worker;

// An I/O thread's KeepLast: its scheduler, and the process kept.
struct KeptSlot {
  const Scheduler* keeping = nullptr;
  Scheduler::Task kept;
};
thread_local KeptSlot tls_kept;

// After this many tasks taken from the run-next slot, a worker takes one from the shared queue.
constexpr unsigned kMaxNextStreak = 64;

// About 10-20 us of pause instructions.
constexpr int kSpinsBeforeSleep = 400;

}  // namespace

Scheduler::Scheduler(unsigned workers, bool stepped) : stepped_(stepped) {
  if (stepped) return;
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(workers);
  for (unsigned i = 0; i < workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

Scheduler::~Scheduler() { stop(); }

bool Scheduler::on_worker_thread() const { return tls_worker.owner == this; }

void Scheduler::schedule(Task task) {
  if (tls_worker.owner == this) {
    // The newest runnable process runs next on this warm thread; an older one goes to the queue.
    std::swap(task, tls_worker.next);
    if (!task) return;
  } else if (tls_kept.keeping == this) {
    std::swap(task, tls_kept.kept);  // the same, on an I/O thread (KeepLast)
    if (!task) return;
  }
  push_shared(std::move(task));
}

Scheduler::KeepLast::KeepLast(Scheduler& scheduler, bool keep) : scheduler_(scheduler) {
  if (keep && !scheduler.stepped_) tls_kept.keeping = &scheduler;
}

Scheduler::KeepLast::~KeepLast() { hand_over(); }

void Scheduler::KeepLast::hand_over() {
  tls_kept.keeping = nullptr;
  if (tls_kept.kept) scheduler_.push_shared(std::exchange(tls_kept.kept, nullptr));
}

void Scheduler::KeepLast::run_kept() {
  tls_kept.keeping = nullptr;
  Task task = std::exchange(tls_kept.kept, nullptr);
  if (!task) return;
  // More than the one message (100 in flight): measured, running up to four here cost a quarter
  // of the throughput, the I/O thread doing the handlers' work while the workers slept.
  if (task->queued_events() > 1) {
    scheduler_.push_shared(std::move(task));
    return;
  }
  struct OnIoThread {  // Future::get() throws meanwhile
    bool outer = std::exchange(detail::running_on_io_thread(), true);
    ~OnIoThread() { detail::running_on_io_thread() = outer; }
  } on_io_thread;
  const auto started = std::chrono::steady_clock::now();
  scheduler_.run_here(task);
  task->ran_on_io_thread(std::chrono::steady_clock::now() - started);
}

void Scheduler::push_shared(Task task) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
    queued_.fetch_add(1, std::memory_order_relaxed);
    wake = sleeping_ > 0;
  }
  if (wake) wake_.notify_one();
}

Scheduler::Task Scheduler::pop_shared() {
  std::unique_lock lock(mutex_);
  if (queue_.empty() && !stopping_) {
    // Work often arrives within microseconds (the answer to what was just sent): spin a little
    // before paying for a futex sleep and wake-up.
    lock.unlock();
    for (int i = 0; i < kSpinsBeforeSleep && queued_.load(std::memory_order_relaxed) == 0; ++i) {
      core::cpu_relax();
    }
    lock.lock();
  }
  while (queue_.empty()) {
    if (stopping_) return nullptr;
    ++sleeping_;
    wake_.wait(lock);
    --sleeping_;
  }
  queued_.fetch_sub(1, std::memory_order_relaxed);
  Task task = std::move(queue_.front());
  queue_.pop_front();
  return task;
}

void Scheduler::worker_loop() {
  tls_worker.owner = this;
  for (;;) {
    Task task;
    if (tls_worker.next && tls_worker.next_streak < kMaxNextStreak) {
      task = std::move(tls_worker.next);
      tls_worker.next = nullptr;
      ++tls_worker.next_streak;
    } else {
      if (tls_worker.next) {  // let the queue have a turn; the slot's task waits behind it
        push_shared(std::move(tls_worker.next));
        tls_worker.next = nullptr;
      }
      tls_worker.next_streak = 0;
      task = pop_shared();
      if (!task) break;
    }
    begin_batch();
    task->run();
    end_batch();
  }
  tls_worker.owner = nullptr;
}

bool Scheduler::run_one() {
  Task task;
  if (tls_worker.owner == this && tls_worker.next) {
    // Called from a batch on this thread: what that batch made runnable waits in its slot.
    task = std::exchange(tls_worker.next, nullptr);
  } else {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return false;
    queued_.fetch_sub(1, std::memory_order_relaxed);
    task = std::move(queue_.front());
    queue_.pop_front();
  }
  run_here(task);
  return true;
}

void Scheduler::run_here(const Task& task) {
  // For its batch this thread is the scheduler's worker (a deferred flush, a held sender).
  const Scheduler* caller = std::exchange(tls_worker.owner, this);
  Task caller_next = std::exchange(tls_worker.next, nullptr);
  begin_batch();
  task->run();
  end_batch();
  // What the batch made runnable last waits in the run-next slot: it goes behind the others.
  if (tls_worker.next) push_shared(std::exchange(tls_worker.next, nullptr));
  tls_worker.owner = caller;
  tls_worker.next = std::move(caller_next);
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
}

}  // namespace compactor::runtime
