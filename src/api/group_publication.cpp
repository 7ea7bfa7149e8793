// SPDX-License-Identifier: Apache-2.0
// beacon::Publication: reads a Member's public state for the context's metrics and status page.

#include "metrics/registry.hpp"
#include "util/json_text.hpp"

#include <compactor/beacon/publication.hpp>

#include <mutex>

namespace compactor::beacon {

// The member, until the publication goes: a reader that runs late finds it gone.
struct Publication::Shared {
  explicit Shared(const Member& member) : member(&member) {}
  std::mutex mutex;
  const Member* member;
};

namespace {

void read_member(const Member& member, metrics::Readings& out) {
  const auto& name = member.name();
  const auto members = member.members();
  double gone = 0;
  for (const auto& info : members) gone += info.gone ? 1 : 0;
  metrics::LabelledReadings readings(out, "compactor/groups/" + name + "/", {{"member", name}});
  using Kind = metrics::Reading::Kind;
  readings.add("members", Kind::gauge, static_cast<double>(members.size()) - gone,
               "compactor_group_members", "Other members heard from and not gone.");
  readings.add("gone", Kind::gauge, gone, "compactor_group_gone_members",
               "Members silent too long.");
  readings.add("tagged", Kind::gauge, member.tagged() ? 1 : 0, "compactor_group_tagged",
               "1 while this member holds the tag.");
  readings.add("holder_known", Kind::gauge, member.holder() ? 1 : 0, "compactor_group_holder_known",
               "1 while this member knows a tag holder.");
  readings.add("channel_up", Kind::gauge, member.channel().up ? 1 : 0, "compactor_group_channel_up",
               "1 while the group's channel is up.");
  readings.add("dropped_events", Kind::counter, static_cast<double>(member.dropped_events()),
               "compactor_group_dropped_events", "Events dropped because nobody read them.");
}

std::string member_json(const Member& member) {
  using util::json_number;
  using util::json_string;
  const auto channel = member.channel();
  const auto holder = member.holder();
  std::string json = "{\"name\":" + json_string(member.name()) +
                     ",\"channel\":" + json_string(channel.address) +
                     ",\"channel_up\":" + (channel.up ? "true" : "false") +
                     ",\"channel_detail\":" + json_string(channel.detail) +
                     ",\"holder\":" + (holder ? json_string(*holder) : "null") +
                     ",\"tagged\":" + (member.tagged() ? "true" : "false") + ",\"members\":[";
  bool first = true;
  for (const auto& info : member.members()) {
    if (!first) json += ',';
    first = false;
    json += "{\"name\":" + json_string(info.name) +
            ",\"silent_secs\":" + json_number(info.silent_for) +
            ",\"gone\":" + (info.gone ? "true" : "false") +
            ",\"in_history\":" + (info.in_history ? "true" : "false") + "}";
  }
  return json + "]}";
}

}  // namespace

Publication::Publication(const Member& member, Context& context)
    : shared_(std::make_shared<Shared>(member)), context_(context) {
  id_ = metrics::impl_of(context.metrics())
            .add_group({.read =
                            [shared = shared_](metrics::Readings& out) {
                              std::lock_guard lock(shared->mutex);
                              if (shared->member) read_member(*shared->member, out);
                            },
                        .status_json =
                            [shared = shared_] {
                              std::lock_guard lock(shared->mutex);
                              return shared->member ? member_json(*shared->member) : std::string();
                            }});
}

Publication::~Publication() {
  metrics::impl_of(context_.metrics()).remove_group(id_);
  std::lock_guard lock(shared_->mutex);
  shared_->member = nullptr;
}

}  // namespace compactor::beacon
