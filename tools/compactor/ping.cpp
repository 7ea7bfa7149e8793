// SPDX-License-Identifier: Apache-2.0
// compactor ping: keeps W pings in flight to a PID until N pongs came back; reports rate and
// round-trip percentiles. With --ask, each round trip is a Process::ask from W coroutines.

#include "commands.hpp"

#include <compactor/compactor.hpp>

#include <fmt/core.h>
#include <unistd.h>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <vector>

namespace compactor::tool {
namespace {

using Clock = std::chrono::steady_clock;

struct PingPlan {
  PID target;
  std::size_t count = 1000;
  std::size_t in_flight = 1;
  std::size_t size = 0;
  bool link = false;
  bool ask = false;  // each ping an ask (a fresh __req_res__ PID), W coroutines asking in turn
};

struct PingResult {
  std::vector<Clock::duration> round_trips;
  Clock::duration elapsed{};
  std::string failure;
};

class Pinger : public Process {
 public:
  explicit Pinger(PingPlan plan)
      : Process("ping"), plan_(std::move(plan)), body_(plan_.size, 'x') {}

  std::future<PingResult> result() { return done_.get_future(); }

  // The round trips so far (any thread), for a run cut short.
  std::vector<Clock::duration> round_trips_so_far() {
    std::lock_guard lock(mutex_);
    return result_.round_trips;
  }
  std::size_t pongs() {
    std::lock_guard lock(mutex_);
    return result_.round_trips.size();
  }

 protected:
  void initialize() override {
    install("pong", &Pinger::pong);
    if (plan_.link) link(plan_.target);
    {
      std::lock_guard lock(mutex_);  // the main thread may read the round trips at any time
      result_.round_trips.reserve(plan_.count);
    }
    started_ = Clock::now();
    const auto first = std::min(plan_.in_flight, plan_.count);
    for (std::size_t i = 0; i < first; ++i) {
      if (plan_.ask) {
        launch(keep_asking());
      } else {
        send_ping();
      }
    }
  }

  void exited(const PID& pid) override { finish("lost the connection to " + pid.to_string()); }

 private:
  void send_ping() {
    sent_at_.push_back(Clock::now());
    ++sent_;
    send(plan_.target, "ping", body_);
  }

  void pong(const PID&, std::string_view) {
    if (finished_ || sent_at_.empty()) return;
    const auto sent_at = sent_at_.front();
    sent_at_.pop_front();
    if (record(Clock::now() - sent_at) && sent_ < plan_.count) send_ping();
  }

  // One of the W coroutines of --ask: asks until the count is reached or an ask fails.
  Task<> keep_asking() {
    while (!finished_ && sent_ < plan_.count) {
      ++sent_;
      const auto sent_at = Clock::now();
      try {
        co_await ask(plan_.target, "ping", body_, std::chrono::seconds(10));
      } catch (const FutureFailed& failed) {
        finish(failed.what());
        co_return;
      }
      if (!record(Clock::now() - sent_at)) co_return;
    }
  }

  // A round trip came back; false once it was the last.
  bool record(Clock::duration round_trip) {
    std::size_t pongs;
    {
      std::lock_guard lock(mutex_);
      result_.round_trips.push_back(round_trip);
      pongs = result_.round_trips.size();
    }
    if (pongs < plan_.count) return true;
    finish({});
    return false;
  }

  void finish(std::string failure) {
    if (finished_) return;
    finished_ = true;
    std::lock_guard lock(mutex_);
    result_.elapsed = Clock::now() - started_;
    result_.failure = std::move(failure);
    done_.set_value(result_);
  }

  PingPlan plan_;
  std::string body_;
  std::deque<Clock::time_point> sent_at_;
  std::size_t sent_ = 0;
  Clock::time_point started_;
  std::mutex mutex_;  // guards result_, which the tool's thread reads when a run is cut short
  PingResult result_;
  bool finished_ = false;
  std::promise<PingResult> done_;
};

// Why nothing answers at `address`: a TCP connect tells refused from unreachable from silent.
std::string diagnose(const Address& address) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  std::error_code result = asio::error::timed_out;
  socket.async_connect({asio::ip::make_address(address.ip), address.port},
                       [&](const std::error_code& error) { result = error; });
  io.run_for(std::chrono::seconds(3));
  if (!result)
    return "TCP connects to " + address.to_string() + ", but the pong process does not answer";
  return "cannot connect to " + address.to_string() + ": " + result.message();
}

double percentile_us(std::vector<Clock::duration> samples, double fraction) {
  if (samples.empty()) return 0;
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(samples.size() - 1));
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(index),
                   samples.end());
  return std::chrono::duration<double, std::micro>(samples[index]).count();
}

