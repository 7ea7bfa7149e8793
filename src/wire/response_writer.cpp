// SPDX-License-Identifier: Apache-2.0
#include "wire/response_writer.hpp"

#include "wire/gzip.hpp"
#include "wire/request.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <optional>

namespace compactor::wire {

namespace {

// The Date header's value, formatted once a second per thread; `second` says which.
struct DateText {
  std::time_t second;
  std::string_view text;
};

DateText current_date() {
  thread_local std::time_t cached_second = 0;
  thread_local char text[64];
  thread_local std::size_t size = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm parts{};
    gmtime_r(&now, &parts);
    size = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
    cached_second = now;
  }
  return {now, {text, size}};
}

}  // namespace

std::string_view http_date() { return current_date().text; }

void append_response(std::string& out, int status, std::string_view reason,
                     std::string_view content_type, std::string_view body, bool close) {
  char number[24];
  out += "HTTP/1.1 ";
  out.append(number, std::to_chars(number, number + sizeof number, status).ptr);
  out += ' ';
  out += reason;
  out += "\r\nDate: ";
  out += http_date();
  if (!content_type.empty()) {
    out += "\r\nContent-Type: ";
    out += content_type;
  }
  out += "\r\nContent-Length: ";
  out.append(number, std::to_chars(number, number + sizeof number, body.size()).ptr);
  if (close) out += "\r\nConnection: close";
  out += "\r\n\r\n";
  out += body;
}

namespace {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// Bodies smaller than this go as they are: compressing them gains too little.
constexpr std::size_t kGzipThreshold = 1024;

// The quality of one "coding;q=0.5" element: 1 without q, 0 for anything unreadable.
double quality_of(std::string_view parameters) {
  while (!parameters.empty()) {
    const auto semicolon = parameters.find(';');
    const auto parameter = util::trim_whitespace(parameters.substr(0, semicolon));
    if (parameter.size() > 2 && (parameter[0] == 'q' || parameter[0] == 'Q') &&
        parameter[1] == '=') {
      const std::string value(parameter.substr(2));
      char* end = nullptr;
      const double q = std::strtod(value.c_str(), &end);
      return end == value.c_str() + value.size() ? q : 0;
    }
    if (semicolon == std::string_view::npos) break;
    parameters.remove_prefix(semicolon + 1);
  }
  return 1;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<double> gzip, any;
  util::for_each_list_element(accept_encoding, [&](std::string_view element) {
    const auto semicolon = element.find(';');
    const auto coding = util::trim_whitespace(element.substr(0, semicolon));
    const double q =
        semicolon == std::string_view::npos ? 1 : quality_of(element.substr(semicolon + 1));
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) gzip = q;
    if (coding == "*") any = q;
  });
  return gzip ? *gzip > 0 : any.value_or(0) > 0;
}

namespace {

// The status line and headers of `response` for a body of `body_size` bytes, and the blank line.
void append_head(std::string& out, const http::Response& response, std::size_t body_size,
                 bool compressed, bool close) {
  char number[24];
  out += "HTTP/1.1 ";
  out.append(number, std::to_chars(number, number + sizeof number, response.status).ptr);
  out += ' ';
  out += reason_phrase(response.status);
  out += "\r\nDate: ";
  out += http_date();
  for (const auto& [name, value] : response.headers) {
    // The server's own framing headers win over a handler's.
    if (iequals(name, "Content-Length") || iequals(name, "Connection") || iequals(name, "Date") ||
        iequals(name, "Transfer-Encoding")) {
      continue;
    }
    out += "\r\n";
    out += name;
    out += ": ";
    out += value;
  }
  if (compressed) out += "\r\nContent-Encoding: gzip";
  out += "\r\nContent-Length: ";
  out.append(number, std::to_chars(number, number + sizeof number, body_size).ptr);
  if (close) out += "\r\nConnection: close";
  out += "\r\n\r\n";
}

bool worth_compressing(const http::Response& response, bool gzip_ok) {
  return gzip_ok && response.payload().size() >= kGzipThreshold &&
         !util::find_header(response.headers, "Content-Encoding");
}

// Bodies up to this size are copied after the head (one buffer to write); larger ones are
// written from where they are.
constexpr std::size_t kInlineBody = 4096;

}  // namespace

void append_http_response(std::string& out, const http::Response& response, bool close,
                          bool gzip_ok) {
  const bool compress = worth_compressing(response, gzip_ok);
  const std::string compressed = compress ? gzip(response.payload()) : std::string();
  const std::string_view body = compress ? std::string_view(compressed) : response.payload();
  append_head(out, response, body.size(), compress, close);
  out += body;
}

Answer encode_http_response(http::Response response, bool close, bool gzip_ok) {
  Answer answer;
  const bool compress = worth_compressing(response, gzip_ok);
  if (!compress && !response.shared_body && response.body.size() <= kInlineBody) {
    append_http_response(answer.head, response, close, false);  // small: one buffer, no sharing
    return answer;
  }
  std::shared_ptr<const std::string> body = std::move(response.shared_body);
  if (compress) {
    body = std::make_shared<const std::string>(gzip(body ? *body : response.body));
  } else if (!body) {
    body = std::make_shared<const std::string>(std::move(response.body));  // moved, not copied
  }
  append_head(answer.head, response, body->size(), compress, close);
  if (body->size() <= kInlineBody) {
    answer.head += *body;
  } else {
    answer.body = std::move(body);
  }
  return answer;
}

void append_accepted(std::string& out, bool close) {
  if (close) {
    append_response(out, 202, "Accepted", {}, {}, true);
    return;
  }
  // The answer to every message on a kept connection: made once a second (its Date), per thread.
  thread_local std::time_t made_at = 0;
  thread_local std::string made;
  if (const auto date = current_date(); date.second != made_at) {
    made.clear();
    append_response(made, 202, "Accepted", {}, {}, false);
    made_at = date.second;
  }
  out += made;
}

void append_not_found(std::string& out, bool close) {
  append_response(out, 404, "Not Found", "text/plain; charset=utf-8", "404 Not Found.", close);
}

void append_bad_request(std::string& out, std::string_view detail, bool close) {
  append_response(out, 400, "Bad Request", "text/plain; charset=utf-8", detail, close);
}

void append_closing_error(std::string& out, int status, std::string_view detail) {
  const std::string_view reason = status == 408   ? "Request Timeout"
                                  : status == 413 ? "Payload Too Large"
                                  : status == 503 ? "Service Unavailable"
                                                  : "Bad Request";
  append_response(out, status, reason, "text/plain; charset=utf-8", detail, true);
}

}  // namespace compactor::wire
