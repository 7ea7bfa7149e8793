#include "wire/response_writer.hpp"

#include "wire/gzip.hpp"
#include "wire/request.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

namespace compactor::wire {

std::string_view http_date() {
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
  return {text, size};
}

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

}  // namespace

void append_http_response(std::string& out, const http::Response& response, bool close,
                          bool gzip_ok) {
  const bool compress =
      gzip_ok && response.body.size() >= kGzipThreshold &&
      std::none_of(response.headers.begin(), response.headers.end(),
                   [](const auto& h) { return iequals(h.first, "Content-Encoding"); });
  const std::string compressed = compress ? gzip(response.body) : std::string();
  const std::string_view body = compress ? std::string_view(compressed) : response.body;
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
  if (compress) out += "\r\nContent-Encoding: gzip";
  out += "\r\nContent-Length: ";
  out.append(number, std::to_chars(number, number + sizeof number, body.size()).ptr);
  if (close) out += "\r\nConnection: close";
  out += "\r\n\r\n";
  out += body;
}

void append_accepted(std::string& out, bool close) {
  append_response(out, 202, "Accepted", {}, {}, close);
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
