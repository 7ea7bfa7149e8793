// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/serf_channel.hpp>

#include "core/logging.hpp"
#include "serf/rpc_session.hpp"

#include <asio.hpp>

#include <array>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace compactor::beacon {
namespace {

// The agent's RPC over one TCP connection at a time, on the channel's own asio thread.
class SerfChannel final : public Channel {
 public:
  explicit SerfChannel(SerfOptions options)
      : options_(std::move(options)),
        clock_(options_.clock ? *options_.clock : Clock::system()),
        session_(options_.name, options_.auth_key),
        backoff_(options_.reconnect_min) {
    if (options_.name.empty() || options_.name.find(',') != std::string::npos) {
      throw std::invalid_argument("Serf channel: the event name must be non-empty, without ','");
    }
  }

  ~SerfChannel() override { close(); }

  void open(Receiver receiver, StatusListener status) override {
    {
      std::lock_guard lock(mutex_);
      if (thread_.joinable()) return;
      receiver_ = std::move(receiver);
      status_ = std::move(status);
    }
    thread_ = std::thread([this] { io_.run(); });
    asio::post(io_, [this] { connect(); });
    std::unique_lock lock(mutex_);
    if (!streaming_changed_.wait_for(lock, options_.open_timeout, [this] { return streaming_; })) {
      const std::string problem = last_problem_;
      lock.unlock();
      close();
      throw std::runtime_error(describe() + ": no event stream within " +
                               std::to_string(options_.open_timeout.count()) + " ms (" + problem +
                               ")");
    }
  }

  void send(std::string_view payload) override {
    const std::size_t size = serf::RpcSession::event_size(options_.name, payload.size());
    if (size > options_.event_size_limit) {
      throw std::length_error(describe() + ": the user event takes up to " + std::to_string(size) +
                              " bytes as the agent encodes it, over its limit of " +
                              std::to_string(options_.event_size_limit) + " (payload " +
                              std::to_string(payload.size()) + " bytes)");
    }
    {
      std::lock_guard lock(mutex_);
      if (!streaming_) throw std::runtime_error(describe() + " is not connected");
    }
    asio::post(io_, [this, payload = std::string(payload)] {
      write(session_.event(payload));
      awaited_echo_ = payload;
    });
  }

  void close() override {
    Clock::TimerId reconnect;
    {
      std::lock_guard lock(mutex_);
      if (closed_ || !thread_.joinable()) return;
      closed_ = true;
      reconnect = reconnect_timer_;
    }
    if (reconnect != 0) clock_.cancel(reconnect);
    asio::post(io_, [this] {
      // Events sent before close() go out first (a member's goodbye), for at most a moment, and
      // the connection stays until the last one came back: Serf's agent (0.8.2, and its source
      // today) panics with "send on closed channel" when a client leaves while an event is being
      // handed to its stream, and takes every member on it down.
      closing_ = true;
      if (may_finish()) return finish();
      flush_timer_.expires_after(kFlushTimeout);
      flush_timer_.async_wait([this](const asio::error_code& error) {
        if (!error) finish();
      });
    });
    thread_.join();
  }

  std::string describe() const override {
    return "serf://" + options_.host + ":" + std::to_string(options_.port) + "/" + options_.name;
  }

  std::unique_ptr<Channel> sibling(std::string_view suffix) const override {
    SerfOptions options = options_;
    options.name += "." + std::string(suffix);
    return std::make_unique<SerfChannel>(std::move(options));
  }

 private:
  // --- on the asio thread ---

  bool may_finish() const { return outbox_.empty() && !awaited_echo_; }

  // The end of close(): stops the stream as the RPC says, closes, and ends the thread.
  void finish() {
    if (finished_) return;
    finished_ = true;
    std::error_code ignored;
    flush_timer_.cancel();
    if (outbox_.empty() && socket_.is_open()) {
      // A few bytes on loopback, so written at once.
      const std::string bytes = session_.stop();
      if (!bytes.empty()) asio::write(socket_, asio::buffer(bytes), ignored);
    }
    socket_.close(ignored);
    io_.stop();
  }

