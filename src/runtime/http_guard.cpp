// SPDX-License-Identifier: Apache-2.0
#include "runtime/http_guard.hpp"

#include "runtime/logging.hpp"

#include <algorithm>

namespace compactor::runtime {

std::optional<http::Response> refuse_disabled(const ContextOptions& options,
                                              std::string_view path) {
  const auto& disabled = options.disabled_endpoints;
  if (std::find(disabled.begin(), disabled.end(), path) == disabled.end()) return std::nullopt;
  return http::Response::text("403 Forbidden: '" + std::string(path) + "' is disabled.", 403);
}

std::optional<http::Response> authenticate(const ContextOptions& options, std::string_view realm,
                                           http::Request& request) {
  const auto it = options.http_authenticators.find(std::string(realm));
  if (it == options.http_authenticators.end() || !it->second) {
    log().warn("HTTP request for realm '{}' refused: the realm has no authenticator", realm);
    auto refusal = http::Response::text("401 Unauthorized.", 401);
    refusal.headers.emplace_back("WWW-Authenticate", "Basic realm=\"" + std::string(realm) + "\"");
    return refusal;
  }
  request.principal = it->second->authenticate(request);
  if (request.principal) return std::nullopt;
  auto refusal = http::Response::text("401 Unauthorized.", 401);
  refusal.headers.emplace_back("WWW-Authenticate", it->second->challenge(realm));
  return refusal;
}

}  // namespace compactor::runtime
