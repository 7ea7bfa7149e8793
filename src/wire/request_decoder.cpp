// SPDX-License-Identifier: Apache-2.0
#include "wire/request_decoder.hpp"

#include "wire/gzip.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace compactor::wire {
namespace {

// How far past the chunk being read a chunked body is copied before it is decoded: enough for
// the next size line and the end of the body. The rest of a read may be further requests, and
// is left where it is.
constexpr std::size_t kChunkFramingWindow = 64;

std::string_view view_of(const char* data, std::size_t size) { return {data, size}; }

// The Content-Length value: digits only, at most 18 of them (no overflow).
std::optional<std::size_t> content_length_of(std::string_view value) {
  std::size_t length = 0;
  if (value.empty() || value.size() > 18) return std::nullopt;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
  if (error != std::errc() || end != value.data() + value.size()) return std::nullopt;
  return length;
}

}  // namespace

RequestDecoder::RequestDecoder(std::size_t max_body_size, ByteBudget* budget)
    : max_body_size_(max_body_size), budget_(budget) {}

RequestDecoder::RequestDecoder(RequestSink& sink, std::size_t max_body_size, ByteBudget* budget)
    : RequestDecoder(max_body_size, budget) {
  sink_ = &sink;
}

RequestDecoder::~RequestDecoder() { release_charge(); }

bool RequestDecoder::charge(std::size_t bytes) {
  if (budget_ == nullptr || bytes <= charged_) return true;
  if (!budget_->take(bytes - charged_)) {
    fail(DecodeStatus::over_budget, "no room for a body of " + std::to_string(bytes) +
                                        " bytes: " + std::to_string(budget_->used()) +
                                        " of the context's " + std::to_string(budget_->limit()) +
                                        " body bytes are buffered");
    return false;
  }
  charged_ = bytes;
  return true;
}

void RequestDecoder::release_charge() {
  if (budget_ != nullptr && charged_ > 0) budget_->give(charged_);
  charged_ = 0;
}

RequestDecoder::Decoded RequestDecoder::decode(std::string_view bytes) {
  // A request that asked to switch protocols is handed out, and is the last.
  if (status_ == DecodeStatus::ok && upgrade_) {
    fail(DecodeStatus::malformed, "protocol upgrade not supported");
  }
  // No bytes (a read that brought part of a TLS record) are not the end of the stream.
  if (status_ != DecodeStatus::ok || bytes.empty()) return {.status = status_};
  std::size_t consumed = 0;
  if (stage_ == Stage::complete || stage_ == Stage::head) consumed = read_head(bytes);
  const auto rest = bytes.substr(consumed);
  if (status_ == DecodeStatus::ok && stage_ == Stage::sized_body) {
    consumed += read_sized_body(rest);
  } else if (status_ == DecodeStatus::ok && stage_ == Stage::chunked_body) {
    consumed += read_chunked_body(rest);
  }
  if (status_ != DecodeStatus::ok || stage_ != Stage::complete) {
    return {.status = status_, .consumed = consumed};
  }
  complete_request();
  return {.status = status_, .consumed = consumed, .request = status_ == DecodeStatus::ok};
}

DecodeStatus RequestDecoder::feed(const char* data, std::size_t size) {
  std::string_view rest(data, size);
  for (;;) {
    const auto decoded = decode(rest);
    rest.remove_prefix(decoded.consumed);
    if (!decoded.request) return decoded.status;
    if (!sink_->on_request(request_)) {
      status_ = DecodeStatus::stopped;
      return status_;
    }
  }
}

void RequestDecoder::fail(DecodeStatus status, std::string detail) {
  if (status_ == DecodeStatus::ok) {
    status_ = status;
    error_detail_ = std::move(detail);
  }
}

