// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/serf_channel.hpp>

#include "runtime/logging.hpp"

#include <asio.hpp>
#include <msgpack.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace compactor::beacon {
namespace {

// What an agent may send us: small headers and records with a payload under 9 KB (Serf's hard
// maximum for a user event); anything larger is not an agent talking.
const msgpack::unpack_limit kLimits(/*array=*/64, /*map=*/64, /*str=*/16 * 1024,
                                    /*bin=*/16 * 1024, /*ext=*/0, /*depth=*/4);

// One request, as the agent's RPC reads it: a header map, then the body map if there is one.
class Request {
 public:
  Request(std::string_view command, std::uint64_t seq, std::uint32_t body_fields)
      : packer_(buffer_) {
    packer_.pack_map(2);
    key("Command").pack(command);
    key("Seq").pack_uint64(seq);
    if (body_fields > 0) packer_.pack_map(body_fields);
  }
  // Map keys must be str: a bin key makes the agent drop the connection.
  msgpack::packer<msgpack::sbuffer>& key(std::string_view name) { return packer_.pack(name); }
  Request& field(std::string_view name, std::string_view text) {
    key(name).pack(text);
    return *this;
  }
  Request& bytes(std::string_view name, std::string_view data) {
    key(name).pack_bin(static_cast<std::uint32_t>(data.size()));
    packer_.pack_bin_body(data.data(), static_cast<std::uint32_t>(data.size()));
    return *this;
  }
  std::string take() { return std::string(buffer_.data(), buffer_.size()); }

 private:
  msgpack::sbuffer buffer_;
  msgpack::packer<msgpack::sbuffer> packer_;
};

// A str or bin value of a map, by key.
std::optional<std::string_view> text_at(const msgpack::object& map, std::string_view name) {
  if (map.type != msgpack::type::MAP) return std::nullopt;
  for (const auto& kv : std::span(map.via.map.ptr, map.via.map.size)) {
    if (kv.key.type != msgpack::type::STR || kv.key.as<std::string_view>() != name) continue;
    if (kv.val.type == msgpack::type::STR)
      return std::string_view(kv.val.via.str.ptr, kv.val.via.str.size);
    if (kv.val.type == msgpack::type::BIN)
      return std::string_view(kv.val.via.bin.ptr, kv.val.via.bin.size);
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> seq_of(const msgpack::object& map) {
  if (map.type != msgpack::type::MAP) return std::nullopt;
  for (const auto& kv : std::span(map.via.map.ptr, map.via.map.size)) {
    if (kv.key.type == msgpack::type::STR && kv.key.as<std::string_view>() == "Seq" &&
        kv.val.type == msgpack::type::POSITIVE_INTEGER) {
      return kv.val.via.u64;
    }
  }
  return std::nullopt;
}

// The agent's RPC over one TCP connection at a time, on the channel's own asio thread.
class SerfChannel final : public Channel {
 public:
  explicit SerfChannel(SerfOptions options)
      : options_(std::move(options)),
        clock_(options_.clock ? *options_.clock : Clock::system()),
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
    const std::size_t size = encoded_size(payload.size());
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
      const auto seq = next_seq_++;
      pending_[seq] = "event";
      Request event("event", seq, 3);
      event.field("Name", options_.name).bytes("Payload", payload).key("Coalesce").pack_false();
      write(event.take());
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
      std::error_code ignored;
      if (streaming_now_ && outbox_.empty()) {
        // End the stream as the RPC says; a few bytes on loopback, so written at once.
        Request stop("stop", next_seq_++, 1);
        stop.key("Stop").pack_uint64(stream_seq_);
        const std::string bytes = stop.take();
        asio::write(socket_, asio::buffer(bytes), ignored);
      }
      socket_.close(ignored);
      io_.stop();
    });
    thread_.join();
  }

  std::string describe() const override {
    return "serf://" + options_.host + ":" + std::to_string(options_.port) + "/" + options_.name;
  }

 private:
  // The agent checks name + payload, then the event as it gossips it: a type byte and the
  // msgpack map {LTime, Name, Payload, CC}. With the Lamport time at its widest (9 bytes), that
  // is 34 bytes more than name and payload, plus their length headers.
  std::size_t encoded_size(std::size_t payload) const {
    const std::size_t name = options_.name.size();
    const std::size_t name_header = name < 32 ? 1 : name < 256 ? 2 : 3;
    const std::size_t payload_header = payload < 256 ? 2 : payload < 65536 ? 3 : 5;
    return 34 + name_header + name + payload_header + payload;
  }

