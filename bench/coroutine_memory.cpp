// SPDX-License-Identifier: Apache-2.0
// The memory of suspended coroutines: one process gets N messages (empty bodies), each handled
// by a coroutine that waits on one shared future; the heap bytes in use (glibc mallinfo2) before
// and after, per coroutine. Then the future is set and every coroutine must finish.
//
// Usage: coroutine_memory [N, default 100000]

#include <compactor/compactor.hpp>

#include <fmt/core.h>
#include <malloc.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace {

using namespace compactor;

std::size_t heap_in_use() {
  malloc_trim(0);
  return mallinfo2().uordblks;
}

class Waiter : public Process {
 public:
  Waiter() : Process("waiter") {
    install("wait", [this](const PID&, std::string_view) -> Task<> {
      ++waiting;
      co_await gate.future();
      --waiting;
      ++finished;
    });
  }
  Promise<Nothing> gate;
  long waiting = 0;
  long finished = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const long count = argc > 1 ? std::atol(argv[1]) : 100000;
  Waiter waiter;
  Context context(ContextOptions{.deterministic = true});
  context.spawn(waiter);
  const PID driver("driver", context.address());
  context.run(100);
  const std::size_t before = heap_in_use();
  for (long i = 0; i < count; ++i) context.send(driver, waiter.self(), "wait", "");
  context.run(static_cast<std::size_t>(count) * 2);
  const std::size_t after = heap_in_use();
  if (waiter.waiting != count) {
    fmt::print(stderr, "error: {} of {} coroutines waiting\n", waiter.waiting, count);
    return 1;
  }
  const double per = static_cast<double>(after - before) / static_cast<double>(count);
  fmt::print("{} coroutines suspended: {:.0f} bytes each ({:.1f} MiB in all)\n", count, per,
             static_cast<double>(after - before) / (1024.0 * 1024.0));
  waiter.gate.set_value({});
  context.run(static_cast<std::size_t>(count) * 2);
  if (waiter.finished != count) {
    fmt::print(stderr, "error: {} of {} coroutines finished\n", waiter.finished, count);
    return 1;
  }
  context.terminate(waiter.self());
  context.run(100);
  return 0;
}
