// SPDX-License-Identifier: Apache-2.0
#include "connection/inbound_lifecycle.hpp"

#include "wire/response_writer.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace compactor::connection {

InboundLifecycle::InboundLifecycle(const InboundRules& rules, wire::ByteBudget* body_budget,
                                   wire::ByteBudget* answer_budget)
    : rules_(rules), decoder_(rules.max_body_size, body_budget), answer_budget_(answer_budget) {}

InboundLifecycle::~InboundLifecycle() {
  if (answer_budget_ != nullptr) answer_budget_->give(held_);
}

wire::Request* InboundLifecycle::next_request() {
  if (decoded_ != wire::DecodeStatus::ok) return nullptr;
  const auto decoded = decoder_.decode(unread_);
  unread_.remove_prefix(decoded.consumed);
  decoded_ = decoded.status;
  if (!decoded.request) return nullptr;
  ++requests_;
  auto& request = decoder_.request();
  // Its answer closes the connection: nothing after it is read.
  if (!request.keep_alive) decoded_ = wire::DecodeStatus::stopped;
  return &request;
}

void InboundLifecycle::begin_handshake(Time now) {
  handshaking_ = true;
  if (rules_.handshake_timeout.count() > 0) handshake_deadline_ = now + rules_.handshake_timeout;
}

void InboundLifecycle::handshake_done(RecordSealer* sealer) {
  handshaking_ = false;
  handshake_deadline_ = kNever;
  sealer_ = sealer;
}

InboundLifecycle::AfterRead InboundLifecycle::read_done(Time now) {
  unread_ = {};
  const auto status = decoded_;
  account(now);
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
    account(now);
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
  if (!awaited_.empty()) {
    awaited_.push_back({next_slot_++, true, {}});
    return awaited_.back().answer.head;
  }
  return ready_buffer();
}

std::string& InboundLifecycle::ready_buffer() {
  // Small answers share a piece, unless the write under way points into it.
  if (ready_.empty() || ready_.back().shared || ready_.size() <= in_write_) ready_.emplace_back();
  return ready_.back().owned;
}

std::uint64_t InboundLifecycle::await_answer() {
  const std::uint64_t slot = next_slot_++;
  awaited_.push_back({slot, false, {}});
  return slot;
}

void InboundLifecycle::queue(wire::Answer answer) {
  ready_buffer() += answer.head;
  if (answer.body) ready_.push_back({{}, std::move(answer.body)});
}

void InboundLifecycle::answer_arrived(std::uint64_t slot, wire::Answer answer, Time now) {
  for (auto& awaited : awaited_) {
    if (awaited.id == slot) {
      awaited.ready = true;
      awaited.answer = std::move(answer);
      break;
    }
  }
  while (!awaited_.empty() && awaited_.front().ready) {
    auto ready = std::move(awaited_.front().answer);
    awaited_.pop_front();
    queue(std::move(ready));
  }
  account(now);
}

void InboundLifecycle::account(Time now) {
  std::size_t held = sealed_.size() - sealed_written_;
  for (const auto& piece : ready_) held += piece.bytes().size();
  held -= front_taken_;
  for (const auto& slot : awaited_) held += slot.answer.size();
  if (answer_budget_ != nullptr) {
    if (held > held_) answer_budget_->charge(held - held_);
    if (held < held_) answer_budget_->give(held_ - held);
  }
  held_ = held;
  if (!holds_much()) {
    rate_since_ = kNever;
    budget_check_ = kNever;
    return;
  }
  if (rate_since_ == kNever && rules_.min_answer_rate > 0 && rules_.write_timeout.count() > 0) {
    rate_since_ = now;
    rate_taken_ = taken();
  }
  if (budget_check_ == kNever && answer_budget_ != nullptr) {
    budget_check_ = now + rules_.over_budget_grace;
  }
}

bool InboundLifecycle::answers_backlogged() const {
  // Over the context's budget, a connection that holds answers takes no new request until its
  // reader took them.
  const bool over_budget = answer_budget_ != nullptr && answer_budget_->over() && held_ > 0;
  return held_ > rules_.answer_backlog_bytes || awaited_.size() > rules_.awaited_answers ||
         over_budget;
}

bool InboundLifecycle::gather(bool& failed) {
  slice_count_ = 0;
  if (sealer_ != nullptr) {
    if (sealed_written_ == sealed_.size()) {
      sealed_.clear();
      sealed_written_ = 0;
      // A slice at a time: a large body is not sealed, hence copied, all at once.
      std::size_t sealed = 0;
      while (!ready_.empty() && sealed < kSealSlice) {
        const auto bytes = ready_.front().bytes().substr(front_taken_, kSealSlice - sealed);
        if (!sealer_->seal(bytes, sealed_)) {
          failed = true;
          return false;
        }
        sealed += bytes.size();
        consume(bytes.size());
      }
    }
    if (sealed_written_ == sealed_.size()) return false;
    slices_[slice_count_++] = std::string_view(sealed_).substr(sealed_written_);
    return true;
  }
  for (const auto& piece : ready_) {
    if (slice_count_ == kMaxSlices) break;
    const std::size_t from = slice_count_ == 0 ? front_taken_ : 0;
    slices_[slice_count_++] = piece.bytes().substr(from);
  }
  in_write_ = slice_count_;
  return slice_count_ > 0;
}

