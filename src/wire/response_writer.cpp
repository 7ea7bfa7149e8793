#include "wire/response_writer.hpp"

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

void append_accepted(std::string& out, bool close) {
  append_response(out, 202, "Accepted", {}, {}, close);
}

void append_not_found(std::string& out, bool close) {
  append_response(out, 404, "Not Found", "text/plain; charset=utf-8", "404 Not Found.", close);
}

void append_bad_request(std::string& out, std::string_view detail, bool close) {
  append_response(out, 400, "Bad Request", "text/plain; charset=utf-8", detail, close);
}

void append_payload_too_large(std::string& out, std::string_view detail) {
  append_response(out, 413, "Payload Too Large", "text/plain; charset=utf-8", detail, true);
}

}  // namespace compactor::wire
