// SPDX-License-Identifier: Apache-2.0
#include "beacon/beacon_state.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace compactor::beacon {
namespace {

const std::vector<std::string>& history_of(const Message& message) {
  static const std::vector<std::string> none;
  if (const auto* ping = std::get_if<PingMessage>(&message)) return ping->history;
  if (const auto* hist = std::get_if<HistoryMessage>(&message)) return hist->history;
  return none;
}

const Value& value_in(const Message& message) {
  static const Value nil;
  if (const auto* ping = std::get_if<PingMessage>(&message)) return ping->value;
  if (const auto* hist = std::get_if<HistoryMessage>(&message)) return hist->value;
  return nil;
}

// Python's list[begin:end] of a name list.
std::vector<std::string> slice(const std::vector<std::string>& names, std::size_t begin,
                               std::size_t end) {
  begin = std::min(begin, names.size());
  end = std::min(end, names.size());
  return {names.begin() + static_cast<std::ptrdiff_t>(begin),
          names.begin() + static_cast<std::ptrdiff_t>(end)};
}

// Python's `a[i:i+1] == b[j:j+1]`, without building the slices: both empty, or equal names.
bool same_entry(const std::vector<std::string>& a, std::size_t i, const std::vector<std::string>& b,
                std::size_t j) {
  const bool a_has = a.size() > i;
  const bool b_has = b.size() > j;
  return a_has == b_has && (!a_has || a[i] == b[j]);
}

// asyncactor's "wait G·(1 − 2^−pos)": 0, G/2, 3G/4, ... for positions 0, 1, 2, ...
double staggered(double gap, int pos) { return gap * (1 - std::ldexp(1.0, -pos)); }

std::size_t bound(long long nodes) { return nodes > 0 ? static_cast<std::size_t>(nodes) : 0; }

}  // namespace

BeaconState::BeaconState(std::string name, Config config, Options options,
                         std::function<double()> random)
    : name_(std::move(name)),
      config_(std::move(config)),
      options_(options),
      random_(std::move(random)),
      tag_(options.enabled ? Tag::idle : Tag::disabled),
      history_(bound(options.enabled ? config_.nodes_count() : 0)),
      membership_(util::seconds(options.gone_after_cycles * config_.longest_cycle_s())),
      setup_node_(name_) {
  config_.validate();
}

long long BeaconState::nodes() const {
  return tag_ == Tag::disabled ? off_nodes_ : config_.nodes_count();
}

void BeaconState::send(const Message& message) { actions_.broadcasts.push_back(encode(message)); }

void BeaconState::post(Event event) { actions_.events.push_back(std::move(event)); }

std::optional<std::string> BeaconState::holder() const {
  if (tag_ != Tag::disabled && !history_.empty()) return history_[0];
  if (!last_pinged_.empty()) return last_pinged_;  // a passive member keeps no history
  return std::nullopt;
}

std::vector<MemberInfo> BeaconState::members(Time now) const {
  auto members = membership_.members(now);
  const auto history = history_.names();
  for (auto& member : members) {
    member.in_history = std::find(history.begin(), history.end(), member.name) != history.end();
  }
  return members;
}

Value BeaconState::value_of(std::string_view node) const {
  const auto it = values_.find(node);
  return it == values_.end() ? Value() : it->second;
}

void BeaconState::start(Time now) {
  if (started_) return;
  started_ = true;
  send(InitMessage{name_});
  send(SetupMessage{setup_node_, config_});
  startup_end_ = now + util::seconds((random_() / 2 + 1.5) * config_.gap_s() + config_.cycle_s());
}

void BeaconState::on_payload(Time now, std::string_view payload) {
  if (stopped_) return;
  if (options_.send_raw) post(RawEvent{std::string(payload)});
  auto decoded = decode(payload);
  if (const auto* error = std::get_if<DecodeError>(&decoded)) {
    ++malformed_;
    if ((malformed_ & (malformed_ - 1)) == 0) {  // a power of two
      warn("dropped a malformed payload (" + std::to_string(malformed_) +
           " so far): " + error->reason);
    }
    return;
  }
  on_message(now, std::make_shared<const Message>(std::move(std::get<Message>(decoded))));
}