void InboundLifecycle::consume(std::size_t size) {
  while (!ready_.empty()) {  // empty pieces go too
    const std::size_t rest = ready_.front().bytes().size() - front_taken_;
    if (size < rest) {
      front_taken_ += size;
      return;
    }
    size -= rest;
    ready_.pop_front();
    front_taken_ = 0;
  }
}

InboundLifecycle::Step InboundLifecycle::next_write(Time now) {
  Step step = decide_write(now);
  step.reads_paused = reads_paused();
  if (step.what == Step::What::write) step.slices = unwritten();
  return step;
}

InboundLifecycle::Step InboundLifecycle::decide_write(Time now) {
  Step step;
  if (write_in_flight_) return step;
  if (paused_for_answers_ && !answers_backlogged()) {
    paused_for_answers_ = false;
    if (!paused_for_mailbox_ && !reading_done_) {
      step.resume_reading = true;
      time_request(now);
    }
  }
  bool failed = false;
  const bool gathered = gather(failed);
  account(now);
  if (failed) {
    step.what = Step::What::fail;
    return step;
  }
  if (!gathered) {
    if (reading_done_ && awaited_.empty()) step.what = Step::What::finish;
    return step;
  }
  write_in_flight_ = true;
  last_write_progress_ = now;
  step.what = Step::What::write;
  return step;
}

bool InboundLifecycle::wants_socket_queue() const {
  if (rules_.min_answer_rate == 0 || rules_.write_timeout.count() == 0) return false;
  // While measuring, and whenever much was written since the last look (cheap: a large answer
  // asks once, a stream of small ones once per min_rate_floor bytes).
  return rate_since_ != kNever || written_total_ - written_at_look_ >= rules_.min_rate_floor;
}

void InboundLifecycle::socket_queued(std::size_t bytes, Time now) {
  socket_queued_ = std::min<std::uint64_t>(bytes, written_total_);
  written_at_look_ = written_total_;
  // A window begun before this look counted the queued bytes as taken: it starts from here.
  rate_taken_ = std::min(rate_taken_, taken());
  account(now);
}

std::size_t InboundLifecycle::unwritten_size() const {
  std::size_t size = 0;
  for (const auto slice : unwritten()) size += slice.size();
  return size;
}

void InboundLifecycle::wrote(std::size_t size, Time now) {
  write_in_flight_ = false;
  written_total_ += size;
  if (sealer_ != nullptr) {
    sealed_written_ += size;
  } else {
    consume(size);
  }
  in_write_ = 0;
  slice_count_ = 0;
  if (size > 0) last_write_progress_ = now;
  account(now);
}

Time InboundLifecycle::next_deadline() const {
  Time due = handshake_deadline_;
  if (request_since_ != kNever && !reading_done_) {
    due = std::min(due, request_since_ + rules_.request_timeout);
  }
  if (write_in_flight_ && rules_.write_timeout.count() > 0) {
    due = std::min(due, last_write_progress_ + rules_.write_timeout);
  }
  if (rate_since_ != kNever) due = std::min(due, rate_since_ + rules_.write_timeout);
  return std::min(due, budget_check_);
}

InboundLifecycle::Due InboundLifecycle::on_deadline(Time now) {
  if (handshaking_ && now >= handshake_deadline_) return Due::handshake_timeout;
  if (write_in_flight_ && rules_.write_timeout.count() > 0 &&
      now - last_write_progress_ >= rules_.write_timeout) {
    return Due::write_timeout;
  }
  if (rate_since_ != kNever && now >= rate_since_ + rules_.write_timeout) {
    const double seconds = std::chrono::duration<double>(now - rate_since_).count();
    const auto drained = static_cast<double>(taken() - std::min(rate_taken_, taken()));
    if (drained < static_cast<double>(rules_.min_answer_rate) * seconds) return Due::too_slow;
    rate_since_ = now;  // measured again over the next window
    rate_taken_ = taken();
  }
  if (budget_check_ != kNever && now >= budget_check_) {
    if (answer_budget_->over() && write_in_flight_ &&
        now - last_write_progress_ >= rules_.over_budget_grace) {
      return Due::over_budget;
    }
    budget_check_ = now + rules_.over_budget_grace;
  }
  if (request_since_ != kNever && !reading_done_ && decoder_.in_request() &&
      now - request_since_ >= rules_.request_timeout) {
    reading_done_ = true;
    request_since_ = kNever;
    rejection_ = {408, fmt::format("request not complete within request_timeout {} ms",
                                   rules_.request_timeout.count())};
    wire::append_closing_error(answer_buffer(), rejection_.status, rejection_.detail);
    account(now);
    return Due::request_timeout;
  }
  return Due::nothing;
}

}  // namespace compactor::connection
