// SPDX-License-Identifier: Apache-2.0
#pragma once
// What stands before an HTTP endpoint: the disabled-endpoints list and a realm's authenticator.

#include <compactor/context.hpp>
#include <compactor/http.hpp>

#include <optional>
#include <string_view>

namespace compactor::runtime {

// 403 if `path` is one of options.disabled_endpoints.
std::optional<http::Response> refuse_disabled(const ContextOptions& options, std::string_view path);

// Authenticates `request` in `realm`: sets its principal, or gives the 401 to answer.
std::optional<http::Response> authenticate(const ContextOptions& options, std::string_view realm,
                                           http::Request& request);

}  // namespace compactor::runtime