void BeaconState::on_message(Time now, SharedMessage shared) {
  if (stopped_) return;
  const Message& message = *shared;
  if (const auto* init = std::get_if<InitMessage>(&message); init && init->node == name_) {
    if (self_seen_) {
      post(ErrorEvent{ErrorEvent::Kind::duplicate_name,
                      "another member of the group is named '" + name_ + "'"});
      stopped_ = true;
      return;
    }
    self_seen_ = true;
  }
  if (const auto* ping = std::get_if<PingMessage>(&message); ping && ping->node == name_) {
    own_ping_back_ = true;
    cut_off_warned_ = false;
  }
  if (const auto speaker = node_of(message); !speaker.empty() && speaker != name_ &&
                                             !std::holds_alternative<SetupMessage>(message) &&
                                             !std::holds_alternative<HistoryMessage>(message)) {
    const auto* ping = std::get_if<PingMessage>(&message);
    membership_.heard(now, speaker, ping ? &ping->value : nullptr, actions_.events);
  }
  if (startup_end_ != kNever || !started_) {
    startup_queue_.push_back(std::move(shared));  // processed once the start-up delay is over
    return;
  }
  process(now, shared);
}

void BeaconState::finish_startup(Time now) {
  startup_end_ = kNever;
  if (!self_seen_) {
    post(ErrorEvent{ErrorEvent::Kind::no_echo,
                    "our own init never came back: the channel must echo a member's messages"});
    stopped_ = true;
    return;
  }
  send_ping(now);
  loop_step(now);
  while (!startup_queue_.empty() && !stopped_) {
    SharedMessage message = std::move(startup_queue_.front());
    startup_queue_.pop_front();
    process(now, message);
  }
}

Time BeaconState::next_deadline() const {
  if (stopped_) return kNever;
  Time next = std::min({startup_end_, main_deadline_, ping_window_end_, version_resend_at_,
                        membership_.next_check()});
  for (const auto& [node, delayed] : delayed_histories_) next = std::min(next, delayed.at);
  return next;
}

void BeaconState::on_deadline(Time now) {
  // Due timers run in deadline order, as the Python tasks would wake.
  for (Time due = next_deadline(); due <= now && !stopped_; due = next_deadline()) {
    if (startup_end_ == due) {
      finish_startup(now);
    } else if (main_deadline_ == due) {
      main_deadline_ = kNever;
      if (tag_ == Tag::idle) send_ping(now);
      loop_step(now);
    } else if (ping_window_end_ == due) {
      ping_window_end_ = kNever;
      if ((tag_ == Tag::idle || tag_ == Tag::disabled) && ping_window_last_) {
        ++valid_pings_;
        const auto& message = *ping_window_last_;
        last_pinged_ = node_of(message);
        post(PingEvent{std::string(node_of(message)), value_in(message), history_of(message)});
      }
      ping_window_last_ = nullptr;
    } else if (membership_.next_check() == due) {
      membership_.check(now, actions_.events);
    } else if (version_resend_at_ == due) {
      version_resend_at_ = kNever;
      send(SetupMessage{setup_node_, config_});
    } else {
      for (auto it = delayed_histories_.begin(); it != delayed_histories_.end(); ++it) {
        if (it->second.at != due) continue;
        const auto history = std::move(it->second.history);
        delayed_histories_.erase(it);
        send_history(history);
        break;
      }
    }
  }
}

void BeaconState::send_ping(Time now) {
  if (tag_ == Tag::disabled) return;
  if (!channel_up_) {  // nobody would hear it: try again a cycle later
    set_next_ping_time(now);
    return;
  }
  own_ping_back_ = false;
  values_[name_] = value_;
  if (!history_.empty()) tag_ = Tag::just_sent;
  history_.add(name_);
  set_next_ping_time(now);
  send(PingMessage{name_, value_, history_.head(bound(config_.splits_count()))});
}