  // --- on the asio thread ---

  void connect() {
    socket_ = asio::ip::tcp::socket(io_);
    unpacker_ = std::make_unique<msgpack::unpacker>(nullptr, nullptr,
                                                    MSGPACK_UNPACKER_INIT_BUFFER_SIZE, kLimits);
    pending_.clear();
    outbox_.clear();
    stream_seq_ = 0;
    expect_record_ = false;
    asio::error_code error;
    const auto address = asio::ip::make_address(options_.host, error);
    if (error) return fail("bad agent address " + options_.host);
    socket_.async_connect({address, options_.port}, [this](const asio::error_code& error) {
      if (error) return fail("cannot connect: " + error.message());
      // handshake, auth, stream: pipelined, answered in order.
      const auto handshake = next_seq_++;
      pending_[handshake] = "handshake";
      Request hello("handshake", handshake, 1);
      hello.key("Version").pack(1);
      write(hello.take());
      if (!options_.auth_key.empty()) {
        const auto auth = next_seq_++;
        pending_[auth] = "auth";
        Request login("auth", auth, 1);
        login.field("AuthKey", options_.auth_key);
        write(login.take());
      }
      stream_seq_ = next_seq_++;
      Request stream("stream", stream_seq_, 1);
      stream.field("Type", "user:" + options_.name);
      write(stream.take());
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
                        if (!outbox_.empty()) write_next();
                      });
  }

  void read() {
    unpacker_->reserve_buffer(64 * 1024);
    socket_.async_read_some(asio::buffer(unpacker_->buffer(), unpacker_->buffer_capacity()),
                            [this](const asio::error_code& error, std::size_t length) {
                              if (error)
                                return fail(error == asio::error::eof
                                                ? "the agent closed the connection"
                                                : "read: " + error.message());
                              unpacker_->buffer_consumed(length);
                              try {
                                msgpack::object_handle handle;
                                while (unpacker_->next(handle)) {
                                  if (!handle_object(handle.get())) return;
                                }
                              } catch (const std::exception& bad) {
                                return fail(std::string("not Serf RPC: ") + bad.what());
                              }
                              read();
                            });
  }

  // False when the connection was given up.
  bool handle_object(const msgpack::object& object) {
    if (expect_record_) {  // the body of a streamed event
      expect_record_ = false;
      const auto name = text_at(object, "Name");
      const auto payload = text_at(object, "Payload");
      if (name && payload && *name == options_.name) receiver_(*payload);
      return true;
    }
    const auto seq = seq_of(object);
    if (!seq) {
      fail("a response without Seq");
      return false;
    }
    const auto error = text_at(object, "Error").value_or("");
    if (*seq == stream_seq_) {
      if (!streaming_now_) {
        if (!error.empty()) {
          fail("stream refused: " + std::string(error));
          return false;
        }
        streaming_now_ = true;
        stream_up();
      } else {
        expect_record_ = true;  // a record: header, then body
      }
      return true;
    }
    const auto request = pending_.find(*seq);
    if (request == pending_.end()) {
      fail("an answer to no request (Seq " + std::to_string(*seq) + ")");
      return false;
    }
    const std::string what = request->second;
    pending_.erase(request);
    if (error.empty()) return true;
    if (what == "event") {  // the agent refused one payload; the connection is fine
      runtime::log().warn("{}: the agent refused an event: {}", describe(), error);
      return true;
    }
    fail(what + " refused: " + std::string(error));
    return false;
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
    std::error_code ignored;
    socket_.close(ignored);
    const bool was_up = std::exchange(streaming_now_, false);
    StatusListener status;
    {
      std::lock_guard lock(mutex_);
      streaming_ = false;
      if (closed_) return;
      status = status_;
      if (problem != last_problem_) runtime::log().warn("{}: {}", describe(), problem);
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
  std::unique_ptr<msgpack::unpacker> unpacker_;
  std::deque<std::string> outbox_;
  std::map<std::uint64_t, std::string> pending_;  // Seq -> command, for header-only answers
  std::uint64_t next_seq_ = 0;
  std::uint64_t stream_seq_ = 0;
  bool streaming_now_ = false;  // the asio thread's view of streaming_
  bool expect_record_ = false;
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
