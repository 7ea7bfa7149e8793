// SPDX-License-Identifier: Apache-2.0
// A protobuf service and its client in two OS processes: the service answers each
// ServiceRequestMessage with a ServiceResponseMessage; on the wire each is a libprocess message
// named by its full type name ("compactor.examples.ServiceRequestMessage").

#include <compactor/compactor.hpp>
#include <compactor/protobuf.hpp>

#include "fork_peer.hpp"
#include "service.pb.h"

#include <future>
#include <iostream>

using namespace compactor;
using examples::ServiceRequestMessage;
using examples::ServiceResponseMessage;

class Service : public ProtobufProcess {
 public:
  Service() : ProtobufProcess("service") {}

 protected:
  void initialize() override { install(&Service::request); }

  void request(const PID& from, const ServiceRequestMessage& request) {
    std::cout << "service:  " << request.query() << "? (from " << from << ")" << std::endl;
    ServiceResponseMessage response;
    response.set_query(request.query());
    response.set_answer(std::to_string(request.query().size()) + " letters");
    reply(response);
    if (++answered_ == 3) terminate();
  }

 private:
  int answered_ = 0;
};

class Client : public ProtobufProcess {
 public:
  explicit Client(PID service) : ProtobufProcess("client"), service_(std::move(service)) {}
  std::future<void> done() { return done_.get_future(); }

 protected:
  void initialize() override {
    install(&Client::response);
    for (const char* query : {"compactor", "libprocess", "mesos"}) {
      ServiceRequestMessage request;
      request.set_query(query);
      send(service_, request);
    }
  }

  void response(const PID&, const ServiceResponseMessage& response) {
    std::cout << "client:   " << response.query() << ": " << response.answer() << std::endl;
    if (++answers_ == 3) done_.set_value();
  }

 private:
  PID service_;
  int answers_ = 0;
  std::promise<void> done_;
};

int main() {
  return demo::run_two_processes(
      demo::serve_until_terminated<Service>,
      [](const PID& peer) { return std::make_unique<Client>(peer); }, std::chrono::seconds(20),
      "protobuf service done", "protobuf service FAILED");
}
