// SPDX-License-Identifier: Apache-2.0
#include "runtime/http_guard.hpp"

#include "runtime/context_core.hpp"

#include <algorithm>

namespace compactor::runtime {

void count_refusal(ContextCore& core) { StatsCounters::add(core.counters().requests_rejected); }

http::Response not_found(ContextCore& core) {
  count_refusal(core);
  return http::Response::text("404 Not Found.", 404);
}

std::optional<http::Response> refuse_disabled(ContextCore& core, std::string_view path) {
  const auto& disabled = core.options().disabled_endpoints;
  if (std::find(disabled.begin(), disabled.end(), path) == disabled.end()) return std::nullopt;
  count_refusal(core);
  return http::Response::text("403 Forbidden: '" + std::string(path) + "' is disabled.", 403);
}

std::optional<http::Response> authenticate(ContextCore& core, std::string_view realm,
                                           http::Request& request) {
  const auto& authenticators = core.options().http_authenticators;
  const auto it = authenticators.find(std::string(realm));
  const bool configured = it != authenticators.end() && it->second;
  if (configured) {
    request.principal = it->second->authenticate(request);
    if (request.principal) return std::nullopt;
  } else {
    core.peer_log().warn(PeerEvent::request_rejected, {},
                         "HTTP request for realm '{}' refused: the realm has no authenticator",
                         realm);
  }
  count_refusal(core);
  auto refusal = http::Response::text("401 Unauthorized.", 401);
  refusal.headers.emplace_back(
      "WWW-Authenticate",
      configured ? it->second->challenge(realm) : "Basic realm=\"" + std::string(realm) + "\"");
  return refusal;
}

}  // namespace compactor::runtime
