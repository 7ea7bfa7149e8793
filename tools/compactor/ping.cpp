// compactor ping: keeps W pings in flight to a PID until N pongs came back; reports rate and
// round-trip percentiles.

#include "commands.hpp"

#include <compactor/compactor.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
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

 protected:
  void initialize() override {
    install("pong", &Pinger::pong);
    if (plan_.link) link(plan_.target);
    result_.round_trips.reserve(plan_.count);
    started_ = Clock::now();
    const auto first = std::min(plan_.in_flight, plan_.count);
    for (std::size_t i = 0; i < first; ++i) send_ping();
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
    result_.round_trips.push_back(Clock::now() - sent_at_.front());
    sent_at_.pop_front();
    if (result_.round_trips.size() == plan_.count) {
      finish({});
    } else if (sent_ < plan_.count) {
      send_ping();
    }
  }

  void finish(std::string failure) {
    if (finished_) return;
    finished_ = true;
    result_.elapsed = Clock::now() - started_;
    result_.failure = std::move(failure);
    done_.set_value(std::move(result_));
  }

  PingPlan plan_;
  std::string body_;
  std::deque<Clock::time_point> sent_at_;
  std::size_t sent_ = 0;
  Clock::time_point started_;
  PingResult result_;
  bool finished_ = false;
  std::promise<PingResult> done_;
};

double percentile_us(std::vector<Clock::duration> samples, double fraction) {
  if (samples.empty()) return 0;
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(samples.size() - 1));
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(index),
                   samples.end());
  return std::chrono::duration<double, std::micro>(samples[index]).count();
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
  command->add_option("--timeout", flags->timeout_s,
                      "give up after this many seconds (default 30)");
  return [flags] {
    flags->plan.target = PID::parse(flags->to);
    Context context(flags->context.options());
    auto pinger = std::make_unique<Pinger>(flags->plan);
    auto future = pinger->result();
    context.spawn(std::move(pinger));
    const auto timeout = std::chrono::duration<double>(flags->timeout_s);
    if (future.wait_for(timeout) != std::future_status::ready) {
      fmt::print(stderr, "error: timed out after {} s waiting for {} pongs\n", flags->timeout_s,
                 flags->plan.count);
      std::fflush(stderr);
      std::_Exit(1);  // the pinger may still be running; nothing left to clean up gracefully
    }
    const PingResult result = future.get();
    if (!result.failure.empty()) {
      fmt::print(stderr, "error: {} after {} of {} pongs\n", result.failure,
                 result.round_trips.size(), flags->plan.count);
      return 1;
    }
    const double seconds = std::chrono::duration<double>(result.elapsed).count();
    fmt::print(
        "{} round trips, {} in flight, {} bytes: {:.0f} msg/s, p50 {:.1f} us, p99 {:.1f} us\n",
        flags->plan.count, flags->plan.in_flight, flags->plan.size,
        2.0 * static_cast<double>(flags->plan.count) / seconds,
        percentile_us(result.round_trips, 0.50), percentile_us(result.round_trips, 0.99));
    return 0;
  };
}

}  // namespace compactor::tool
