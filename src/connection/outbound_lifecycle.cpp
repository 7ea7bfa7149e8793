// SPDX-License-Identifier: Apache-2.0
#include "connection/outbound_lifecycle.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace compactor::connection {

OutboundLifecycle::OutboundLifecycle(const OutboundRules& rules, Time now)
    : rules_(rules), plaintext_(!rules.tls), last_enqueue_(now) {}

const char* OutboundLifecycle::state_name() const {
  static constexpr const char* kNames[] = {"connecting", "open", "closing", "closed"};
  return kNames[static_cast<int>(state_)];
}

void OutboundLifecycle::start(Time now) {
  started_ = true;
  // A peer that never answers the SYN (a partition) would take the kernel minutes to give up.
  if (rules_.connect_timeout.count() > 0) connect_deadline_ = now + rules_.connect_timeout;
}

OutboundLifecycle::Refusal OutboundLifecycle::handshake_refused() {
  if (!rules_.support_downgrade) return Refusal::fail;
  if (state_ != State::connecting) return Refusal::ignore;
  plaintext_ = true;
  return Refusal::connect_plaintext;
}

OutboundLifecycle::Opened OutboundLifecycle::established(std::string security,
                                                         RecordSealer* sealer) {
  if (state_ != State::connecting) return Opened::ignore;
  state_ = State::open;
  connect_deadline_ = kNever;
  sealer_ = sealer;
  security_ = std::move(security);
  if (!pending_.empty()) {
    write_in_flight_ = true;
    return Opened::write;
  }
  return close_requested_ ? Opened::close : Opened::idle;
}

OutboundLifecycle::Queued OutboundLifecycle::enqueue(const wire::OutgoingMessage& message,
                                                     Time now) {
  if (closing_or_closed()) return Queued::refused;
  wire::encode_message(pending_, message);
  ++pending_messages_;
  ++messages_sent_;
  last_enqueue_ = now;
  if (state_ != State::open || write_in_flight_ || flush_promised_) return Queued::later;
  return Queued::writable;
}

bool OutboundLifecycle::congested() const {
  return rules_.high_water_bytes != 0 && queued_bytes() >= rules_.high_water_bytes;
}

bool OutboundLifecycle::flush() {
  flush_promised_ = false;
  return state_ == State::open && !write_in_flight_ && !nothing_queued();
}

bool OutboundLifecycle::may_write_directly() const {
  return rules_.idle_timeout.count() != 0 || persistent_;
}

bool OutboundLifecycle::take_queued(std::string& out) {
  if (sealer_ == nullptr) {
    if (out.empty()) {
      out.swap(pending_);
    } else {
      out += pending_;
      pending_.clear();
    }
    return true;
  }
  out += sealed_;
  sealed_.clear();
  if (!sealing_failed_ && !sealer_->seal(pending_, out)) sealing_failed_ = true;
  pending_.clear();
  return !sealing_failed_;
}

const std::string* OutboundLifecycle::bytes_for_direct_write() {
  if (sealer_ == nullptr) return &pending_;
  // Sealed here, under the driver's lock, so records leave in the order sealed.
  return take_queued(sealed_) ? &sealed_ : nullptr;
}

bool OutboundLifecycle::wrote_directly(std::size_t size) {
  bytes_written_ += size;
  std::string& bytes = sealer_ == nullptr ? pending_ : sealed_;
  if (size == bytes.size()) {
    bytes.clear();
    pending_messages_ = 0;
    return true;
  }
  // The rest goes through an asynchronous write; its messages still count as pending.
  bytes.erase(0, size);
  return false;
}

OutboundLifecycle::WriteStep OutboundLifecycle::take_for_writing(Time now) {
  const Next next = take_next(now);
  return {next, std::string_view(writing_), next_deadline()};
}

OutboundLifecycle::Next OutboundLifecycle::take_next(Time now) {
  if (state_ != State::open && state_ != State::closing) return Next::idle;
  if (sealing_failed_) return Next::fail;
  if (nothing_queued()) {
    write_in_flight_ = false;
    const bool temporary_and_done =
        !persistent_ && state_ == State::open && rules_.idle_timeout.count() == 0;
    return close_requested_ || temporary_and_done ? Next::close : Next::idle;
  }
  write_in_flight_ = true;
  if (!take_queued(writing_)) return Next::fail;  // its messages count as lost
  written_ = 0;
  writing_messages_ = pending_messages_;
  pending_messages_ = 0;
  last_write_progress_ = now;
  return Next::write;
}

