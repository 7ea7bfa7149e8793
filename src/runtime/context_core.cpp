// SPDX-License-Identifier: Apache-2.0
#include "runtime/context_core.hpp"

#include "core/logging.hpp"
#include "core/pid_text.hpp"
#include "runtime/context_registry.hpp"
#include "runtime/process_record.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <bit>
#include <stdexcept>

namespace compactor::runtime {
namespace {

bool is_any(const std::string& ip) { return ip == "0.0.0.0" || ip == "::"; }

bool is_loopback(const std::string& ip) { return ip.starts_with("127.") || ip == "::1"; }

// The IP that PIDs carry when listening on every interface: the host name's, as libprocess does,
// or loopback when the host name does not resolve.
std::string host_ip() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0) {
    if (auto ip = detail::resolve_ipv4(name)) return *ip;
  }
  return "127.0.0.1";
}

ContextOptions validated(ContextOptions options) {
  auto ip = detail::canonical_any_ip(options.ip);
  if (!ip) throw std::invalid_argument("invalid listen IP '" + options.ip + "'");
  options.ip = *ip;
  if (options.advertise_ip) {
    auto advertised = detail::canonical_any_ip(*options.advertise_ip);
    if (!advertised) {
      throw std::invalid_argument("invalid advertise IP '" + *options.advertise_ip + "'");
    }
    options.advertise_ip = *advertised;
  }
  if (options.max_body_size == 0) throw std::invalid_argument("max_body_size must be positive");
  return options;
}

}  // namespace

ContextCore::ContextCore(ContextOptions options)
    : options_(validated(std::move(options))),
      scheduler_(options_.workers, options_.deterministic) {}

ContextCore::~ContextCore() { shutdown(); }

void ContextCore::start(const Address& bound, std::unique_ptr<RemoteTransport> transport) {
  bound_ = bound;
  bound_to_any_ = is_any(bound.ip);
  options_.port = bound.port;
  address_.ip =
      options_.advertise_ip ? *options_.advertise_ip : (bound_to_any_ ? host_ip() : bound.ip);
  address_.port = options_.advertise_port ? *options_.advertise_port : bound.port;
  transport_ = std::move(transport);
  at_address_ = "@" + address_.to_string();
  peer_log_.set_place(address_.to_string());
  ContextRegistry::add(address_, *this);
}

bool ContextCore::is_local(const Address& address) const {
  if (address.port == address_.port && address.ip == address_.ip) return true;
  return address.port == bound_.port &&
         (address.ip == bound_.ip || (bound_to_any_ && is_loopback(address.ip)));
}

PID ContextCore::spawn(Process& process, std::unique_ptr<Process> owned) {
  if (stopping_.load()) throw std::logic_error("cannot spawn on a context that is shutting down");
  if (process.context_ != nullptr) {
    throw std::invalid_argument("process '" + process.id() + "' was spawned already");
  }
  if (process.id().starts_with(detail::ask_id_prefix)) {  // the replies to asks go there
    throw std::invalid_argument("process id '" + process.id() + "' is reserved for asks");
  }
  process.self_ = PID(process.id(), address_);
  process.context_ = this;
  process.running_.store(true, std::memory_order_release);
  auto record = std::make_shared<ProcessRecord>(process, std::move(owned), *this);
  // initialize() is queued before anyone can find the process, so that nothing sent or routed to
  // it the moment it appears in the table runs before its handlers and routes are installed.
  record->queue_initialize();
  auto undo = [&](const std::string& why) {
    process.context_ = nullptr;
    process.self_ = PID();
    process.running_.store(false, std::memory_order_release);
    record.reset();  // deletes an owned process; a borrowed one stays the caller's
    throw std::invalid_argument(why);
  };
  // Its metrics first: nothing can reach the process before it is in the table.
  std::size_t added = 0;
  auto remove_metrics = [&] {
    for (std::size_t i = 0; i < added; ++i) metrics_.remove(process.metrics_[i]);
  };
  try {
    for (; added < process.metrics_.size(); ++added) metrics_.add(process.metrics_[added]);
  } catch (const std::invalid_argument& error) {
    remove_metrics();
    undo("process '" + process.id() + "': " + error.what());
  }
  if (!table_.insert(process.id(), record)) {
    remove_metrics();
    undo("a process named '" + process.id() + "' already runs on " + address_.to_string());
  }
  const PID pid = process.self();
  record->schedule();
  return pid;
}

