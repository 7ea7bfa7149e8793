// SPDX-License-Identifier: Apache-2.0
#pragma once
// A beacon event as a name and named fields, printed as text or as a JSON line by `group`.

#include <compactor/beacon/events.hpp>

#include <string>
#include <utility>
#include <vector>

namespace compactor::tool {

struct EventFields {
  std::string name;  // "tag", "ping", "gone", ...
  std::vector<std::pair<std::string, beacon::Value>> fields;
};

EventFields fields_of(const beacon::Event& event);

// `tag node='a' value=31`
std::string as_text(const EventFields& event);
// `{"time":12.5,"event":"tag","node":"a","value":31}`
std::string as_json_line(double time, const EventFields& event);

// JSON for a value: null, true, 3, 1.5, "text", [...]; bytes and opaque values as strings.
std::string json_of(const beacon::Value& value);
std::string json_string(std::string_view text);

}  // namespace compactor::tool
