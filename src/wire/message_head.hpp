// SPDX-License-Identifier: Apache-2.0
#pragma once
// The libprocess reading of a decoded request: is it a message, from whom, to whom.

#include "wire/request.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace compactor::wire {

// The first path segment (a process id) and the rest, percent-decoded: "/pong/a/b" -> {pong, a/b}.
// Views into the target, or into the decoded copy of one that has %-escapes.
struct PathTarget {
  std::string_view process_id;
  std::string_view rest;  // message name or route; may contain '/'
};

// Splits a request target, ignoring any query. nullopt if the path does not start with
// "/<non-empty id>" or has a malformed %-escape. A target with escapes is decoded into
// `decoded`, which the result then views: it must outlive the result, unchanged.
std::optional<PathTarget> split_target(std::string_view target, std::string& decoded);

// The sender PID text if `request` is a libprocess message (a POST with Libprocess-From, or with
// a User-Agent starting "libprocess/"; Libprocess-From wins); nullopt for plain HTTP.
std::optional<std::string_view> message_sender(const Request& request);

}  // namespace compactor::wire
