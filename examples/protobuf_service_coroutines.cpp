// SPDX-License-Identifier: Apache-2.0
// examples/protobuf_service.cpp written with coroutines and a generated service: from
// `service Lookup { rpc Query(ServiceRequestMessage) returns (ServiceResponseMessage); }`
// (lookup_service.proto, `compactor_add_protos(... SERVICES lookup_service.proto)`),
// protoc-gen-compactor makes LookupService, whose Query is a coroutine returning the reply, and
// LookupClient, whose Query is an ask with a deadline. On the wire nothing changes: libprocess
// messages named by their full type names, each request from a fresh __req_res__(N) PID, as a
// libprocess ProtobufProcess's ReqResProcess sends them; either side may be libprocess.

#include <compactor/compactor.hpp>

#include "fork_peer.hpp"
#include "lookup_service.compactor.h"

#include <future>
#include <iostream>

using namespace compactor;
using namespace std::chrono_literals;
using examples::ServiceRequestMessage;
using examples::ServiceResponseMessage;

class Service : public examples::LookupService {
 public:
  Service() : LookupService("service") {}

  Task<ServiceResponseMessage> Query(const PID& from,
                                     const ServiceRequestMessage& request) override {
    std::cout << "service:  " << request.query() << "? (from " << from << ")" << std::endl;
    co_await after(10ms);  // a lookup; other requests are handled meanwhile
    ServiceResponseMessage response;
    response.set_query(request.query());
    response.set_answer(std::to_string(request.query().size()) + " letters");
    if (++answered_ == 3) terminate();  // after this answer, which goes back to `from`
    co_return response;
  }

 private:
  int answered_ = 0;
};

class Client : public Process {
 public:
  explicit Client(PID service) : Process("client"), lookup_(*this, std::move(service)) {}
  std::future<bool> done() { return done_.get_future(); }

 protected:
  void initialize() override { launch(ask_all()); }

 private:
  // Straight-line: three asks, one after the other, each with its deadline.
  Task<> ask_all() {
    bool ok = true;
    for (const char* query : {"compactor", "libprocess", "mesos"}) {
      ServiceRequestMessage request;
      request.set_query(query);
      try {
        const auto response = co_await lookup_.Query(request, 5s);
        std::cout << "client:   " << response.query() << ": " << response.answer() << std::endl;
      } catch (const FutureFailed& failed) {  // AskTimeout, PeerExited, or another message
        std::cout << "client:   " << query << " failed: " << failed.what() << std::endl;
        ok = false;
      }
    }
    done_.set_value(ok);
  }

  examples::LookupClient lookup_;
  std::promise<bool> done_;
};

int main() {
  return demo::run_two_processes(
      demo::serve_until_terminated<Service>,
      [](const PID& peer) { return std::make_unique<Client>(peer); }, std::chrono::seconds(20),
      "coroutine service done", "coroutine service FAILED");
}
