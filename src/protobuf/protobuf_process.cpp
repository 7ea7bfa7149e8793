// SPDX-License-Identifier: Apache-2.0
#include <compactor/protobuf.hpp>

#include <fmt/format.h>

#include <stdexcept>

namespace compactor {

std::string detail::serialize(const google::protobuf::Message& message) {
  std::string body;
  if (!message.SerializeToString(&body)) {
    throw std::invalid_argument("cannot serialize " + message.GetTypeName() +
                                " (are its required fields set?)");
  }
  return body;
}

void ProtobufProcess::send(const PID& to, const google::protobuf::Message& message) const {
  Process::send(to, message.GetDescriptor()->full_name(), detail::serialize(message));
}

bool ProtobufProcess::parse(const PID& from, std::string_view body,
                            google::protobuf::Message& message) {
  if (message.ParseFromArray(body.data(), static_cast<int>(body.size()))) return true;
  malformed(from, message.GetDescriptor()->full_name(), body.size(),
            "not a valid protobuf message of that type");
  return false;
}

void detail::parse_reply(const Message& answer, google::protobuf::Message& reply) {
  const auto& type = reply.GetDescriptor()->full_name();
  if (answer.name != type) {
    throw FutureFailed(fmt::format("ask: {} answered '{}' ({} bytes), not a {}",
                                   answer.from.to_string(), answer.name, answer.body.size(), type));
  }
  if (!reply.ParseFromArray(answer.body.data(), static_cast<int>(answer.body.size()))) {
    throw FutureFailed(fmt::format("ask: the {} from {} does not parse ({} bytes)", type,
                                   answer.from.to_string(), answer.body.size()));
  }
}

void ProtobufProcess::reply(const google::protobuf::Message& message) const {
  const PID* sender = current_sender();
  if (sender == nullptr) {
    throw std::logic_error("reply() outside a protobuf handler of process " + id());
  }
  if (sender->empty()) {
    throw std::logic_error("reply(): the message being handled came without a sender PID");
  }
  send(*sender, message);
}

}  // namespace compactor
