// SPDX-License-Identifier: Apache-2.0
#pragma once
// The asyncactor 0.24.0 beacon algorithm as a sans-I/O state machine: payloads and timer expiries
// in, payloads to broadcast and events out. No sockets, no threads, no clock of its own: the
// caller passes the time and asks when to call back.

#include "beacon/membership.hpp"
#include "beacon/messages.hpp"
#include "beacon/name_map.hpp"
#include "beacon/node_list.hpp"
#include "util/time.hpp"

#include <compactor/beacon/events.hpp>
#include <compactor/beacon/member_info.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace compactor::beacon {

using util::Time;

// @note Not thread-safe: one owner drives it (a channel driver or a simulator).
class BeaconState {
 public:
  struct Options {
    bool enabled = true;    // a disabled (passive) member never pings but still reports PingEvents
    bool send_raw = false;  // report every payload as a RawEvent
    // Not asyncactor: report a node gone (GoneEvent) after this many cycles (of C + 2.5 G, the
    // longest a cycle takes) without hearing from it; 0: keep no membership events.
    double gone_after_cycles = 0;
    // Not asyncactor: while the history has free places, a member off it takes the newcomer
    // slot with odds 1 / (members heard from and off it, itself included) rather than
    // 1 / (free places x n_hosts), so that a group smaller than `nodes` has every member on the
    // history, taking turns and so heard, within a few cycles. With asyncactor's odds a live
    // member of a 3-member group may stay off it, silent, for minutes (and be reported gone).
    bool prompt_newcomers = true;
  };

  // `random` returns uniform values in [0, 1); inject a seeded one for deterministic runs.
  BeaconState(std::string name, Config config, Options options, std::function<double()> random);

  const std::string& name() const { return name_; }

  // Broadcasts `init` and `vers` and starts the start-up delay.
  void start(Time now);

  // A payload from the channel (own echoes included).
  void on_payload(Time now, std::string_view payload);

  // A message already decoded; shared, so a simulation decodes each broadcast once for all
  // members, and a member keeps it (start-up queue, PingEvent window) without a copy.
  using SharedMessage = std::shared_ptr<const Message>;
  void on_message(Time now, SharedMessage message);

  // Runs every timer due at `now`.
  void on_deadline(Time now);

  // When on_deadline() wants to be called next; kNever if never.
  Time next_deadline() const;

  // What the calls so far produced, handed over and cleared: payloads to broadcast and events,
  // each in order, and things worth a log line (malformed payloads, incomparable values),
  // rate-limited here.
  struct Actions {
    std::vector<std::string> broadcasts;
    std::vector<Event> events;
    std::vector<std::string> warnings;
  };
  Actions take_actions() { return std::exchange(actions_, {}); }

  // API of asyncactor's Actor.
  void set_value(Value value) { value_ = std::move(value); }
  const Value& value() const { return value_; }
  void set_ready() { ready_ = true; }
  // Not asyncactor: the channel lost its broker or agent (up = false) or has it again; reported
  // as a ChannelEvent. While it is down the member holds no tag and sends no ping.
  void on_channel_status(Time now, bool up, std::string detail);
  void enable(Time now, std::optional<long long> length = std::nullopt);
  void disable(Time now, std::optional<long long> length = 0);
  // Needs a higher version than the current one (std::invalid_argument otherwise).
  void update_config(Time now, Config config);

  const Config& config() const { return config_; }
  std::vector<std::string> history() const { return history_.names(); }
  Value value_of(std::string_view node) const;
  bool tagged() const { return tag_ == Tag::held; }
  // As the channel last reported (up until told otherwise).
  bool channel_up() const { return channel_up_; }
  // The last sender of an accepted ping (passive: of the last PingEvent): the tag holder, as far
  // as this member knows.
  std::optional<std::string> holder() const;
  // Everyone heard from, by name.
  std::vector<MemberInfo> members(Time now) const;
  bool stopped() const { return stopped_; }

  // Payloads that were not messages: counted, dropped; the 1st, 2nd, 4th, 8th... give a warning.
  std::size_t malformed() const { return malformed_; }

 private:
  static constexpr Time kNever = util::kNever;

  long long nodes() const;  // the history bound in force (disabled: the "off" bound)
  void send(const Message& message);
  void post(Event event);
  void warn(std::string warning) { actions_.warnings.push_back(std::move(warning)); }

  void finish_startup(Time now);
  void send_ping(Time now);
  void send_history(const std::vector<std::string>& history);
  void loop_step(Time now);
  void set_next_ping_time(Time now);
  double time_to_next_ping();
  double ping_delay(int pos, int length, long long todo, long long total);

  void process(Time now, const SharedMessage& message);
  // True for a valid ping that is not superseded (asyncactor's process_msg).
  bool process_msg(Time now, const SharedMessage& shared);
  void queue_for_ping_event(Time now, const SharedMessage& message);
  bool has_priority(const std::string& a, const std::string& b);  // may warn
  double newcomer_odds(long long todo, double hosts) const;
  void start_delayed_history(Time now, int pos, const NodeList& old_history);

  std::string name_;
  Config config_;
  Options options_;
  std::function<double()> random_;

  Actions actions_;

  bool started_ = false;
  bool stopped_ = false;
  bool self_seen_ = false;
  bool ready_ = false;
  Value value_;
  // Where this member is on its way to the tag: not taking part (disabled), idle, its beacon just
  // sent, waiting out the gap after it, or holding the tag.
  enum class Tag { disabled, idle, just_sent, in_gap, held };
  Tag tag_;
  // Not asyncactor: a member takes the tag only if its ping came back, so one cut off from the
  // channel (its broker gone silent) does not hold a tag that nobody hears.
  bool own_ping_back_ = false;
  bool channel_up_ = true;
  bool cut_off_warned_ = false;  // "our ping did not come back" said once until one does
  long long off_nodes_ = 0;
  long long valid_pings_ = 0;
  long long count_not_on_ = 0;
  NameMap<Value> values_;
  NodeList history_;

  Time startup_end_ = kNever;
  std::deque<SharedMessage>
      startup_queue_;  // received during the start-up delay, processed after it
  Time next_ping_time_{};
  Time t_dest_{};
  Time main_deadline_ = kNever;

  // The PingEvent window: opens with the first queued message, reports the last after 2G.
  Time ping_window_end_ = kNever;
  SharedMessage ping_window_last_;
  std::string last_pinged_;  // the node of the last PingEvent

  Time version_resend_at_ = kNever;

  // Split recovery: a delayed `hist` per node, or the valid-ping count when a node last pinged.
  struct DelayedHistory {
    Time at;
    std::vector<std::string> history;
  };
  std::map<std::string, DelayedHistory, std::less<>> delayed_histories_;
  NameMap<long long> recovered_pings_;

  Membership membership_;
  std::size_t malformed_ = 0;
  // Node pairs whose values could not be compared, warned about once each.
  std::set<std::pair<std::string, std::string>> incomparable_;
  std::optional<std::string> setup_node_;  // the author named in the `vers` we (re)send
};

}  // namespace compactor::beacon
