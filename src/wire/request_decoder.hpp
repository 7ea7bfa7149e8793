// SPDX-License-Identifier: Apache-2.0
#pragma once
// Incremental HTTP/1.x request decoder over Node's http-parser (the parser libprocess uses):
// bytes in, complete requests out, one at a time (decode) or to a sink (feed). Handles
// Content-Length, chunked and empty bodies, pipelining, gzip bodies, and rejects bodies over a
// limit from the headers, before buffering them.

#include "wire/byte_budget.hpp"
#include "wire/request.hpp"

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

  // What went wrong, for the 400/413 answer and the log ("invalid HTTP method", ...).
  const std::string& error_detail() const { return error_detail_; }

  // True if a request has started but not completed (bytes are buffered).
  bool in_request() const { return in_request_; }

 private:
  // Where one header's name and value sit in header_text_.
  struct HeaderSpan {
    std::uint32_t name_offset = 0, name_size = 0, value_offset = 0, value_size = 0;
  };

  static const http_parser_settings& settings();
  static int on_message_begin(http_parser* parser);
  static int on_url(http_parser* parser, const char* at, std::size_t size);
  static int on_header_field(http_parser* parser, const char* at, std::size_t size);
  static int on_header_value(http_parser* parser, const char* at, std::size_t size);
  static int on_headers_complete(http_parser* parser);
  static int on_body(http_parser* parser, const char* at, std::size_t size);
  static int on_chunk_header(http_parser* parser);
  static int on_message_complete(http_parser* parser);

  int fail(DecodeStatus status, std::string detail);
  // Charges the budget so that it covers `bytes` of body in all; fails (-1) when it cannot.
  int charge(std::size_t bytes);
  void release_charge();
  int complete_request();

  RequestSink* sink_ = nullptr;  // feed()'s
  std::size_t max_body_size_;
  ByteBudget* budget_;
  std::size_t charged_ = 0;  // taken from budget_ for the body being buffered
  http_parser parser_{};
  DecodeStatus status_ = DecodeStatus::ok;
  std::string error_detail_;
  bool in_request_ = false;
  bool last_was_value_ = false;

  std::string url_;
  std::string header_text_;
  std::vector<HeaderSpan> header_spans_;
  Request request_;
  std::string inflated_;
};

}  // namespace compactor::wire