void print_statistics(const PingPlan& plan, const std::vector<Clock::duration>& round_trips,
                      Clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  fmt::print("{} round trips, {} in flight, {} bytes: {:.0f} msg/s, p50 {:.1f} us, p99 {:.1f} us\n",
             round_trips.size(), plan.in_flight, plan.size,
             seconds > 0 ? 2.0 * static_cast<double>(round_trips.size()) / seconds : 0.0,
             percentile_us(round_trips, 0.50), percentile_us(round_trips, 0.99));
  std::fflush(stdout);
}

}  // namespace

std::function<int()> add_ping(CLI::App& app) {
  auto* command = app.add_subcommand("ping", "measure round trips to a process that answers pong");
  struct Flags {
    ContextFlags context;
    std::string to;
    PingPlan plan;
    double timeout_s = 30;
  };
  auto flags = std::make_shared<Flags>();
  flags->context.add_to(*command);
  command->add_option("pid", flags->to, "the pong process, id@ip:port")->required();
  command->add_option("-n", flags->plan.count, "round trips (default 1000)")
      ->check(CLI::PositiveNumber);
  command->add_option("-w", flags->plan.in_flight, "pings in flight (default 1)")
      ->check(CLI::PositiveNumber);
  command->add_option("--size", flags->plan.size, "body bytes (default 0)");
  command->add_flag("--link", flags->plan.link, "link to the target first");
  command->add_flag("--ask", flags->plan.ask,
                    "each ping an ask (Process::ask from W coroutines) instead of a send");
  command->add_option("--timeout", flags->timeout_s,
                      "give up after this many seconds (default 30)");
  return [flags] {
    const auto& plan = flags->plan;
    flags->plan.target = PID::parse(flags->to);
    Pinger pinger(plan);  // before the context, which terminates it when destroyed
    Context context(flags->context.options());
    auto future = pinger.result();
    const auto started = Clock::now();
    context.spawn(pinger);
    const auto deadline = started + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(flags->timeout_s));
    const bool progress = isatty(STDERR_FILENO) != 0;
    auto last_progress = started;
    std::string stopped;  // why the run was cut short
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      if (wait_for_signal(std::chrono::milliseconds(10))) {
        stopped = "interrupted";
      } else if (Clock::now() >= deadline) {
        stopped = fmt::format("timed out after {} s", flags->timeout_s);
      }
      if (!stopped.empty()) break;
      if (progress && Clock::now() - last_progress >= std::chrono::seconds(1)) {
        last_progress = Clock::now();
        fmt::print(stderr, "\r{} of {} pongs", pinger.pongs(), plan.count);
        std::fflush(stderr);
      }
    }
    if (progress && last_progress != started) fmt::print(stderr, "\r\x1b[K");
    if (!stopped.empty()) {
      const auto round_trips = pinger.round_trips_so_far();
      print_statistics(plan, round_trips, Clock::now() - started);
      fmt::print(stderr, "error: {}; {} of {} pongs came back{}\n", stopped, round_trips.size(),
                 plan.count, round_trips.empty() ? "; " + diagnose(plan.target.address) : "");
      std::fflush(stderr);
      std::_Exit(1);  // the pinger may still be running; nothing left to clean up gracefully
    }
    const PingResult result = future.get();
    if (!result.failure.empty()) {
      print_statistics(plan, result.round_trips, result.elapsed);
      fmt::print(stderr, "error: {}; {} of {} pongs came back; {}\n", result.failure,
                 result.round_trips.size(), plan.count, diagnose(plan.target.address));
      return 1;
    }
    // The summary last, as ping(8) does, so that a script can take it with tail -1.
    if (auto security = context.connection_security(plan.target.address)) {
      fmt::print("connection: {}\n", *security);
    }
    print_statistics(plan, result.round_trips, result.elapsed);
    return 0;
  };
}

}  // namespace compactor::tool
