// SPDX-License-Identifier: Apache-2.0
#include "wire/message_encoder.hpp"

#include "wire/percent_encoding.hpp"

#include <charconv>

namespace compactor::wire {

void encode_message(std::string& out, const OutgoingMessage& message) {
  out.reserve(out.size() + 160 + 2 * message.from.size() + message.receiver.size() +
              message.name.size() + message.host.size() + message.body.size());
  out += "POST /";
  append_percent_encoded(out, message.receiver, /*keep_slash=*/false);
  out += '/';
  append_percent_encoded(out, message.name, /*keep_slash=*/true);
  out += " HTTP/1.1\r\nUser-Agent: libprocess/";
  out += message.from;
  out += "\r\nLibprocess-From: ";
  out += message.from;
  out += "\r\nConnection: Keep-Alive\r\nHost: ";
  out += message.host;
  if (message.body.empty()) {
    out += "\r\n\r\n";
    return;
  }
  out += "\r\nTransfer-Encoding: chunked\r\n\r\n";
  char length[2 * sizeof(std::size_t)];
  const auto result = std::to_chars(length, length + sizeof length, message.body.size(), 16);
  out.append(length, result.ptr);
  out += "\r\n";
  out += message.body;
  out += "\r\n0\r\n\r\n";
}

}  // namespace compactor::wire
