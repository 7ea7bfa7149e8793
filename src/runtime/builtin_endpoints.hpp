#pragma once
// libprocess's built-in HTTP endpoints, answered by the context itself.

#include <compactor/http.hpp>

#include <string_view>

namespace compactor::runtime {

class ContextCore;

// What answers a built-in endpoint, from the I/O thread.
using BuiltinEndpoint = http::Response (*)(ContextCore& core, const http::Request& request);

// The built-in endpoint at `path`, or null:
//   /__processes__     JSON: every process, its id and its queued events
//   /metrics/snapshot  JSON: the context's counters and each process's mailbox depth
//   /help              text: the endpoints and every process's routes
//   /logging/toggle    libprocess's: raise the log level for a while
BuiltinEndpoint find_builtin_endpoint(std::string_view path);

}  // namespace compactor::runtime
