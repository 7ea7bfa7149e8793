// SPDX-License-Identifier: Apache-2.0
#include <compactor/future.hpp>

namespace compactor::detail {

bool& running_task_step() {
  thread_local bool running = false;
  return running;
}

bool& running_on_io_thread() {
  thread_local bool running = false;
  return running;
}

}  // namespace compactor::detail
