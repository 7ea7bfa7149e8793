// SPDX-License-Identifier: Apache-2.0
#include "wire/request_decoder.hpp"

#include "wire/gzip.hpp"

#include <limits>

namespace compactor::wire {
namespace {

RequestDecoder& decoder_of(http_parser* parser) {
  return *static_cast<RequestDecoder*>(parser->data);
}

}  // namespace

RequestDecoder::RequestDecoder(std::size_t max_body_size, ByteBudget* budget)
    : max_body_size_(max_body_size), budget_(budget) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

RequestDecoder::RequestDecoder(RequestSink& sink, std::size_t max_body_size, ByteBudget* budget)
    : RequestDecoder(max_body_size, budget) {
  sink_ = &sink;
}

RequestDecoder::~RequestDecoder() { release_charge(); }

int RequestDecoder::charge(std::size_t bytes) {
  if (budget_ == nullptr || bytes <= charged_) return 0;
  if (!budget_->take(bytes - charged_)) {
    return fail(DecodeStatus::over_budget,
                "no room for a body of " + std::to_string(bytes) +
                    " bytes: " + std::to_string(budget_->used()) + " of the context's " +
                    std::to_string(budget_->limit()) + " body bytes are buffered");
  }
  charged_ = bytes;
  return 0;
}

void RequestDecoder::release_charge() {
  if (budget_ != nullptr && charged_ > 0) budget_->give(charged_);
  charged_ = 0;
}

RequestDecoder::Decoded RequestDecoder::decode(std::string_view bytes) {
  // A request that asked to upgrade the protocol is handed out, and is the last.
  if (status_ == DecodeStatus::ok && parser_.upgrade) {
    fail(DecodeStatus::malformed, "protocol upgrade not supported");
  }
  // No bytes (a read that brought part of a TLS record): nothing to do. To http-parser an empty
  // input would mean the end of the stream, and a request under way would be malformed.
  if (status_ != DecodeStatus::ok || bytes.empty()) return {.status = status_};
  // Paused at the end of the request handed out last (complete_request).
  if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED) http_parser_pause(&parser_, 0);
  const std::size_t parsed = http_parser_execute(&parser_, &settings(), bytes.data(), bytes.size());
  if (status_ != DecodeStatus::ok) return {.status = status_, .consumed = parsed};
  if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED) {
    return {.status = status_, .consumed = parsed, .request = true};
  }
  if (parser_.upgrade) {
    fail(DecodeStatus::malformed, "protocol upgrade not supported");
  } else if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK || parsed != bytes.size()) {
    fail(DecodeStatus::malformed, http_errno_description(HTTP_PARSER_ERRNO(&parser_)));
  }
  return {.status = status_, .consumed = parsed};
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

int RequestDecoder::fail(DecodeStatus status, std::string detail) {
  if (status_ == DecodeStatus::ok) {
    status_ = status;
    error_detail_ = std::move(detail);
  }
  return -1;  // any non-zero return stops http-parser
}

int RequestDecoder::on_message_begin(http_parser* parser) {
  auto& self = decoder_of(parser);
  self.in_request_ = true;
  self.last_was_value_ = false;
  self.url_.clear();
  self.header_text_.clear();
  self.header_spans_.clear();
  self.request_.body.clear();
  return 0;
}

int RequestDecoder::on_url(http_parser* parser, const char* at, std::size_t size) {
  decoder_of(parser).url_.append(at, size);
  return 0;
}

int RequestDecoder::on_header_field(http_parser* parser, const char* at, std::size_t size) {
  auto& self = decoder_of(parser);
  if (self.header_spans_.empty() || self.last_was_value_) {
    self.header_spans_.push_back({static_cast<std::uint32_t>(self.header_text_.size()), 0, 0, 0});
    self.last_was_value_ = false;
  }
  self.header_text_.append(at, size);
  self.header_spans_.back().name_size += static_cast<std::uint32_t>(size);
  return 0;
}

