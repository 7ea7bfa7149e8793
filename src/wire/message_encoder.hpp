// SPDX-License-Identifier: Apache-2.0
#pragma once
// Encodes a libprocess message as the HTTP request real libprocess sends.

#include <string>
#include <string_view>

namespace compactor::wire {

// What one message request needs; the views must outlive the call.
struct OutgoingMessage {
  std::string_view from;      // sender PID text, `id@ip:port`
  std::string_view receiver;  // receiver process id
  std::string_view host;      // receiver address, `ip:port`, for the Host header
  std::string_view name;      // message name (may contain '/')
  std::string_view body;
};

// Appends the request to `out`: `POST /<receiver>/<name> HTTP/1.1`, User-Agent, Libprocess-From,
// Connection: Keep-Alive, Host, and the body as one chunk (no Transfer-Encoding when empty).
void encode_message(std::string& out, const OutgoingMessage& message);

}  // namespace compactor::wire