std::size_t RequestDecoder::read_head(std::string_view bytes) {
  if (stage_ == Stage::complete) {  // the first bytes of a request
    stage_ = Stage::head;
    in_request_ = true;
    head_.clear();
    request_.body.clear();
  }
  // A head that arrives whole is parsed where it is (the common case: no copy of the read);
  // one split across reads is gathered in head_, up to the bound.
  const std::size_t seen = head_.size();
  std::string_view text = bytes.substr(0, kMaxHeadSize);
  if (seen > 0) {
    head_.append(bytes.substr(0, kMaxHeadSize - seen));
    text = head_;
  }
  const char* method = nullptr;
  const char* target = nullptr;
  std::size_t method_size = 0, target_size = 0, field_count = kMaxHeaderFields;
  int minor_version = 0;
  std::array<phr_header, kMaxHeaderFields> fields;
  const int head_size =
      phr_parse_request(text.data(), text.size(), &method, &method_size, &target, &target_size,
                        &minor_version, fields.data(), &field_count, seen);
  if (head_size == -1) {
    fail(DecodeStatus::malformed, "not an HTTP/1.x request head (or more than " +
                                      std::to_string(kMaxHeaderFields) + " header fields)");
    return 0;
  }
  if (head_size == -2) {
    if (text.size() >= kMaxHeadSize) {
      fail(DecodeStatus::malformed,
           "request head longer than " + std::to_string(kMaxHeadSize) + " bytes");
      return 0;
    }
    if (seen == 0) head_.assign(bytes);  // all of it is head so far
    return bytes.size();
  }
  take_head(text, static_cast<std::size_t>(head_size), view_of(method, method_size),
            view_of(target, target_size), minor_version, fields.data(), field_count);
  return static_cast<std::size_t>(head_size) - seen;
}

void RequestDecoder::take_head(std::string_view text, std::size_t head_size,
                               std::string_view method, std::string_view target, int minor_version,
                               const phr_header* fields, std::size_t field_count) {
  // The request's views point into head_, which outlives the read they came from.
  if (text.data() != head_.data()) head_.assign(text.substr(0, head_size));
  head_.resize(head_size);
  auto in_head = [&](const char* data, std::size_t size) {
    return std::string_view(head_).substr(static_cast<std::size_t>(data - text.data()), size);
  };
  request_.method = in_head(method.data(), method.size());
  request_.target = in_head(target.data(), target.size());
  request_.http_major = 1;
  request_.http_minor = static_cast<unsigned>(minor_version);
  request_.headers.clear();
  for (std::size_t i = 0; i < field_count; ++i) {
    if (fields[i].name == nullptr) {
      fail(DecodeStatus::malformed, "obsolete line folding in a header field");
      return;
    }
    // picohttpparser leaves out the whitespace before a value, not after it.
    auto value = in_head(fields[i].value, fields[i].value_len);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    request_.headers.push_back({in_head(fields[i].name, fields[i].name_len), value});
  }
  if (request_.target.empty() || request_.target.front() != '/') {
    fail(DecodeStatus::malformed, "request target is not an absolute path");
    return;
  }
  frame_body();
}

void RequestDecoder::frame_body() {
  bool chunked = false, close = false, keep_alive = false, connection_upgrade = false;
  std::optional<std::size_t> length;
  for (const auto& [name, value] : request_.headers) {
    if (iequals(name, "Content-Length")) {
      const auto declared = content_length_of(value);
      if (!declared || (length && *length != *declared)) {
        fail(DecodeStatus::malformed, "invalid Content-Length");
        return;
      }
      length = declared;
    } else if (iequals(name, "Transfer-Encoding")) {
      // Chunked must be the last coding: a body of any other would end only with the stream.
      std::string_view last = value.substr(value.rfind(',') + 1);
      chunked = iequals(util::trim_whitespace(last), "chunked");
      if (!chunked) {
        fail(DecodeStatus::malformed, "unsupported Transfer-Encoding");
        return;
      }
    } else if (iequals(name, "Connection")) {
      util::for_each_list_element(value, [&](std::string_view option) {
        close = close || iequals(option, "close");
        keep_alive = keep_alive || iequals(option, "keep-alive");
        connection_upgrade = connection_upgrade || iequals(option, "upgrade");
      });
    }
  }
  if (chunked && length) {  // which one frames the body is how requests are smuggled
    fail(DecodeStatus::malformed, "both Content-Length and Transfer-Encoding");
    return;
  }
  request_.keep_alive = request_.http_minor >= 1 ? !close : keep_alive && !close;
  upgrade_ = request_.method == "CONNECT" || (connection_upgrade && request_.has_header("Upgrade"));
  if (chunked) {
    chunks_ = {};
    chunks_.consume_trailer = 1;
    stage_ = Stage::chunked_body;
  } else if (length.value_or(0) > 0) {
    if (*length > max_body_size_) {
      fail(DecodeStatus::body_too_large, "body of " + std::to_string(*length) +
                                             " bytes exceeds max_body_size " +
                                             std::to_string(max_body_size_));
      return;
    }
    // The whole declared body is charged now: a peer that sends part of it and stalls holds it.
    if (!charge(*length)) return;
    request_.body.reserve(*length);
    body_left_ = *length;
    stage_ = Stage::sized_body;
  } else {
    stage_ = Stage::complete;
  }
}