void BeaconState::send_history(const std::vector<std::string>& history) {
  if (tag_ == Tag::disabled || history.empty()) return;
  send(HistoryMessage{value_of(history.front()), slice(history, 0, bound(config_.splits_count()))});
}

void BeaconState::loop_step(Time now) {
  if (stopped_ || startup_end_ != kNever || !started_) return;
  const double cycle = config_.cycle_s();
  const double gap = config_.gap_s();
  if (tag_ == Tag::idle) {
    main_deadline_ = std::max(next_ping_time_, now);
    return;
  }
  if (t_dest_ > now) {
    main_deadline_ = t_dest_;
    return;
  }
  double wait = 0;
  if (tag_ == Tag::disabled) {
    wait = 2 * gap;
  } else if (tag_ == Tag::just_sent) {
    wait = gap;
    tag_ = Tag::in_gap;
  } else if (tag_ == Tag::in_gap) {
    if (!own_ping_back_) {  // the group did not hear our ping either: the tag is not ours
      if (!std::exchange(cut_off_warned_, true)) {
        warn("our ping did not come back within the gap: not taking the tag (channel cut?)");
      }
      tag_ = Tag::idle;
      main_deadline_ = std::max(next_ping_time_, now);
      return;
    }
    wait = cycle - gap / 2;
    post(TagEvent{name_, value_});
    tag_ = Tag::held;
    ++valid_pings_;
  } else {
    wait = 1.5 * gap;
    post(UntagEvent{});
    count_not_on_ = 0;
    tag_ = Tag::idle;
  }
  t_dest_ = now + util::seconds(wait);
  main_deadline_ = t_dest_;
}

void BeaconState::set_next_ping_time(Time now) {
  next_ping_time_ = now + util::seconds(config_.cycle_s() + config_.gap_s() * time_to_next_ping());
}

double BeaconState::time_to_next_ping() {
  if (history_.empty()) return 1.9 - random_() / 5;  // we might be the only node
  if (history_[0] == name_) return 2;                // we sent the last ping
  // p: 1-based position of the first ready node; s: ours; both within the first `nodes`.
  int p = 0, s = 0, length = 1;
  for (const auto& h : history_.names()) {
    if (p == 0 && !value_of(h).is_nil()) p = length;
    if (h == name_) s = length;
    ++length;
    if (nodes() > 0 && length > nodes()) break;
  }
  if (!ready_ && p > length / 2) return 2 + random_() / 3;  // the first ready node is too far back
  const long long todo = nodes() > 0 ? nodes() - static_cast<long long>(history_.size()) : 1;
  const long long total = std::max(static_cast<long long>(values_.size()), config_.hosts_count());
  return ping_delay(s - 1, length, todo, total);
}

double BeaconState::ping_delay(int pos, int length, long long todo, long long total) {
  if (pos >= 0) return 1 - std::ldexp(1.0, -(length - pos)) / 2;  // on the list: last one first
  const double hosts = static_cast<double>(total);
  if (config_.force_in_enabled()) {
    if (static_cast<double>(count_not_on_) >= hosts) return random_() / 4;
    if (random_() > static_cast<double>(count_not_on_ - 1) / hosts) return 0.5 + random_() / 2;
    return random_() / 2;
  }
  if (todo <= 0) ++count_not_on_;
  if (random_() < newcomer_odds(todo, hosts)) return random_() / 3;  // the early newcomer slot
  return 1.5 + random_() / 2;                                        // the fallback slot
}

double BeaconState::newcomer_odds(long long todo, double hosts) const {
  if (todo <= 0) return 1 / hosts / hosts;
  if (!options_.prompt_newcomers) return 1 / static_cast<double>(todo) / hosts;  // asyncactor
  // About one newcomer ping per cycle, from whoever is off the list (gone nodes do not count).
  const std::size_t others_off =
      membership_.count_live([this](const std::string& node) { return !history_.contains(node); });
  return 1 / static_cast<double>(others_off + 1);
}