void ContextCore::terminate(const PID& pid) {
  if (!is_local(pid.address)) {
    ContextRegistry::with(pid.address, [&](ContextCore& other) { other.terminate(pid); });
    return;
  }
  if (auto record = table_.find(pid.id)) record->enqueue(TerminateEvent{});
}

bool ContextCore::wait(const PID& pid, std::optional<std::chrono::milliseconds> timeout) {
  auto record = table_.find(pid.id);
  if (!record || !is_local(pid.address)) return true;
  // Stepped, nobody else runs the processes. On a worker (a process waiting for one it
  // terminated: Supervisor), what it waits for may be runnable on this very thread. Either way,
  // this thread runs what is runnable meanwhile.
  if (!scheduler_.stepped() && !scheduler_.on_worker_thread()) return record->wait(timeout);
  using std::chrono::steady_clock;
  const auto deadline = timeout ? steady_clock::now() + *timeout : steady_clock::time_point::max();
  for (;;) {
    if (record->wait(std::chrono::milliseconds(0))) return true;
    if (scheduler_.run_one()) continue;
    const auto now = steady_clock::now();
    if (now >= deadline) return false;
    record->wait(std::min(std::chrono::milliseconds(1),
                          std::chrono::ceil<std::chrono::milliseconds>(deadline - now)));
  }
}

void ContextCore::send(const PID& from, const PID& to, std::string_view name,
                       std::string_view body) {
  send_if(from, to, name, body, false);
}

template <class From>
bool ContextCore::send_if(From&& from, const PID& to, std::string_view name, std::string_view body,
                          bool only_to_running) {
  // In memory: a process of this context or of another one in this OS process.
  const auto hand_over = [&](ContextCore& context) {
    std::shared_ptr<ProcessRecord> holder;
    if (only_to_running) {
      const auto* record = context.find_receiver(to.id, holder);
      if (record == nullptr || record->terminated()) return false;
    }
    StatsCounters::add(counters_.messages_sent_local);
    context.deliver_from_sender(to.id, sender_pid(from), name, body);
    return true;
  };
  if (is_local(to.address)) return hand_over(*this);
  bool handed_over = true;
  const bool in_memory = !ContextRegistry::is_sole(*this) &&
                         ContextRegistry::with(to.address, [&](ContextCore& other) {
                           handed_over = hand_over(other);
                         });
  if (in_memory) return handed_over;
  if (!transport_) {
    count_unsent(1);
    core::log().warn("message '{}' to {} dropped: context is not started", name, to.to_string());
    return true;
  }
  StatsCounters::add(counters_.messages_sent_remote);
  send_remote(from, to, name, body);
  return true;
}

PID ContextCore::sender_pid(AskSender from) const {
  return PID(Replies::id_of(from.number), address_);
}

void ContextCore::send_remote(const PID& from, const PID& to, std::string_view name,
                              std::string_view body) {
  // A process sending from its handler has its PID text formatted already: no allocation.
  const auto* sender = ProcessRecord::current();
  if (sender != nullptr && sender->pid() == from) {
    transport_->send(sender->pid_text(), to, name, body);
  } else if (from.address == address_) {
    // Another sender of this context: the address part is formatted once.
    std::string text;
    text.reserve(from.id.size() + at_address_.size());
    text.append(from.id).append(at_address_);
    transport_->send(text, to, name, body);
  } else {
    transport_->send(from.to_string(), to, name, body);
  }
}

void ContextCore::send_remote(AskSender from, const PID& to, std::string_view name,
                              std::string_view body) {
  fmt::basic_memory_buffer<char, 128> text;  // on the stack
  Replies::append_id(text, from.number);
  text.append(at_address_.data(), at_address_.data() + at_address_.size());
  transport_->send(std::string_view(text.data(), text.size()), to, name, body);
}

ProcessRecord* ContextCore::find_receiver(std::string_view id,
                                          std::shared_ptr<ProcessRecord>& holder) {
  auto* sender = ProcessRecord::current();
  if (sender == nullptr || &sender->context() != this) {
    holder = table_.find(id);
    return holder.get();
  }
  auto& cached = sender->last_receiver();
  if (!cached || cached->terminated() || cached->pid().id != id) cached = table_.find(id);
  return cached.get();
}