  void connect() {
    socket_ = asio::ip::tcp::socket(io_);
    outbox_.clear();
    awaited_echo_.reset();
    asio::error_code error;
    const auto address = asio::ip::make_address(options_.host, error);
    if (error) return fail("bad agent address " + options_.host);
    socket_.async_connect({address, options_.port}, [this](const asio::error_code& error) {
      if (error) return fail("cannot connect: " + error.message());
      write(session_.begin());
      read();
    });
  }

  void write(std::string bytes) {
    outbox_.push_back(std::move(bytes));
    if (outbox_.size() == 1) write_next();
  }

  void write_next() {
    asio::async_write(socket_, asio::buffer(outbox_.front()),
                      [this](const asio::error_code& error, std::size_t) {
                        if (error) return fail("write: " + error.message());
                        outbox_.pop_front();
                        if (!outbox_.empty()) return write_next();
                        if (closing_ && may_finish()) finish();
                      });
  }

  void read() {
    socket_.async_read_some(
        asio::buffer(read_buffer_), [this](const asio::error_code& error, std::size_t length) {
          if (error) {
            return fail(error == asio::error::eof ? "the agent closed the connection"
                                                  : "read: " + error.message());
          }
          const auto received = session_.received({read_buffer_.data(), length});
          if (received.stream_began) stream_up();  // the acknowledgement precedes the records
          for (const auto& payload : received.payloads) {
            if (payload == awaited_echo_) awaited_echo_.reset();
            receiver_(payload);
          }
          for (const auto& refusal : received.refused_events) {
            core::log().warn("{}: the agent refused an event: {}", describe(), refusal);
          }
          if (received.failure) return fail(*received.failure);
          if (closing_ && may_finish()) return finish();
          read();
        });
  }

  void stream_up() {
    backoff_ = options_.reconnect_min;
    StatusListener status;
    {
      std::lock_guard lock(mutex_);
      streaming_ = true;
      status = status_;
    }
    streaming_changed_.notify_all();
    if (status) status(true, "streaming user:" + options_.name);
  }

  // Drops the connection, says so, and tries again after the back-off.
  void fail(const std::string& problem) {
    if (closing_) return finish();
    std::error_code ignored;
    socket_.close(ignored);
    const bool was_up = session_.end();
    StatusListener status;
    {
      std::lock_guard lock(mutex_);
      streaming_ = false;
      if (closed_) return;
      status = status_;
      if (problem != last_problem_) core::log().warn("{}: {}", describe(), problem);
      last_problem_ = problem;
      reconnect_timer_ =
          clock_.schedule_after(backoff_, [this] { asio::post(io_, [this] { connect(); }); });
    }
    backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
    if (was_up && status) status(false, problem + "; reconnecting");
  }

  const SerfOptions options_;
  Clock& clock_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  asio::ip::tcp::socket socket_{io_};
  serf::RpcSession session_;  // on the asio thread
  std::array<char, 16 * 1024> read_buffer_;
  std::deque<std::string> outbox_;
  static constexpr std::chrono::milliseconds kFlushTimeout{1'000};
  asio::steady_timer flush_timer_{io_};
  std::optional<std::string> awaited_echo_;  // the last event sent, until it comes back
  bool closing_ = false;   // close() was called: finish once the outbox is written and echoed
  bool finished_ = false;  // finish() ran
  std::chrono::milliseconds backoff_;
  std::thread thread_;
  Receiver receiver_;

  std::mutex mutex_;  // guards what other threads read: the flags, status_, last_problem_
  std::condition_variable streaming_changed_;
  StatusListener status_;
  bool streaming_ = false;
  bool closed_ = false;
  Clock::TimerId reconnect_timer_ = 0;
  std::string last_problem_ = "no answer from the agent";
};

}  // namespace

std::unique_ptr<Channel> serf_channel(SerfOptions options) {
  return std::make_unique<SerfChannel>(std::move(options));
}

}  // namespace compactor::beacon
