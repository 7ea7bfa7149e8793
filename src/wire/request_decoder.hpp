// SPDX-License-Identifier: Apache-2.0
#pragma once
// Incremental HTTP/1.x request decoder over picohttpparser (h2o's parser): bytes in, complete
// requests out, one at a time (decode) or to a sink (feed). Handles Content-Length, chunked and
// empty bodies, pipelining, gzip bodies, and rejects bodies over a limit from the headers, before
// buffering them. The head of a request is bounded (kMaxHeadSize, kMaxHeaderFields).

#include "wire/byte_budget.hpp"
#include "wire/picohttpparser.hpp"
#include "wire/request.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace compactor::wire {

// Receives the requests of RequestDecoder::feed.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  // Called once per complete request, in order. Return false to stop decoding (for example after
  // a request that closes the connection); feed() then returns DecodeStatus::stopped.
  virtual bool on_request(Request& request) = 0;
};

// Why decoding stopped.
enum class DecodeStatus {
  ok,              // all bytes consumed, waiting for more
  stopped,         // the sink asked to stop
  malformed,       // not HTTP (answer 400 and close)
  body_too_large,  // over max_body_size (answer 413 and close)
  over_budget,     // the context's body budget is spent (answer 503 and close)
};

// Not thread-safe: one decoder per connection, fed from one thread.
class RequestDecoder {
 public:
  // The largest request head (request line and header fields) and the most fields in it.
  static constexpr std::size_t kMaxHeadSize = 80 * 1024;
  static constexpr std::size_t kMaxHeaderFields = 100;

  // `budget`, if given, is shared with other decoders and charged for the body being buffered.
  explicit RequestDecoder(std::size_t max_body_size, ByteBudget* budget = nullptr);
  // As above, for feed(), which hands each request to `sink`.
  RequestDecoder(RequestSink& sink, std::size_t max_body_size, ByteBudget* budget = nullptr);
  ~RequestDecoder();

  RequestDecoder(const RequestDecoder&) = delete;
  RequestDecoder& operator=(const RequestDecoder&) = delete;

  // Decodes the next bytes of the stream up to the end of the next request: `request` says that
  // one is complete (request() has it), `consumed` how many bytes it took; decode the rest next.
  // No bytes decode nothing (it is not the end of the stream). Once the status is not ok, the
  // decoder is finished and further calls return the same status.
  struct Decoded {
    DecodeStatus status = DecodeStatus::ok;
    std::size_t consumed = 0;
    bool request = false;
  };
  Decoded decode(std::string_view bytes);
  // The request decode() completed last; valid until the next call.
  Request& request() { return request_; }

  // Decodes `size` bytes, handing each request completed to the sink, until it asks to stop.
  DecodeStatus feed(const char* data, std::size_t size);

  // What went wrong, for the 400/413 answer and the log ("request head longer than 81920 bytes",
  // ...).
  const std::string& error_detail() const { return error_detail_; }

  // True if a request has started but not completed (bytes are buffered).
  bool in_request() const { return in_request_; }

 private:
  enum class Stage { head, sized_body, chunked_body, complete };

  // Each takes what it can of `bytes` for the request under way and says how much it took.
  std::size_t read_head(std::string_view bytes);
  std::size_t read_sized_body(std::string_view bytes);
  std::size_t read_chunked_body(std::string_view bytes);
  // The head parsed at the start of `text` (head_ itself or a read that holds all of it).
  void take_head(std::string_view text, std::size_t head_size, std::string_view method,
                 std::string_view target, int minor_version, const phr_header* fields,
                 std::size_t field_count);
  // How the body is framed, from the header fields; the next stage, or fails.
  void frame_body();

  void fail(DecodeStatus status, std::string detail);
  // Charges the budget so that it covers `bytes` of body in all; fails (false) when it cannot.
  bool charge(std::size_t bytes);
  void release_charge();
  void complete_request();

  RequestSink* sink_ = nullptr;  // feed()'s
  std::size_t max_body_size_;
  ByteBudget* budget_;
  std::size_t charged_ = 0;  // taken from budget_ for the body being buffered
  DecodeStatus status_ = DecodeStatus::ok;
  std::string error_detail_;
  Stage stage_ = Stage::complete;
  bool in_request_ = false;
  bool upgrade_ = false;  // the request handed out last asked to switch protocols

  std::string head_;              // the head of the request under way, or handed out last
  std::size_t body_left_ = 0;     // Content-Length bytes still to come
  phr_chunked_decoder chunks_{};  // the chunked body under way
  Request request_;
  std::string inflated_;
};

}  // namespace compactor::wire
