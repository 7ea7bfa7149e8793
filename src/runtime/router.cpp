// SPDX-License-Identifier: Apache-2.0
#include "runtime/router.hpp"

#include "core/pid_text.hpp"
#include "runtime/http_guard.hpp"
#include "runtime/process_record.hpp"
#include "runtime/stats.hpp"

namespace compactor::runtime {

Router::Router(ContextCore& core, std::string peer_ip)
    : core_(core), peer_ip_(std::move(peer_ip)) {}

Routed Router::message(std::string_view sender_text, std::string_view receiver, std::string name,
                       std::string body) {
  StatsCounters::add(core_.counters().messages_received_remote);
  if (sender_text != sender_text_ || senders_seen_ == 0) read_sender(sender_text);
  if (core_.options().require_peer_address_ip_match && sender_.address.ip != peer_ip_) {
    count_refusal(core_);
    core_.count_dropped(DropReason::rejected);
    std::string reason = "sender IP of '" + std::string(sender_text) +
                         "' does not match the connection's peer IP " + peer_ip_;
    core_.peer_log().warn(PeerEvent::sender_mismatch, peer_ip_, "message rejected: {}", reason);
    return {.outcome = Routed::Outcome::refused, .status = 400, .reason = std::move(reason)};
  }
  if (!receiver.empty() &&
      core_.deliver_message(receiver, sender_, std::move(name), std::move(body), &congested_)) {
    return {};
  }
  if (receiver.empty()) core_.count_dropped(DropReason::no_receiver);
  count_refusal(core_);
  return {.outcome = Routed::Outcome::refused, .status = 404};
}

void Router::read_sender(std::string_view text) {
  // Another process of the same context (each ask comes from a fresh __req_res__(N)): only the
  // id before the '@' is new, and the address need not be parsed again.
  const auto at = text.find('@');
  const auto cached_at = sender_text_.find('@');
  if (senders_seen_ > 0 && !sender_.empty() && at != 0 && at != std::string_view::npos &&
      cached_at != std::string::npos &&
      text.substr(at) == std::string_view(sender_text_).substr(cached_at)) {
    sender_.id.assign(text.substr(0, at));
  } else {
    sender_ = detail::parse_literal_pid(text).value_or(PID());
    ++addresses_seen_;
  }
  sender_text_.assign(text);
  ++senders_seen_;
}

Routed Router::http(http::Request request, std::string_view receiver, std::string route,
                    const std::function<http::Responder()>& await_answer) {
  auto answer = [](http::Response response) {
    return Routed{.outcome = Routed::Outcome::answer, .response = std::move(response)};
  };
  const std::string_view path = request.path;
  if (path.find("/..") != std::string_view::npos) return answer(not_found(core_));  // no climbing
  if (auto refusal = refuse_disabled(core_, path)) return answer(std::move(*refusal));
  if (const auto endpoint = core_.builtin_endpoint(path)) {
    if (const auto& realm = core_.options().builtin_endpoints_realm) {
      if (auto refusal = authenticate(core_, *realm, request)) return answer(std::move(*refusal));
    }
    endpoint(core_, request, await_answer());  // built-in endpoints see the whole path
    return {.outcome = Routed::Outcome::awaited};
  }
  if (receiver.empty()) return answer(not_found(core_));
  request.path = "/" + std::move(route);
  auto respond = await_answer();
  if (!core_.deliver_http(receiver, std::move(request), respond, &congested_)) {
    respond(not_found(core_));
  }
  return {.outcome = Routed::Outcome::awaited};
}

void Router::refused(PeerEvent event, int status, std::string_view detail,
                     std::string_view peer_text) {
  count_refusal(core_);
  if (status == 408) {
    core_.peer_log().warn(event, peer_ip_, "request from {} timed out, closing: {}", peer_text,
                          detail);
  } else {
    core_.peer_log().warn(event, peer_ip_, "request from {} rejected ({}), closing: {}", peer_text,
                          status, detail);
  }
}

}  // namespace compactor::runtime
