#pragma once
// libprocess's built-in HTTP endpoints, answered by the context itself.

#include <compactor/http.hpp>

#include <optional>
#include <string_view>

namespace compactor::runtime {

class ContextCore;

// The answer for `path` if it is a built-in endpoint:
//   /__processes__     JSON: every process, its id and its queued events
//   /metrics/snapshot  JSON: the context's counters and each process's mailbox depth
//   /help              text: the endpoints and every process's routes
std::optional<http::Response> builtin_endpoint(ContextCore& core, std::string_view path);

}  // namespace compactor::runtime
