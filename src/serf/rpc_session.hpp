// SPDX-License-Identifier: Apache-2.0
#pragma once
// The Serf agent's RPC as the beacon channel speaks it, sans I/O: requests out as bytes, the
// agent's bytes in, the user events and the session's state out. The asio driver
// (channels/serf_channel.cpp) owns the socket, the thread and the reconnect back-off.

#include <msgpack.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace compactor::serf {

// One connection's conversation: handshake (and auth), then a stream of the user events named
// `event_name`, and events sent by us. The RPC is back-to-back msgpack objects: a request is a
// header {Command, Seq} and a body; an answer is a header {Error, Seq}, with a body only for
// some commands (none of those used here) and for each record of a stream.
//
// @note Not thread-safe: one thread drives it.
class RpcSession {
 public:
  RpcSession(std::string event_name, std::string auth_key);

  // A new connection: the requests that open it (handshake, auth, stream), pipelined; the agent
  // answers them in order. Forgets the previous connection's state.
  std::string begin();
  // The request that broadcasts `payload` as a user event (never coalesced).
  std::string event(std::string_view payload);
  // The request that ends the stream; nothing unless streaming.
  std::string stop();

  bool streaming() const { return streaming_; }
  // The connection is gone: true if it was streaming.
  bool end();

  struct Received {
    std::vector<std::string> payloads;        // our user events, in the order the agent sent them
    bool stream_began = false;                // the agent acknowledged the stream
    std::vector<std::string> refused_events;  // the agent's words for each event it refused
    std::optional<std::string> failure;       // give the connection up (say why)
  };
  // Decodes what the agent sent; what is not whole yet waits for the next bytes.
  Received received(std::string_view bytes);

  // What the agent counts against its user-event size limit for `payload` under `name`.
  static std::size_t event_size(std::string_view name, std::size_t payload);

 private:
  // False if the connection is to be given up (failure set).
  bool handle(const msgpack::object& object, Received& out);

  const std::string event_name_;
  const std::string auth_key_;
  std::unique_ptr<msgpack::unpacker> unpacker_;
  std::map<std::uint64_t, std::string> pending_;  // Seq -> command, answered by a header only
  std::uint64_t next_seq_ = 0;
  std::uint64_t stream_seq_ = 0;
  bool streaming_ = false;
  bool expect_record_ = false;  // a stream header came: its record's body is next
};

}  // namespace compactor::serf
