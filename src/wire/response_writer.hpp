// SPDX-License-Identifier: Apache-2.0
#pragma once
// Writes the HTTP/1.1 answers a libprocess receiver gives, with Date and Content-Length.

#include <compactor/http.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace compactor::wire {

// Appends a complete response. `close` adds `Connection: close`.
void append_response(std::string& out, int status, std::string_view reason,
                     std::string_view content_type, std::string_view body, bool close);

// 202 Accepted, empty body: the answer to every message for an existing process.
void append_accepted(std::string& out, bool close);

// 404 Not Found with body "404 Not Found.", as libprocess answers.
void append_not_found(std::string& out, bool close);

// 400 Bad Request with a plain-text reason.
void append_bad_request(std::string& out, std::string_view detail, bool close);

// The answer before closing a connection whose request cannot be served: 400 Bad Request,
// 408 Request Timeout, 413 Payload Too Large or 503 Service Unavailable, with a plain-text reason
// and `Connection: close`.
void append_closing_error(std::string& out, int status, std::string_view detail);

// Whether an Accept-Encoding header value takes gzip: "gzip" or "*" with a quality above 0
// ("gzip;q=0" refuses it, "*" does not override an explicit "gzip;q=0"), as RFC 9110.
bool accepts_gzip(std::string_view accept_encoding);

// Appends the answer to an HTTP route: `response` with Date and Content-Length, gzip-compressed
// when the client accepts it (`gzip_ok`) and the body is large enough to gain from it.
void append_http_response(std::string& out, const http::Response& response, bool close,
                          bool gzip_ok);

// An answer as it is written: its head (status line, headers, blank line, and a small body) and
// a large body apart, written from where it is (shared by the answers that send the same bytes,
// or handed over by move), never copied per connection.
struct Answer {
  std::string head;
  std::shared_ptr<const std::string> body{};  // null: all of it is in head
  std::size_t size() const { return head.size() + (body ? body->size() : 0); }
};
// As append_http_response, without copying a large body.
Answer encode_http_response(http::Response response, bool close, bool gzip_ok);

// The current time as an HTTP Date value ("Sun, 22 Nov 2026 10:00:00 GMT"), recomputed once a
// second per thread.
std::string_view http_date();

}  // namespace compactor::wire
