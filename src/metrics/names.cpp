// SPDX-License-Identifier: Apache-2.0
#include "metrics/reading.hpp"

namespace compactor::metrics {
namespace {

std::string sanitized(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  for (const char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == ':';
    out += allowed ? c : '_';
  }
  if (out.empty() || (out.front() >= '0' && out.front() <= '9')) out.insert(0, "_");
  return out;
}

std::string_view without_unit(std::string_view key) {
  for (const std::string_view unit : {"_ns", "_us", "_ms", "_secs"}) {
    if (key.ends_with(unit)) return key.substr(0, key.size() - unit.size());
  }
  return key;
}

}  // namespace

std::string prometheus_family(const Reading& reading) {
  std::string family = reading.family.empty() ? sanitized(reading.kind == Reading::Kind::timer
                                                              ? without_unit(reading.key)
                                                              : std::string_view(reading.key))
                                              : reading.family;
  if (reading.kind == Reading::Kind::counter) family += "_total";
  if (reading.kind == Reading::Kind::timer) family += "_seconds";
  return family;
}

}  // namespace compactor::metrics