bool ContextCore::deliver_message(std::string_view receiver, const PID& from, std::string&& name,
                                  std::string&& body, std::shared_ptr<ProcessRecord>* congested) {
  return deliver(receiver, congested, from, std::move(name), std::move(body));
}

template <class... Parts>
bool ContextCore::deliver(std::string_view receiver, std::shared_ptr<ProcessRecord>* congested,
                          Parts&&... parts) {
  const auto whole = [&] {
    return Event(std::in_place_type<MessageEvent>, std::forward<Parts>(parts)...);
  };
  if (receiver.starts_with(detail::ask_id_prefix)) {
    auto message = whole();
    if (const auto replied = answer_ask(receiver, message)) return *replied;
    return drop_for_unknown(receiver, message);  // no process has an ask's id
  }
  std::shared_ptr<ProcessRecord> holder;
  auto* record = find_receiver(receiver, holder);
  if (record == nullptr) {
    auto message = whole();
    return drop_for_unknown(receiver, message);
  }
  bool over = false;
  if (!record->enqueue_in_place<MessageEvent>(congested != nullptr ? &over : nullptr,
                                              std::forward<Parts>(parts)...)) {
    return drop_for_terminated(receiver);
  }
  if (over) *congested = record->shared_from_this();
  return true;
}

template <class From>
bool ContextCore::deliver_from_sender(std::string_view receiver, From&& from, std::string_view name,
                                      std::string_view body) {
  if (options_.mailbox_limit != 0) {  // a bounded mailbox looks at the whole message
    return admit_from_sender(
        receiver, Event(std::in_place_type<MessageEvent>, std::forward<From>(from), name, body));
  }
  return deliver(receiver, nullptr, std::forward<From>(from), name, body);
}

bool ContextCore::admit_from_sender(std::string_view receiver, Event&& message) {
  if (const auto replied = answer_ask(receiver, message)) return *replied;
  std::shared_ptr<ProcessRecord> holder;
  auto* record = find_receiver(receiver, holder);
  if (record == nullptr) return drop_for_unknown(receiver, message);
  switch (record->admit(std::move(message))) {  // `full` leaves the message as it was
    case ProcessRecord::Admission::queued:
      return true;
    case ProcessRecord::Admission::terminated:
      return drop_for_terminated(receiver);
    case ProcessRecord::Admission::full:
      break;
  }
  count_dropped(DropReason::mailbox_full);
  StatsCounters::add(counters_.mailbox_overflows);
  peer_log_.warn(PeerEvent::mailbox_overflow, record->pid_text(),
                 "message '{}' for {} dropped: its mailbox holds mailbox_limit {} events",
                 std::get<MessageEvent>(message).name, record->pid_text(), options_.mailbox_limit);
  return false;
}

std::optional<bool> ContextCore::answer_ask(std::string_view receiver, Event& message) {
  if (!receiver.starts_with(detail::ask_id_prefix)) return std::nullopt;  // most messages
  auto* event = std::get_if<MessageEvent>(&message);
  if (event == nullptr) return std::nullopt;
  switch (replies_->answer(receiver, *event)) {
    case Replies::Answer::answered:
      return true;
    case Replies::Answer::late:
      StatsCounters::add(counters_.late_replies);
      count_dropped(DropReason::no_receiver);
      peer_log_.warn(PeerEvent::late_reply, event->from.address.ip,
                     "reply '{}' from {} to {} dropped: its ask had ended", event->name,
                     event->from.to_string(), receiver);
      return false;
    case Replies::Answer::unknown:
      break;
  }
  return std::nullopt;
}

bool ContextCore::drop_for_unknown(std::string_view receiver, Event& message) {
  const auto& event = std::get<MessageEvent>(message);
  count_dropped(DropReason::no_receiver);
  peer_log_.warn(PeerEvent::unknown_receiver, event.from.address.ip,
                 "message '{}' from {} for unknown process '{}' on {} dropped", event.name,
                 event.from.to_string(), receiver, address_.to_string());
  return false;
}

bool ContextCore::drop_for_terminated(std::string_view receiver) {
  count_dropped(DropReason::terminated);
  core::log().debug("message for terminated process '{}' dropped", receiver);
  return false;
}

void ContextCore::set_inspector(Inspector inspector) {
  std::unique_lock lock(inspector_mutex_);
  inspecting_.store(static_cast<bool>(inspector), std::memory_order_relaxed);
  inspector_ = std::move(inspector);
}