void BeaconState::process(Time now, const SharedMessage& message) {
  if (tag_ == Tag::just_sent)
    tag_ = Tag::idle;  // a message while about to be tagged: skip this turn
  if (process_msg(now, message)) {
    if (tag_ == Tag::held) {
      post(UntagEvent{});
      count_not_on_ = 0;
    }
    tag_ = Tag::idle;
  }
  loop_step(now);
}

void BeaconState::queue_for_ping_event(Time now, const SharedMessage& message) {
  if (ping_window_end_ == kNever) ping_window_end_ = now + util::seconds(2 * config_.gap_s());
  ping_window_last_ = message;
}

bool BeaconState::has_priority(const std::string& a, const std::string& b) {
  const Value a_value = value_of(a);
  const Value b_value = value_of(b);
  if (a_value.is_nil() != b_value.is_nil()) return b_value.is_nil();  // nil loses
  if (!a_value.is_nil() && !(a_value == b_value)) {
    if (const auto order = python_compare(a_value, b_value)) {
      return *order == std::partial_ordering::greater;
    }
    // Python raises here and the peer dies. Taking either message as the loser on both sides
    // would leave two holders for good; deciding by name, as for equal values, converges.
    if (incomparable_.emplace(std::min(a, b), std::max(a, b)).second) {
      warn("values of " + a + " and " + b + " cannot be compared; the smaller name wins");
    }
  }
  return a < b;  // equal values: the smaller name wins
}

bool BeaconState::process_msg(Time now, const SharedMessage& shared) {
  const Message& message = *shared;
  if (tag_ == Tag::disabled) {  // passive: only watch (and remember values, for holder_pid())
    if (const auto* ping = std::get_if<PingMessage>(&message)) values_[ping->node] = ping->value;
    set_next_ping_time(now);
    queue_for_ping_event(now, shared);
    return false;
  }
  const std::string prev_node = history_.empty() ? std::string() : history_[0];

  if (const auto* ping = std::get_if<PingMessage>(&message)) {
    // A ping ends a pending delayed `hist` for its sender, or is remembered for later recoveries.
    if (!delayed_histories_.erase(ping->node)) recovered_pings_[ping->node] = valid_pings_;
  } else if (std::holds_alternative<InitMessage>(message)) {
    return false;
  } else if (const auto* setup = std::get_if<SetupMessage>(&message)) {
    const double theirs = setup->config.version_number();
    const double mine = config_.version_number();
    if (theirs > mine) {
      config_ = setup->config;
      setup_node_ = setup->node;
      post(SetupEvent{config_});
    } else if (theirs < mine) {
      if (tag_ == Tag::in_gap || tag_ == Tag::held) {
        send(SetupMessage{setup_node_, config_});
      } else if (const int pos = history_.index_of(name_); pos > 0) {
        version_resend_at_ = now + util::seconds(staggered(config_.gap_s(), pos));
      }
    } else {
      version_resend_at_ = kNever;  // someone else re-sent it
    }
    return false;
  }

  const std::string node(node_of(message));
  if (node == name_ || node == prev_node) return false;  // own echo, or the same sender again

  const Value& their_value = value_in(message);
  values_[node] = their_value;
  const auto& their_history = history_of(message);
  if (value_.is_nil() && !their_value.is_nil()) {
    std::vector<std::string> ready;
    for (const auto& h : their_history) {
      if (!value_of(h).is_nil()) ready.push_back(h);
    }
    post(GoodNodeEvent{std::move(ready)});
  }

  if (!their_history.empty() && same_entry(their_history, 1, history_.names(), 0)) {
    if (std::holds_alternative<HistoryMessage>(message)) return false;  // recovery already running
    history_.add(node);                                                 // normal succession
    set_next_ping_time(now);
    queue_for_ping_event(now, shared);
    return true;
  }

  // Colliding pings: the same previous ping (same slot), a healed split, or a newcomer.
  const bool same_prev =
      !their_history.empty() && same_entry(their_history, 1, history_.names(), 1);
  const bool prefer_new = has_priority(node, prev_node);
  // Needed only to start a recovery, so copied only then.
  const bool recovering = !same_prev && !value_.is_nil();
  const NodeList old_history(0, recovering ? history_.names() : std::vector<std::string>{});
  if (prefer_new) {
    history_ = NodeList(bound(nodes()), their_history);
    if (tag_ != Tag::idle) {
      if (tag_ == Tag::held) post(DetagEvent{node});
      tag_ = Tag::idle;
    }
    set_next_ping_time(now);
    queue_for_ping_event(now, shared);
  }
  if (same_prev) return prefer_new;

  if (recovering) {
    if (const int pos = old_history.index_of(name_); pos >= 0) {
      NodeList remote(0, their_history);
      if (!std::holds_alternative<HistoryMessage>(message)) remote.add(node);
      post(RecoverEvent{pos, prefer_new, old_history.names(), remote.names()});
      start_delayed_history(now, pos, old_history);
    }
  }
  return prefer_new;
}

