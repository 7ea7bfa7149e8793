// SPDX-License-Identifier: Apache-2.0
#pragma once
// Worker threads that run runnable processes, one process on one thread at a time.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace compactor::runtime {

class ProcessRecord;

// A shared run queue plus, per worker, a "run next" slot: a process made runnable by the process
// a worker is running goes into that worker's slot and runs right after, on the same thread, with
// no lock and no wake-up. That keeps a ping-pong between two processes on one warm core; a
// process displaced from the slot goes to the shared queue, where idle workers pick it up.
// Idle workers sleep on a condition variable: an idle context uses no CPU.
//
// While an I/O thread holds a KeepLast, the process it makes runnable last is kept on that thread
// instead of waking a worker; an earlier one goes to the workers at once. Once the read is parsed
// the kept one is handed over with all that the read brought it (one wake-up for the batch), or,
// with ContextOptions::run_on_io_thread, runs there if one message is all it has to handle (a
// busier one goes to the workers, which handle a burst while the I/O thread reads on): a round
// trip at one in flight then skips the hand-over to a worker (a parked vCPU's wake-up) on each
// side.
//
// Stepped (ContextOptions::deterministic), it has no workers: the test's thread runs one
// runnable process at a time with run_one(), in the order they became runnable.
//
// @note schedule() is thread-safe. A process is scheduled only by whoever flips its
// `scheduled` flag (ProcessRecord), so it is never queued twice.
class Scheduler {
 public:
  using Task = std::shared_ptr<ProcessRecord>;

  // `workers` threads (0: one per core), or none when `stepped`.
  Scheduler(unsigned workers, bool stepped);
  ~Scheduler();

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Makes `task` runnable. From a worker, it runs next on that worker, once its current task
  // is done.
  void schedule(Task task);
  // Makes `task` runnable by any worker, without waiting for the current one: for a task woken
  // by another's progress (a held sender relieved), which must not wait behind the waker's
  // batch, or for ever if the waker's handler blocks.
  void schedule_anywhere(Task task) { push_shared(std::move(task)); }

  // See the class comment; keeps nothing unless `keep`. One at a time per thread; not on a worker.
  class KeepLast {
   public:
    KeepLast(Scheduler& scheduler, bool keep);
    ~KeepLast();  // what is still kept goes to the workers
    KeepLast(const KeepLast&) = delete;
    KeepLast& operator=(const KeepLast&) = delete;
    // Runs the kept process's batch here if one event is all it has; else the workers do.
    void run_kept();
    // Gives the kept process to the workers now, and keeps nothing more.
    void hand_over();

   private:
    Scheduler& scheduler_;
  };

  // Runs the next runnable process's batch on this thread; false if none is runnable. Stepped,
  // how processes run at all; on a worker, how a process waiting for another helps it along.
  bool run_one();
  bool stepped() const { return stepped_; }

  // Runs what is queued, then joins the workers. Idempotent.
  void stop();

  // True when called from one of this scheduler's workers.
  bool on_worker_thread() const;

 private:
  void worker_loop();
  // Runs `task`'s batch on this thread as if it were a worker's.
  void run_here(const Task& task);
  void push_shared(Task task);
  Task pop_shared();  // blocks; returns null once stopping and empty

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  std::atomic<std::size_t> queued_{0};  // queue_.size(), readable without the lock
  unsigned sleeping_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  const bool stepped_;
};

}  // namespace compactor::runtime
