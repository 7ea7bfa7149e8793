// SPDX-License-Identifier: Apache-2.0
#include "serf/rpc_session.hpp"

#include <algorithm>
#include <span>
#include <utility>

namespace compactor::serf {
namespace {

// What an agent may send us: small headers and records with a payload under 9 KB (Serf's hard
// maximum for a user event); anything larger is not an agent talking.
const msgpack::unpack_limit kLimits(/*array=*/64, /*map=*/64, /*str=*/16 * 1024,
                                    /*bin=*/16 * 1024, /*ext=*/0, /*depth=*/4);

// One request, as the agent's RPC reads it: a header map, then the body map if there is one.
class Request {
 public:
  Request(std::string_view command, std::uint64_t seq, std::uint32_t body_fields)
      : packer_(buffer_) {
    packer_.pack_map(2);
    key("Command").pack(command);
    key("Seq").pack_uint64(seq);
    if (body_fields > 0) packer_.pack_map(body_fields);
  }
  // Map keys must be str: a bin key makes the agent drop the connection.
  msgpack::packer<msgpack::sbuffer>& key(std::string_view name) { return packer_.pack(name); }
  Request& field(std::string_view name, std::string_view text) {
    key(name).pack(text);
    return *this;
  }
  Request& bytes(std::string_view name, std::string_view data) {
    key(name).pack_bin(static_cast<std::uint32_t>(data.size()));
    packer_.pack_bin_body(data.data(), static_cast<std::uint32_t>(data.size()));
    return *this;
  }
  std::string take() const { return std::string(buffer_.data(), buffer_.size()); }

 private:
  msgpack::sbuffer buffer_;
  msgpack::packer<msgpack::sbuffer> packer_;
};

// A value of a map, by its str key.
const msgpack::object* value_at(const msgpack::object& map, std::string_view name) {
  if (map.type != msgpack::type::MAP) return nullptr;
  for (const auto& kv : std::span(map.via.map.ptr, map.via.map.size)) {
    if (kv.key.type == msgpack::type::STR && kv.key.as<std::string_view>() == name) {
      return &kv.val;
    }
  }
  return nullptr;
}

// A str or bin value of a map, by key.
std::optional<std::string_view> text_at(const msgpack::object& map, std::string_view name) {
  const auto* value = value_at(map, name);
  if (value == nullptr) return std::nullopt;
  if (value->type == msgpack::type::STR)
    return std::string_view(value->via.str.ptr, value->via.str.size);
  if (value->type == msgpack::type::BIN)
    return std::string_view(value->via.bin.ptr, value->via.bin.size);
  return std::nullopt;
}

std::optional<std::uint64_t> seq_of(const msgpack::object& map) {
  const auto* value = value_at(map, "Seq");
  if (value == nullptr || value->type != msgpack::type::POSITIVE_INTEGER) return std::nullopt;
  return value->via.u64;
}

}  // namespace

RpcSession::RpcSession(std::string event_name, std::string auth_key)
    : event_name_(std::move(event_name)), auth_key_(std::move(auth_key)) {}

std::string RpcSession::begin() {
  unpacker_ = std::make_unique<msgpack::unpacker>(nullptr, nullptr,
                                                  MSGPACK_UNPACKER_INIT_BUFFER_SIZE, kLimits);
  pending_.clear();
  streaming_ = false;
  expect_record_ = false;
  const auto handshake = next_seq_++;
  pending_[handshake] = "handshake";
  Request hello("handshake", handshake, 1);
  hello.key("Version").pack(1);
  std::string out = hello.take();
  if (!auth_key_.empty()) {
    const auto auth = next_seq_++;
    pending_[auth] = "auth";
    out += Request("auth", auth, 1).field("AuthKey", auth_key_).take();
  }
  stream_seq_ = next_seq_++;
  out += Request("stream", stream_seq_, 1).field("Type", "user:" + event_name_).take();
  return out;
}

bool RpcSession::end() {
  unpacker_.reset();
  pending_.clear();
  expect_record_ = false;
  return std::exchange(streaming_, false);
}

std::string RpcSession::event(std::string_view payload) {
  const auto seq = next_seq_++;
  pending_[seq] = "event";
  Request event("event", seq, 3);
  event.field("Name", event_name_).bytes("Payload", payload).key("Coalesce").pack_false();
  return event.take();
}

std::string RpcSession::stop() {
  if (!streaming_) return {};
  Request stop("stop", next_seq_++, 1);
  stop.key("Stop").pack_uint64(stream_seq_);
  return stop.take();
}

RpcSession::Received RpcSession::received(std::string_view bytes) {
  Received out;
  if (!unpacker_) {
    out.failure = "bytes before the session began";
    return out;
  }
  unpacker_->reserve_buffer(bytes.size());
  std::copy(bytes.begin(), bytes.end(), unpacker_->buffer());
  unpacker_->buffer_consumed(bytes.size());
  try {
    msgpack::object_handle object;
    while (unpacker_->next(object)) {
      if (!handle(object.get(), out)) return out;
    }
  } catch (const std::exception& bad) {
    out.failure = std::string("not Serf RPC: ") + bad.what();
  }
  return out;
}

bool RpcSession::handle(const msgpack::object& object, Received& out) {
  if (expect_record_) {  // the body of a streamed event
    expect_record_ = false;
    const auto name = text_at(object, "Name");
    const auto payload = text_at(object, "Payload");
    if (name && payload && *name == event_name_) out.payloads.emplace_back(*payload);
    return true;
  }
  const auto seq = seq_of(object);
  if (!seq) {
    out.failure = "a response without Seq";
    return false;
  }
  const auto error = text_at(object, "Error").value_or("");
  if (*seq == stream_seq_) {
    if (streaming_) {
      expect_record_ = true;  // a record: header, then body
      return true;
    }
    if (!error.empty()) {
      out.failure = "stream refused: " + std::string(error);
      return false;
    }
    streaming_ = true;
    out.stream_began = true;
    return true;
  }
  const auto request = pending_.find(*seq);
  if (request == pending_.end()) {
    out.failure = "an answer to no request (Seq " + std::to_string(*seq) + ")";
    return false;
  }
  const std::string what = std::move(request->second);
  pending_.erase(request);
  if (error.empty()) return true;
  if (what == "event") {  // the agent refused one payload; the connection is fine
    out.refused_events.emplace_back(error);
    return true;
  }
  out.failure = what + " refused: " + std::string(error);
  return false;
}

// The agent checks name + payload, then the event as it gossips it: a type byte and the msgpack
// map {LTime, Name, Payload, CC}. With the Lamport time at its widest (9 bytes), that is 34 bytes
// more than name and payload, plus their length headers.
std::size_t RpcSession::event_size(std::string_view name, std::size_t payload) {
  const std::size_t name_header = name.size() < 32 ? 1 : name.size() < 256 ? 2 : 3;
  const std::size_t payload_header = payload < 256 ? 2 : payload < 65536 ? 3 : 5;
  return 34 + name_header + name.size() + payload_header + payload;
}

}  // namespace compactor::serf