void BeaconState::start_delayed_history(Time now, int pos, const NodeList& old_history) {
  const std::string& node = old_history[0];
  if (delayed_histories_.count(node) != 0) return;  // a send for this node is pending already
  const auto seen = recovered_pings_.find(node);
  if (seen != recovered_pings_.end() && nodes() > 1 &&
      static_cast<double>(seen->second) <
          static_cast<double>(valid_pings_) - static_cast<double>(nodes()) / 2) {
    recovered_pings_.erase(seen);  // that node's last ping is too old to speak for it
    return;
  }
  if (seen != recovered_pings_.end()) recovered_pings_.erase(seen);
  delayed_histories_[node] = {now + util::seconds(staggered(config_.gap_s(), pos)),
                              old_history.names()};
}

void BeaconState::enable(Time now, std::optional<long long> length) {
  if (length && config_.nodes_count() < *length) {
    config_.nodes = Value(static_cast<std::int64_t>(*length));
    config_.version = Value(static_cast<std::int64_t>(config_.version_number()) + 1);
    send(SetupMessage{setup_node_, config_});
  }
  if (tag_ != Tag::disabled) return;
  tag_ = Tag::idle;
  history_.clear();
  history_.set_max_size(bound(nodes()));
  count_not_on_ = 1;
  send_ping(now);
  loop_step(now);
}

void BeaconState::disable(Time now, std::optional<long long> length) {
  if (tag_ == Tag::held) post(UntagEvent{});
  if (length) off_nodes_ = *length;
  history_.set_max_size(bound(length.value_or(0)));
  tag_ = Tag::disabled;
  loop_step(now);
}

void BeaconState::on_channel_status(Time now, bool up, std::string detail) {
  post(ChannelEvent{up, std::move(detail)});
  if (up == channel_up_) return;
  channel_up_ = up;
  if (tag_ == Tag::disabled) return;
  if (up) {
    set_next_ping_time(now);  // listen for a cycle first: the group's next ping re-arms this
  } else if (tag_ != Tag::idle) {
    if (tag_ == Tag::held) post(UntagEvent{});
    tag_ = Tag::idle;
  }
  loop_step(now);
}

void BeaconState::update_config(Time now, Config config) {
  config.validate();
  if (config.version_number() <= config_.version_number()) {
    throw std::invalid_argument("update_config needs a version above " +
                                config_.version.to_string());
  }
  config_ = std::move(config);
  setup_node_.reset();  // asyncactor sends this `vers` without a node
  send(SetupMessage{setup_node_, config_});
  loop_step(now);
}

}  // namespace compactor::beacon
