// SPDX-License-Identifier: Apache-2.0
// examples/protobuf_service.cpp written with coroutines: the client asks its three questions as
// straight-line code (ask<Reply>, one after the other, each with a deadline), and the service
// looks each answer up (a pause on its clock) before it replies. On the wire nothing changes:
// libprocess messages named by their full type names, each request from a fresh
// __req_res__(N) PID, as a libprocess ProtobufProcess's ReqResProcess sends them.

#include <compactor/compactor.hpp>
#include <compactor/protobuf.hpp>

#include "fork_peer.hpp"
#include "service.pb.h"

#include <future>
#include <iostream>

using namespace compactor;
using namespace std::chrono_literals;
using examples::ServiceRequestMessage;
using examples::ServiceResponseMessage;

class Service : public ProtobufProcess {
 public:
  Service() : ProtobufProcess("service") {}

 protected:
  void initialize() override { install(&Service::request); }

  Task<> request(const PID& from, const ServiceRequestMessage& request) {
    std::cout << "service:  " << request.query() << "? (from " << from << ")" << std::endl;
    co_await after(10ms);  // a lookup; other requests are handled meanwhile
    ServiceResponseMessage response;
    response.set_query(request.query());
    response.set_answer(std::to_string(request.query().size()) + " letters");
    reply(response);  // to `from`, after the co_await
    if (++answered_ == 3) terminate();
  }

 private:
  int answered_ = 0;
};

class Client : public ProtobufProcess {
 public:
  explicit Client(PID service) : ProtobufProcess("client"), service_(std::move(service)) {}
  std::future<bool> done() { return done_.get_future(); }

 protected:
  void initialize() override { launch(ask_all()); }

 private:
  Task<> ask_all() {
    bool ok = true;
    for (const char* query : {"compactor", "libprocess", "mesos"}) {
      ServiceRequestMessage request;
      request.set_query(query);
      try {
        const auto response = co_await ask<ServiceResponseMessage>(service_, request, 5s);
        std::cout << "client:   " << response.query() << ": " << response.answer() << std::endl;
      } catch (const FutureFailed& failed) {  // AskTimeout, PeerExited, or another message
        std::cout << "client:   " << query << " failed: " << failed.what() << std::endl;
        ok = false;
      }
    }
    done_.set_value(ok);
  }

  PID service_;
  std::promise<bool> done_;
};

int main() {
  return demo::run_two_processes(
      demo::serve_until_terminated<Service>,
      [](const PID& peer) { return std::make_unique<Client>(peer); }, std::chrono::seconds(20),
      "coroutine service done", "coroutine service FAILED");
}
