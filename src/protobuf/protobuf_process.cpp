// SPDX-License-Identifier: Apache-2.0
#include <compactor/protobuf.hpp>

#include <stdexcept>

namespace compactor {

void ProtobufProcess::send(const PID& to, const google::protobuf::Message& message) const {
  std::string body;
  if (!message.SerializeToString(&body)) {
    throw std::invalid_argument("cannot serialize " + message.GetTypeName() +
                                " (are its required fields set?)");
  }
  Process::send(to, message.GetDescriptor()->full_name(), body);
}

void ProtobufProcess::reply(const google::protobuf::Message& message) const {
  if (current_sender_ == nullptr) {
    throw std::logic_error("reply() outside a protobuf handler of process " + id());
  }
  if (current_sender_->empty()) {
    throw std::logic_error("reply(): the message being handled came without a sender PID");
  }
  send(*current_sender_, message);
}

}  // namespace compactor
