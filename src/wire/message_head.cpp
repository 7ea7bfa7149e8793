// SPDX-License-Identifier: Apache-2.0
#include "wire/message_head.hpp"

#include "wire/percent_encoding.hpp"

#include <algorithm>

namespace compactor::wire {

std::optional<PathTarget> split_target(std::string_view target, std::string& decoded) {
  // One pass (find_first_of("?#") calls memchr on the set for every character of the target).
  const auto query =
      std::find_if(target.begin(), target.end(), [](char c) { return c == '?' || c == '#'; });
  target = target.substr(0, static_cast<std::size_t>(query - target.begin()));
  if (target.size() < 2 || target.front() != '/') return std::nullopt;
  target.remove_prefix(1);
  // Most targets have no escape: split the view itself, without a decoded copy.
  if (target.find('%') != std::string_view::npos) {
    auto text = percent_decode(target);
    if (!text) return std::nullopt;
    decoded = std::move(*text);
    target = decoded;
  }
  const auto slash = target.find('/');
  if (slash == 0) return std::nullopt;
  PathTarget result;
  result.process_id = target.substr(0, slash);
  if (slash != std::string_view::npos) result.rest = target.substr(slash + 1);
  return result;
}

std::optional<std::string_view> message_sender(const Request& request) {
  if (request.method != "POST") return std::nullopt;
  if (auto from = util::find_header(request.headers, "Libprocess-From")) return from;
  constexpr std::string_view kPrefix = "libprocess/";
  const auto agent = request.header("User-Agent");
  if (agent.starts_with(kPrefix)) return agent.substr(kPrefix.size());
  return std::nullopt;
}

}  // namespace compactor::wire
