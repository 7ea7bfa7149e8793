// SPDX-License-Identifier: Apache-2.0
#pragma once
// The context's own metrics, read from the runtime at each snapshot: its counters, drops by
// reason, each process's mailbox and activity, each connection's traffic, and the machine's.

#include "metrics/reading.hpp"

namespace compactor::runtime {
class ContextCore;
}

namespace compactor::ops {

void read_runtime(runtime::ContextCore& core, metrics::Readings& out);

}  // namespace compactor::ops
