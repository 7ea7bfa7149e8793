// SPDX-License-Identifier: Apache-2.0
#include "event_fields.hpp"

#include "json_text.hpp"

#include <fmt/format.h>

#include <cmath>

namespace compactor::tool {
namespace {

using beacon::Value;

Value names(const std::vector<std::string>& nodes) {
  Value::Array array;
  for (const auto& node : nodes) array.emplace_back(node);
  return Value(std::move(array));
}

std::string hex(std::string_view bytes) {
  std::string out;
  for (const unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

}  // namespace

EventFields fields_of(const beacon::Event& event) {
  using namespace beacon;
  return std::visit(
      Overloaded{
          [](const TagEvent& e) -> EventFields {
            return {"tag", {{"node", e.node}, {"value", e.value}}};
          },
          [](const UntagEvent&) -> EventFields {
            return {"untag", {}};
          },
          [](const DetagEvent& e) -> EventFields {
            return {"detag", {{"winner", e.winner}}};
          },
          [](const PingEvent& e) -> EventFields {
            return {"ping", {{"node", e.node}, {"value", e.value}, {"history", names(e.history)}}};
          },
          [](const GoodNodeEvent& e) -> EventFields {
            return {"good_node", {{"nodes", names(e.nodes)}}};
          },
          [](const RecoverEvent& e) -> EventFields {
            return {"recover",
                    {{"prio", e.prio},
                     {"replace", e.replace},
                     {"local", names(e.local_nodes)},
                     {"remote", names(e.remote_nodes)}}};
          },
          [](const SetupEvent& e) -> EventFields {
            const auto& c = e.config;
            return {"setup",
                    {{"cycle", c.cycle},
                     {"gap", c.gap},
                     {"nodes", c.nodes},
                     {"splits", c.splits},
                     {"n_hosts", c.n_hosts},
                     {"version", c.version}}};
          },
          [](const RawEvent& e) -> EventFields {
            return {"raw", {{"hex", hex(e.payload)}}};
          },
          [](const ErrorEvent& e) -> EventFields {
            const char* kind =
                e.kind == ErrorEvent::Kind::duplicate_name ? "duplicate_name" : "no_echo";
            return {"error", {{"kind", kind}, {"detail", e.detail}}};
          },
          [](const JoinEvent& e) -> EventFields {
            return {"join", {{"node", e.node}}};
          },
          [](const GoneEvent& e) -> EventFields {
            return {"gone", {{"node", e.node}, {"silent_for", e.silent_for}}};
          },
          [](const ChannelEvent& e) -> EventFields {
            return {"channel", {{"up", e.up}, {"detail", e.detail}}};
          },
      },
      event);
}

std::string as_text(const EventFields& event) {
  std::string text = event.name;
  for (const auto& [key, value] : event.fields) text += " " + key + "=" + value.to_string();
  return text;
}

std::string as_json_line(double time, const EventFields& event) {
  std::string line = fmt::format(R"({{"time":{:.3f},"event":{})", time, json_string(event.name));
  for (const auto& [key, value] : event.fields)
    line += "," + json_string(key) + ":" + json_of(value);
  return line + "}";
}

std::string json_string(std::string_view text) { return util::json_string(text); }

std::string json_of(const beacon::Value& value) {
  using beacon::Value;
  return std::visit(
      Overloaded{
          [](Value::Nil) -> std::string { return "null"; },
          [](bool b) -> std::string { return b ? "true" : "false"; },
          [](std::int64_t i) { return std::to_string(i); },
          [](std::uint64_t u) { return std::to_string(u); },
          [](double d) -> std::string { return std::isfinite(d) ? fmt::format("{}", d) : "null"; },
          [](const std::string& s) { return json_string(s); },
          [](const Value::Binary& b) { return json_string(hex(b.bytes)); },
          [](const Value::Array& a) {
            std::string out = "[";
            for (std::size_t i = 0; i < a.size(); ++i) out += (i ? "," : "") + json_of(a[i]);
            return out + "]";
          },
          [&](const Value::Opaque&) { return json_string(value.to_string()); },
      },
      value.storage());
}

}  // namespace compactor::tool
