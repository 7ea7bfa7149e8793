// SPDX-License-Identifier: Apache-2.0
#pragma once
// One HTTP request as the decoder hands it over.

#include "util/headers.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace compactor::wire {

// A header field; the views point into the decoder and live as long as the Request.
struct Header {
  std::string_view name;
  std::string_view value;
};

// A complete request. Its views are valid only during RequestSink::on_request; the body is owned
// and may be moved out.
struct Request {
  std::string_view method;  // "POST", "GET", ...
  std::string_view target;  // as sent: "/pong/hello?x=1"
  std::vector<Header> headers;
  std::string body;  // after chunked and gzip decoding
  bool keep_alive = true;
  unsigned http_major = 1;
  unsigned http_minor = 1;

  // The value of the first header named `name` (any case), or "" when there is none.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

using util::iequals;

}  // namespace compactor::wire
