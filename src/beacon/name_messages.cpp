// SPDX-License-Identifier: Apache-2.0
#include "beacon/name_messages.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <array>
#include <optional>

namespace compactor::beacon {
namespace {

// A name message is a few hundred bytes at most (Serf carries 512).
const msgpack::unpack_limit kLimits(/*array=*/64, /*map=*/8, /*str=*/1024, /*bin=*/0, /*ext=*/0,
                                    /*depth=*/2);

constexpr std::array<std::pair<NameMessage::Kind, std::string_view>, 5> kKinds{{
    {NameMessage::Kind::hold, "hold"},
    {NameMessage::Kind::drop, "drop"},
    {NameMessage::Kind::ask, "ask"},
    {NameMessage::Kind::bye, "bye"},
    {NameMessage::Kind::vacant, "vacant"},
}};

bool has_epoch(NameMessage::Kind kind) {
  return kind == NameMessage::Kind::hold || kind == NameMessage::Kind::drop ||
         kind == NameMessage::Kind::vacant;
}

std::string_view kind_text(NameMessage::Kind kind) {
  for (const auto& [k, text] : kKinds) {
    if (k == kind) return text;
  }
  return "?";
}

void pack_str(msgpack::packer<msgpack::sbuffer>& packer, std::string_view text) {
  packer.pack_str(static_cast<std::uint32_t>(text.size()));
  packer.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
}

}  // namespace

std::string encode(const NameMessage& message) {
  using Kind = NameMessage::Kind;
  const bool named = message.kind != Kind::bye;
  const bool epoch = has_epoch(message.kind);
  const bool pid = message.kind == Kind::hold;
  const bool lease = pid && message.lease_ms > 0;
  const bool seq = message.seq > 0;
  msgpack::sbuffer buffer;
  msgpack::packer packer(buffer);
  packer.pack_map(2 + named + epoch + pid + lease + seq);
  pack_str(packer, "names");
  pack_str(packer, kind_text(message.kind));
  pack_str(packer, "member");
  pack_str(packer, message.member);
  if (named) {
    pack_str(packer, "name");
    pack_str(packer, message.name);
  }
  if (pid) {
    pack_str(packer, "pid");
    pack_str(packer, message.pid);
  }
  if (epoch) {
    pack_str(packer, "epoch");
    packer.pack_uint64(message.epoch);
  }
  if (lease) {
    pack_str(packer, "lease");
    packer.pack_uint64(message.lease_ms);
  }
  if (seq) {
    pack_str(packer, "seq");
    packer.pack_uint64(message.seq);
  }
  return std::string(buffer.data(), buffer.size());
}

std::variant<NameMessage, NameDecodeError> decode_name_message(std::string_view payload) {
  auto error = [](std::string reason) { return NameDecodeError{std::move(reason)}; };
  msgpack::object_handle handle;
  std::size_t offset = 0;
  try {
    handle = msgpack::unpack(payload.data(), payload.size(), offset, nullptr, nullptr, kLimits);
  } catch (const std::exception& failure) {
    return error(std::string("not msgpack: ") + failure.what());
  }
  if (offset != payload.size()) return error("trailing bytes after the message");
  const msgpack::object& root = handle.get();
  if (root.type != msgpack::type::MAP) return error("not a map");

  std::optional<std::string_view> kind, member, name, pid;
  std::optional<std::uint64_t> epoch, lease, seq;
  for (std::uint32_t i = 0; i < root.via.map.size; ++i) {
    const auto& [key, value] = root.via.map.ptr[i];
    if (key.type != msgpack::type::STR) return error("a key that is not a str");
    const std::string_view field(key.via.str.ptr, key.via.str.size);
    if (field == "epoch" || field == "lease" || field == "seq") {
      if (value.type != msgpack::type::POSITIVE_INTEGER) {
        return error("'" + std::string(field) + "' not an integer >= 0");
      }
      (field == "epoch" ? epoch : field == "lease" ? lease : seq) = value.via.u64;
      continue;
    }
    std::optional<std::string_view>* slot = field == "names"    ? &kind
                                            : field == "member" ? &member
                                            : field == "name"   ? &name
                                            : field == "pid"    ? &pid
                                                                : nullptr;
    if (slot == nullptr) continue;  // a later version's field
    if (value.type != msgpack::type::STR) return error("'" + std::string(field) + "' not a str");
    *slot = std::string_view(value.via.str.ptr, value.via.str.size);
  }
  if (!kind) return error("no str 'names'");
  NameMessage message;
  const auto* known = std::find_if(kKinds.begin(), kKinds.end(),
                                   [&](const auto& entry) { return entry.second == *kind; });
  if (known == kKinds.end()) return error("unknown kind '" + std::string(*kind) + "'");
  message.kind = known->first;
  if (!member || member->empty()) return error("no 'member'");
  message.member = *member;
  message.seq = seq.value_or(0);
  using Kind = NameMessage::Kind;
  if (message.kind != Kind::bye) {
    if (!name || name->empty()) return error(std::string(*kind) + " without a 'name'");
    message.name = *name;
  }
  if (message.kind == Kind::hold) {
    if (!pid || pid->empty()) return error("hold without a 'pid'");
    message.pid = *pid;
    message.lease_ms = lease.value_or(0);
  }
  if (has_epoch(message.kind)) {
    if (!epoch) return error(std::string(*kind) + " without an 'epoch'");
    message.epoch = *epoch;
  }
  return message;
}

}  // namespace compactor::beacon