std::size_t RequestDecoder::read_sized_body(std::string_view bytes) {
  const std::size_t taken = std::min(bytes.size(), body_left_);
  request_.body.append(bytes.substr(0, taken));
  body_left_ -= taken;
  if (body_left_ == 0) stage_ = Stage::complete;
  return taken;
}

std::size_t RequestDecoder::read_chunked_body(std::string_view bytes) {
  auto& body = request_.body;
  std::size_t consumed = 0;
  while (consumed < bytes.size()) {
    // The rest of the chunk being read and a window past it, decoded in place at the body's end;
    // at a size line (no chunk under way), on the stack, so that the body then grows once, to
    // what the line announces.
    const bool at_size_line = chunks_.bytes_left_in_chunk == 0;
    const std::size_t window =
        std::min(bytes.size() - consumed, chunks_.bytes_left_in_chunk + kChunkFramingWindow);
    const std::size_t start = body.size();
    char framing[kChunkFramingWindow];
    char* buffer = framing;
    if (at_size_line) {
      bytes.copy(framing, window, consumed);
    } else {
      body.append(bytes.substr(consumed, window));
      buffer = body.data() + start;
    }
    std::size_t decoded = window;
    const auto after_body = phr_decode_chunked(&chunks_, buffer, &decoded);
    if (!at_size_line) body.resize(start + decoded);
    if (after_body == -1) {
      fail(DecodeStatus::malformed, "invalid chunked body");
      return consumed;
    }
    const std::size_t size = start + decoded;
    if (size > max_body_size_) {
      fail(DecodeStatus::body_too_large,
           "chunked body exceeds max_body_size " + std::to_string(max_body_size_));
      return consumed;
    }
    // A chunk's declared size is refused from its size line, before any of it is buffered.
    if (chunks_.bytes_left_in_chunk > max_body_size_ - size) {
      fail(DecodeStatus::body_too_large, "a chunk announced makes the body " +
                                             std::to_string(size + chunks_.bytes_left_in_chunk) +
                                             " bytes, over max_body_size " +
                                             std::to_string(max_body_size_));
      return consumed;
    }
    // A chunk announced is charged at once, as a declared Content-Length is.
    if (!charge(size + chunks_.bytes_left_in_chunk)) return consumed;
    if (at_size_line) {
      if (chunks_.bytes_left_in_chunk > 0) {
        body.reserve(size + chunks_.bytes_left_in_chunk + kChunkFramingWindow);
      }
      body.append(framing, decoded);
    }
    if (after_body >= 0) {
      stage_ = Stage::complete;
      return consumed + window - static_cast<std::size_t>(after_body);
    }
    consumed += window;
  }
  return consumed;
}

void RequestDecoder::complete_request() {
  in_request_ = false;
  release_charge();  // the body now belongs to the request handed to the sink
  if (iequals(request_.header("Content-Encoding"), "gzip")) {
    switch (gunzip(request_.body, max_body_size_, inflated_)) {
      case GunzipResult::ok:
        request_.body.swap(inflated_);
        break;
      case GunzipResult::corrupt:
        return fail(DecodeStatus::malformed, "corrupt gzip body");
      case GunzipResult::too_large:
        return fail(DecodeStatus::body_too_large,
                    "inflated gzip body exceeds max_body_size " + std::to_string(max_body_size_));
    }
  }
}

}  // namespace compactor::wire
