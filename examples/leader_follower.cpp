// The leader/follower handshake of Python compactor's README, across two OS processes.
//
// The leader answers "ping" with "pong". The follower links to the leader, pings it with a
// unique token, checks the pong carries it back, then asks the leader to stop. When the leader's
// process is gone the follower's link breaks and exited() tells it so.
//
// Run without arguments: the program forks the leader into a child process (its own context and
// port) and plays the follower itself; every step is printed.

#include <compactor/compactor.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>
#include <random>

using namespace compactor;
using SteadyClock = std::chrono::steady_clock;

class Leader : public Process {
 public:
  Leader() : Process("leader") {}

  void initialize() override {
    install("ping", &Leader::ping);
    install("stop", &Leader::stop);
  }

  void ping(const PID& from, std::string_view body) {
    std::cout << "leader:   ping from " << from << ", answering pong" << std::endl;
    send(from, "pong", body);
  }

  void stop(const PID& from, std::string_view) {
    std::cout << "leader:   " << from << " asked me to stop; terminating" << std::endl;
    terminate();
  }
};

class Follower : public Process {
 public:
  explicit Follower(PID leader) : Process("follower"), leader_(std::move(leader)) {}

  std::future<bool> done() { return done_.get_future(); }

  void initialize() override {
    install("pong", &Follower::pong);
    std::cout << "follower: I am " << self() << "; linking to " << leader_ << std::endl;
    link(leader_);
    token_ = std::to_string(std::random_device{}());
    sent_at_ = SteadyClock::now();
    send(leader_, "ping", token_);
    std::cout << "follower: sent ping with token " << token_ << std::endl;
  }

  void pong(const PID& from, std::string_view body) {
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - sent_at_);
    const bool ok = body == token_;
    std::cout << "follower: pong from " << from << " after " << us.count() << " us, token "
              << (ok ? "matches" : "DOES NOT match") << std::endl;
    if (!ok) return finish(false);
    send(leader_, "stop");
  }

  void exited(const PID& pid) override {
    std::cout << "follower: exited(" << pid << "): the leader is gone" << std::endl;
    finish(pid == leader_);
  }

 private:
  void finish(bool ok) {
    if (finished_) return;
    finished_ = true;
    done_.set_value(ok);
  }

  PID leader_;
  std::string token_;
  SteadyClock::time_point sent_at_;
  bool finished_ = false;
  std::promise<bool> done_;
};

// The leader's side: its own context; tells the parent its PID through `pipe_out`.
int run_leader(int pipe_out) {
  Context context({.ip = "127.0.0.1", .port = 0});
  const PID leader = context.spawn(std::make_unique<Leader>());
  std::cout << "leader:   listening as " << leader << std::endl;
  const std::string text = leader.to_string() + "\n";
  if (write(pipe_out, text.data(), text.size()) != static_cast<ssize_t>(text.size())) return 1;
  close(pipe_out);
  context.wait(leader, std::chrono::seconds(20));
  return 0;  // the context closes here, and with it the follower's link
}

int main() {
  std::cout.setf(std::ios::unitbuf);
  int fds[2];
  if (pipe(fds) != 0) return 1;
  const pid_t child = fork();  // before any thread exists
  if (child == 0) {
    close(fds[0]);
    _exit(run_leader(fds[1]));
  }
  close(fds[1]);
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(fds[0]);
  bool ok = false;
  {
    Context context({.ip = "127.0.0.1", .port = 0});
    auto follower = std::make_unique<Follower>(PID::parse(line));
    auto done = follower->done();
    context.spawn(std::move(follower));
    ok = done.wait_for(std::chrono::seconds(10)) == std::future_status::ready && done.get();
  }
  int status = 0;
  waitpid(child, &status, 0);
  ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::cout << (ok ? "handshake complete" : "handshake FAILED") << std::endl;
  return ok ? 0 : 1;
}
