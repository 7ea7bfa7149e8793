// A protobuf service and its client in two OS processes: the service answers each
// ServiceRequestMessage with a ServiceResponseMessage; on the wire each is a libprocess message
// named by its full type name ("compactor.examples.ServiceRequestMessage").

#include <compactor/compactor.hpp>
#include <compactor/protobuf.hpp>

#include "service.pb.h"

#include <sys/wait.h>
#include <unistd.h>

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

// The service's side, in the child: tells the parent its PID through `pipe_out`.
int run_service(int pipe_out) {
  Service service;
  Context context({.ip = "127.0.0.1", .port = 0});
  const PID pid = context.spawn(service);
  const std::string text = pid.to_string() + "\n";
  if (write(pipe_out, text.data(), text.size()) != static_cast<ssize_t>(text.size())) return 1;
  close(pipe_out);
  return context.wait(pid, std::chrono::seconds(20)) ? 0 : 1;
}

int main() {
  std::cout.setf(std::ios::unitbuf);
  int fds[2];
  if (pipe(fds) != 0) return 1;
  const pid_t child = fork();  // before any thread exists
  if (child == 0) {
    close(fds[0]);
    _exit(run_service(fds[1]));
  }
  close(fds[1]);
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(fds[0]);
  bool ok = false;
  if (!line.empty()) {
    Client client(PID::parse(line));
    Context context({.ip = "127.0.0.1", .port = 0});
    auto done = client.done();
    context.spawn(client);
    ok = done.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  }
  int status = 0;
  waitpid(child, &status, 0);
  ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::cout << (ok ? "protobuf service done" : "protobuf service FAILED") << std::endl;
  return ok ? 0 : 1;
}
