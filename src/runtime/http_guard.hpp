// SPDX-License-Identifier: Apache-2.0
#pragma once
// What stands before an HTTP endpoint or a message's receiver, and the one place that counts a
// refusal (requests_rejected), whoever refuses: the connection (bytes that are not HTTP, a body
// too large, a receiver that is not here), the disabled-endpoints list, a realm's authenticator,
// or a process that has no such route.

#include <compactor/http.hpp>

#include <optional>
#include <string_view>

namespace compactor::runtime {

class ContextCore;

// Counts a request refused (400, 401, 403, 404, 408, 413, 503).
void count_refusal(ContextCore& core);

// "404 Not Found.", counted.
http::Response not_found(ContextCore& core);

// 403 if `path` is one of options.disabled_endpoints, counted.
std::optional<http::Response> refuse_disabled(ContextCore& core, std::string_view path);

// Authenticates `request` in `realm`: sets its principal, or gives the 401 to answer, counted.
std::optional<http::Response> authenticate(ContextCore& core, std::string_view realm,
                                           http::Request& request);

}  // namespace compactor::runtime
