// SPDX-License-Identifier: Apache-2.0
#include "connection/inbound_lifecycle.hpp"

#include "wire/response_writer.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace compactor::connection {

InboundLifecycle::InboundLifecycle(const InboundRules& rules, wire::RequestSink& sink,
                                   wire::BodyBudget* budget)
    : rules_(rules), sink_(sink), decoder_(*this, rules.max_body_size, budget) {}

bool InboundLifecycle::on_request(wire::Request& request) {
  ++requests_;
  return sink_.on_request(request);
}

void InboundLifecycle::begin_handshake(Time now) {
  handshaking_ = true;
  if (rules_.request_timeout.count() > 0) handshake_deadline_ = now + rules_.request_timeout;
}

void InboundLifecycle::handshake_done(RecordSealer* sealer) {
  handshaking_ = false;
  handshake_deadline_ = kNever;
  sealer_ = sealer;
}

InboundLifecycle::AfterRead InboundLifecycle::received(std::string_view bytes, Time now) {
  const auto status = decoder_.feed(bytes.data(), bytes.size());
  const bool congested = std::exchange(mailbox_congested_, false);
  if (status == wire::DecodeStatus::ok && !reading_done_) {
    if (congested || answers_backlogged()) {
      // A request that stalls because we stopped reading is not the peer's fault.
      request_since_ = kNever;
      (congested ? paused_for_mailbox_ : paused_for_answers_) = true;
      return congested ? AfterRead::pause_for_mailbox : AfterRead::pause_for_answers;
    }
    time_request(now);
    return AfterRead::read;
  }
  reading_done_ = true;
  request_since_ = kNever;
  if (status != wire::DecodeStatus::ok && status != wire::DecodeStatus::stopped) {
    // The bytes cannot be decoded: answer what we have, then say why and close.
    rejection_.status = status == wire::DecodeStatus::body_too_large ? 413
                        : status == wire::DecodeStatus::over_budget  ? 503
                                                                     : 400;
    rejection_.detail = decoder_.error_detail();
    wire::append_closing_error(answer_buffer(), rejection_.status, rejection_.detail);
  }
  return AfterRead::stop;
}

void InboundLifecycle::time_request(Time now) {
  if (rules_.request_timeout.count() == 0) return;
  if (!decoder_.in_request()) {
    request_since_ = kNever;
    return;
  }
  // The request under way began in this read if one ended in it (or none was under way).
  if (request_since_ == kNever || requests_ != requests_at_since_) {
    request_since_ = now;
    requests_at_since_ = requests_;
  }
}

bool InboundLifecycle::resume_for_mailbox(Time now) {
  if (!paused_for_mailbox_) return false;
  paused_for_mailbox_ = false;
  if (paused_for_answers_ || reading_done_) return false;  // next_write() reads again
  time_request(now);
  return true;
}

std::string& InboundLifecycle::answer_buffer() {
  if (awaited_.empty()) return answers_;
  awaited_.push_back({next_slot_++, true, {}});
  return awaited_.back().bytes;
}

std::uint64_t InboundLifecycle::await_answer() {
  const std::uint64_t slot = next_slot_++;
  awaited_.push_back({slot, false, {}});
  return slot;
}

void InboundLifecycle::answer_arrived(std::uint64_t slot, std::string bytes) {
  for (auto& awaited : awaited_) {
    if (awaited.id == slot) {
      awaited.ready = true;
      awaited.bytes = std::move(bytes);
      break;
    }
  }
  while (!awaited_.empty() && awaited_.front().ready) {
    answers_ += awaited_.front().bytes;
    awaited_.pop_front();
  }
}

bool InboundLifecycle::answers_backlogged() const {
  return answers_.size() + (writing_.size() - written_) > rules_.answer_backlog_bytes ||
         awaited_.size() > rules_.awaited_answers;
}

InboundLifecycle::Step InboundLifecycle::next_write(Time now) {
  Step step;
  if (write_in_flight_) return step;
  if (paused_for_answers_ && !answers_backlogged()) {
    paused_for_answers_ = false;
    if (!paused_for_mailbox_ && !reading_done_) {
      step.resume_reading = true;
      time_request(now);
    }
  }
  if (written_ == writing_.size()) {
    if (answers_.empty()) {
      if (reading_done_ && awaited_.empty()) step.what = Step::What::finish;
      return step;
    }
    writing_.clear();
    if (sealer_ != nullptr) {
      const bool sealed = sealer_->seal(answers_, writing_);
      answers_.clear();
      if (!sealed) {
        step.what = Step::What::fail;
        return step;
      }
    } else {
      writing_.swap(answers_);
    }
    written_ = 0;
  }
  write_in_flight_ = true;
  last_write_progress_ = now;
  step.what = Step::What::write;
  return step;
}

std::string_view InboundLifecycle::unwritten() const {
  return std::string_view(writing_).substr(written_);
}

void InboundLifecycle::wrote(std::size_t size, Time now) {
  write_in_flight_ = false;
  written_ += size;
  last_write_progress_ = now;
}

Time InboundLifecycle::next_deadline() const {
  Time due = handshake_deadline_;
  if (request_since_ != kNever && !reading_done_) {
    due = std::min(due, request_since_ + rules_.request_timeout);
  }
  if (write_in_flight_ && rules_.write_timeout.count() > 0) {
    due = std::min(due, last_write_progress_ + rules_.write_timeout);
  }
  return due;
}

InboundLifecycle::Due InboundLifecycle::on_deadline(Time now) {
  if (handshaking_ && now >= handshake_deadline_) return Due::handshake_timeout;
  if (write_in_flight_ && rules_.write_timeout.count() > 0 &&
      now - last_write_progress_ >= rules_.write_timeout) {
    return Due::write_timeout;
  }
  if (request_since_ != kNever && !reading_done_ && decoder_.in_request() &&
      now - request_since_ >= rules_.request_timeout) {
    reading_done_ = true;
    request_since_ = kNever;
    rejection_ = {408, fmt::format("request not complete within request_timeout {} ms",
                                   rules_.request_timeout.count())};
    wire::append_closing_error(answer_buffer(), rejection_.status, rejection_.detail);
    return Due::request_timeout;
  }
  return Due::nothing;
}

}  // namespace compactor::connection