Future<Message> ContextCore::ask(const PID& to, std::string_view name, std::string_view body,
                                 Clock::duration timeout) {
  if (to.id.empty() || to.address.ip.empty() || to.address.port == 0) {
    return Future<Message>::failed("ask: '" + to.to_string() + "' is not a PID");
  }
  // Opened before the target is looked up: a target that terminates after the look-up finds
  // this ask and ends it (fail_asks_to), so that it does not wait for its timeout.
  // A task's reply comes to its process: the step waiting for it runs in that event.
  auto* asking = ProcessRecord::current();
  auto opened = replies_->open(to, timeout,
                               asking != nullptr && detail::running_task_step()
                                   ? asking->weak_from_this()
                                   : std::weak_ptr<ProcessRecord>());
  if (!opened) {
    StatsCounters::add(counters_.asks_refused);
    peer_log_.warn(PeerEvent::ask_refused, to.address.ip,
                   "ask to {} refused: {} asks (max_asks_in_flight) are waiting for replies",
                   to.to_string(), options_.max_asks_in_flight);
    return Future<Message>::failed(fmt::format("ask: {} asks are in flight (max_asks_in_flight)",
                                               options_.max_asks_in_flight));
  }
  if (!send_if(AskSender{opened->number}, to, name, body, true)) {
    replies_->fail(opened->number, PeerExited("ask: no process " + to.to_string()));
  }
  return std::move(opened->reply);
}

bool ContextCore::deliver_call(std::string_view receiver, std::function<void(Process&)> call) {
  auto record = table_.find(receiver);
  return record && record->enqueue(CallEvent{std::move(call)});
}

bool ContextCore::deliver_http(std::string_view receiver, http::Request request,
                               http::Responder respond, std::shared_ptr<ProcessRecord>* congested) {
  auto record = table_.find(receiver);
  bool over = false;
  if (!record ||
      !record->enqueue(
          HttpEvent{std::make_shared<const http::Request>(std::move(request)), std::move(respond)},
          congested != nullptr ? &over : nullptr)) {
    return false;
  }
  if (over) *congested = record;
  return true;
}

void ContextCore::deliver_exited(const PID& linker, const PID& pid, const ExitReason& reason) {
  if (is_local(linker.address)) {
    if (auto record = table_.find(linker.id)) record->enqueue(ExitedEvent{pid, reason});
    return;
  }
  // A linker in another context of this OS process; remote linkers are never told (libprocess
  // has no exited message on the wire).
  ContextRegistry::with(linker.address,
                        [&](ContextCore& other) { other.deliver_exited(linker, pid, reason); });
}

void ContextCore::link(const PID& linker, const PID& target) {
  if (is_local(target.address)) {
    link_local(linker, target);
    return;
  }
  const bool in_memory = ContextRegistry::with(
      target.address, [&](ContextCore& other) { other.link_local(linker, target); });
  if (in_memory) return;
  if (transport_) {
    transport_->link(linker, target);
  } else {
    deliver_exited(linker, target);
  }
}

void ContextCore::link_local(const PID& linker, const PID& target) {
  auto record = table_.find(target.id);
  if (!record || !record->add_linker(linker)) deliver_exited(linker, target);
}

void ContextCore::withdraw_metrics(const Process& process) {
  for (const auto& metric : process.metrics_) metrics_.remove(metric);
}

void ContextCore::forget(const ProcessRecord& record) { table_.erase(record.pid().id, &record); }

void ContextCore::shutdown() {
  std::lock_guard lock(shutdown_mutex_);
  if (shut_down_) return;
  if (scheduler_.on_worker_thread()) {
    throw std::logic_error("a context cannot be shut down from one of its own processes");
  }
  stopping_.store(true);
  // Processes first, so that what they send while finalizing is still written out.
  auto records = table_.all();
  for (const auto& record : records) record->enqueue(TerminateEvent{});
  for (const auto& record : records) {
    // Stepped, nobody else runs them: this thread does, also what arrives meanwhile.
    while (scheduler_.stepped() && !record->wait(std::chrono::milliseconds(1))) {
      scheduler_.run_one();
    }
    record->wait(std::nullopt);
  }
  ContextRegistry::remove(address_, *this);
  if (transport_) transport_->shutdown(options_.shutdown_timeout);
  scheduler_.stop();
  peer_log_.flush();
  shut_down_ = true;
}

}  // namespace compactor::runtime