int RequestDecoder::on_header_value(http_parser* parser, const char* at, std::size_t size) {
  auto& self = decoder_of(parser);
  if (self.header_spans_.empty()) return 0;  // http-parser never does this; be safe anyway
  auto& span = self.header_spans_.back();
  if (!self.last_was_value_) {
    span.value_offset = static_cast<std::uint32_t>(self.header_text_.size());
    self.last_was_value_ = true;
  }
  self.header_text_.append(at, size);
  span.value_size += static_cast<std::uint32_t>(size);
  return 0;
}

int RequestDecoder::on_headers_complete(http_parser* parser) {
  auto& self = decoder_of(parser);
  const bool has_length = (parser->flags & F_CONTENTLENGTH) != 0;
  if (has_length && parser->content_length > self.max_body_size_) {
    return self.fail(DecodeStatus::body_too_large,
                     "body of " + std::to_string(parser->content_length) +
                         " bytes exceeds max_body_size " + std::to_string(self.max_body_size_));
  }
  if (has_length) {
    // The whole declared body is charged now: a peer that sends part of it and stalls holds it.
    if (self.charge(parser->content_length) != 0) return -1;
    self.request_.body.reserve(parser->content_length);
  }
  return 0;
}

int RequestDecoder::on_body(http_parser* parser, const char* at, std::size_t size) {
  auto& self = decoder_of(parser);
  if (self.request_.body.size() + size > self.max_body_size_) {  // chunked bodies grow here
    return self.fail(DecodeStatus::body_too_large,
                     "chunked body exceeds max_body_size " + std::to_string(self.max_body_size_));
  }
  if (self.charge(self.request_.body.size() + size) != 0) return -1;
  self.request_.body.append(at, size);
  return 0;
}

int RequestDecoder::on_chunk_header(http_parser* parser) {
  // http-parser puts the declared chunk size in content_length: refuse it before any of it
  // arrives, not once max_body_size bytes of it were buffered.
  auto& self = decoder_of(parser);
  if (parser->content_length > self.max_body_size_ - self.request_.body.size()) {
    return self.fail(DecodeStatus::body_too_large,
                     "chunk of " + std::to_string(parser->content_length) +
                         " bytes would make the body exceed max_body_size " +
                         std::to_string(self.max_body_size_));
  }
  return 0;
}

int RequestDecoder::on_message_complete(http_parser* parser) {
  return decoder_of(parser).complete_request();
}

int RequestDecoder::complete_request() {
  in_request_ = false;
  release_charge();  // the body now belongs to the request handed to the sink
  request_.method = http_method_str(static_cast<http_method>(parser_.method));
  request_.target = url_;
  request_.http_major = parser_.http_major;
  request_.http_minor = parser_.http_minor;
  request_.keep_alive = http_should_keep_alive(&parser_) != 0;
  request_.headers.clear();
  for (const auto& span : header_spans_) {
    request_.headers.push_back(
        {std::string_view(header_text_).substr(span.name_offset, span.name_size),
         std::string_view(header_text_).substr(span.value_offset, span.value_size)});
  }
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
  // Handed out by decode(): the parser stops here, and goes on from the next byte when asked to.
  http_parser_pause(&parser_, 1);
  return 0;
}

const http_parser_settings& RequestDecoder::settings() {
  static const http_parser_settings instance = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_message_begin = &RequestDecoder::on_message_begin;
    s.on_url = &RequestDecoder::on_url;
    s.on_header_field = &RequestDecoder::on_header_field;
    s.on_header_value = &RequestDecoder::on_header_value;
    s.on_headers_complete = &RequestDecoder::on_headers_complete;
    s.on_body = &RequestDecoder::on_body;
    s.on_chunk_header = &RequestDecoder::on_chunk_header;
    s.on_message_complete = &RequestDecoder::on_message_complete;
    return s;
  }();
  return instance;
}

}  // namespace compactor::wire