std::string_view OutboundLifecycle::wrote(std::size_t size, Time now) {
  written_ += size;
  bytes_written_ += size;
  last_write_progress_ = now;  // a slow peer is fine, a stuck one is not
  if (written_ < writing_.size()) return std::string_view(writing_).substr(written_);
  writing_.clear();
  written_ = 0;
  writing_messages_ = 0;
  last_write_progress_ = kNever;
  return {};
}

bool OutboundLifecycle::add_link(const PID& linker, const PID& target) {
  if (closing_or_closed()) return false;
  persistent_ = true;
  links_.emplace_back(linker, target);
  return true;
}

bool OutboundLifecycle::request_close() {
  close_requested_ = true;
  persistent_ = false;
  return state_ == State::open && idle();
  // Otherwise the end of the write under way closes it, or connecting ends it.
}

bool OutboundLifecycle::begin_closing(Time now) {
  if (state_ != State::open || !idle()) return false;
  if (persistent_ && !close_requested_) return false;
  state_ = State::closing;
  closing_since_ = now;
  return true;
}

bool OutboundLifecycle::start_successor_after_close() {
  if (state_ == State::closed) return false;
  successor_waits_ = true;
  return true;
}

std::string OutboundLifecycle::read_ended(bool eof, const std::string& error) const {
  if (state_ == State::closing) return {};  // the peer answered our FIN
  return eof ? "closed by peer" : error;
}

OutboundLifecycle::Ended OutboundLifecycle::end() {
  if (state_ == State::closed) return {};
  state_ = State::closed;
  Ended ended{.now = true,
              .lost_messages = pending_messages_ + writing_messages_,
              .links = std::move(links_),
              .start_successor = successor_waits_};
  links_.clear();
  pending_.clear();
  pending_messages_ = 0;
  successor_waits_ = false;
  connect_deadline_ = closing_since_ = last_write_progress_ = kNever;
  return ended;
}

Time OutboundLifecycle::next_deadline() const {
  Time due = kNever;
  if (state_ == State::closed) return due;
  if (state_ == State::connecting && started_) due = connect_deadline_;
  if (!writing_.empty() && rules_.write_timeout.count() > 0) {
    due = std::min(due, last_write_progress_ + rules_.write_timeout);
  }
  if (state_ == State::open && !persistent_ && rules_.idle_timeout.count() > 0 && idle()) {
    due = std::min(due, last_enqueue_ + rules_.idle_timeout);
  }
  if (state_ == State::closing) due = std::min(due, closing_since_ + rules_.shutdown_timeout);
  return due;
}

OutboundLifecycle::Due OutboundLifecycle::on_deadline(Time now) {
  using What = Due::What;
  if (state_ == State::closed) return {};
  if (state_ == State::connecting && started_ && now >= connect_deadline_) {
    return {What::fail, fmt::format("cannot connect: no answer within dead_peer_timeout {} ms",
                                    rules_.connect_timeout.count())};
  }
  if (!writing_.empty() && rules_.write_timeout.count() > 0 &&
      now - last_write_progress_ >= rules_.write_timeout) {
    return {What::fail, fmt::format("no write progress for write_timeout {} ms (the peer does "
                                    "not read)",
                                    rules_.write_timeout.count())};
  }
  if (state_ == State::closing && now - closing_since_ >= rules_.shutdown_timeout) {
    return {What::end, {}};  // the peer never answered our FIN: give up waiting
  }
  if (state_ == State::open && !persistent_ && rules_.idle_timeout.count() > 0 && idle() &&
      now - last_enqueue_ >= rules_.idle_timeout) {
    return {What::close, {}};
  }
  return {};
}

core::ConnectionStats OutboundLifecycle::stats() const {
  return {.inbound = false,
          .peer = {},
          .series = {},
          .state = state_name(),
          .security = security_.value_or(""),
          .messages = messages_sent_,
          .bytes = bytes_written_,
          .queued_bytes = queued_bytes(),
          .pauses = senders_held_,
          .links = links_.size()};
}

}  // namespace compactor::connection
