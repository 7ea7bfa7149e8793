// SPDX-License-Identifier: Apache-2.0
#pragma once
// Where a request from the network goes: a libprocess message into a mailbox, an HTTP request to
// a built-in endpoint or to a process's routes, or a refusal. Every refusal of a connection's
// requests is counted here (through http_guard) and logged through the peer log, so that a 404
// or a 401 counts the same whoever gives it. No sockets and no bytes: the network decodes the
// request before and encodes the answer after.
//
// One per inbound connection, on its I/O thread.

#include "runtime/context_core.hpp"

#include <compactor/http.hpp>
#include <compactor/pid.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace compactor::runtime {

// What became of a request, for the network to answer.
struct Routed {
  enum class Outcome {
    accepted,  // a message is in its receiver's mailbox: 202
    refused,   // a message was refused: `status` 404 (no such receiver) or 400 (`reason`)
    answer,    // answer `response` now
    awaited,   // the endpoint or route answers later, through the responder it was given
  };
  Outcome outcome = Outcome::accepted;
  int status = 0;
  std::string reason{};
  std::optional<http::Response> response{};
};

class Router {
 public:
  Router(ContextCore& core, std::string peer_ip);

  // A libprocess message from the PID in `sender_text` (empty if it does not parse, as libprocess
  // takes it) to the process `receiver` ("" if the target named none), named `name`.
  Routed message(std::string_view sender_text, std::string_view receiver, std::string name,
                 std::string body);

  // An HTTP request for `request.path` (the whole path, without the query): `receiver` and
  // `route` are its first segment and the rest, percent-decoded ("" if the path names no
  // process). `await_answer` gives the responder of an answer that comes later.
  Routed http(http::Request request, std::string_view receiver, std::string route,
              const std::function<http::Responder()>& await_answer);

  // A request the connection refused before routing: 400 (not HTTP), 413 (too large), 503 (over
  // the body budget), 408 (not whole in time). `peer_text` names the connection in the log.
  void refused(PeerEvent event, int status, std::string_view detail, std::string_view peer_text);

  // The mailbox a delivery put over its high-water mark, if one did since the last call.
  std::shared_ptr<ProcessRecord> take_congested() { return std::move(congested_); }
  bool congested() const { return congested_ != nullptr; }

  // The sender of the last message (parsed once per connection and sender, not per message), how
  // many times it changed, and how many times its address was parsed (not only its id changed:
  // each ask's request comes from a fresh id at the same address).
  const PID& sender() const { return sender_; }
  std::uint64_t senders_seen() const { return senders_seen_; }
  std::uint64_t addresses_seen() const { return addresses_seen_; }

 private:
  // Parses `text` into sender_ (empty if it is not a PID), reusing the address when only the id
  // changed since the last sender.
  void read_sender(std::string_view text);

  ContextCore& core_;
  const std::string peer_ip_;
  std::string sender_text_;
  PID sender_;
  std::uint64_t senders_seen_ = 0;
  std::uint64_t addresses_seen_ = 0;
  std::shared_ptr<ProcessRecord> congested_;
};

}  // namespace compactor::runtime
