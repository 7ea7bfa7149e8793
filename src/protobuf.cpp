#include <compactor/protobuf.hpp>

#include "runtime/context_core.hpp"
#include "runtime/logging.hpp"
#include "runtime/stats.hpp"

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

void ProtobufProcess::malformed(const PID& from, const std::string& type, std::size_t size) {
  if (context_ != nullptr) runtime::StatsCounters::add(context_->counters().messages_malformed);
  runtime::log().warn("process {}: dropped a {}-byte body from {} that is not a valid {}",
                      self().to_string(), size, from.to_string(), type);
}

}  // namespace compactor
