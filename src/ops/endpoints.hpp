// SPDX-License-Identifier: Apache-2.0
#pragma once
// The context's own HTTP endpoints: libprocess's operator endpoints, Prometheus's /metrics and
// the live status page.

#include "runtime/context_core.hpp"

#include <string_view>

namespace compactor::ops {

// What answers a built-in endpoint; called on the I/O thread, answers through `respond` (now,
// or later from another thread: /metrics/snapshot waits for pull gauges).
using BuiltinEndpoint = runtime::ContextCore::BuiltinEndpoint;

// The built-in endpoint at `path`, or null:
//   /__processes__       JSON: every process and its queued events (libprocess's shape)
//   /metrics/snapshot    JSON: every metric (libprocess's shape; jsonp=, timeout=)
//   /metrics             the same metrics in Prometheus's text format
//   /help[/<process>[/<route>]]   markdown: the processes with routes, their routes, a route's help
//   /system/stats.json   JSON: the machine's load, cores and memory (libprocess's)
//   /logging/toggle      libprocess's: raise the log level for a while
//   /__status__          the live status page (HTML), and /__status__/state.json that it reads
// The composition root installs it: ContextCore::set_builtin_endpoints.
BuiltinEndpoint find_builtin_endpoint(std::string_view path);

}  // namespace compactor::ops
