// SPDX-License-Identifier: Apache-2.0
#pragma once
// The names one group member knows, sans I/O: its own calls and the payloads of the names
// channel in; payloads to broadcast and changes of holders out (take_actions()), and when its
// leases are next due. No clock: the driver passes the time; when to ask again, and which
// members are gone, is the driver's (group/names.cpp).

#include "beacon/name_map.hpp"
#include "beacon/name_messages.hpp"
#include "util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace compactor::beacon {

/// A name's holder, as a table knows it; `pid` is text, as on the wire.
struct NameHolding {
  std::string member;       ///< Who published it.
  std::string pid;          ///< The PID's text.
  std::uint64_t epoch = 0;  ///< Its publication's epoch.
  util::Duration lease{};   ///< Within which the holder repeats it; zero: no lease.
  friend bool operator==(const NameHolding&, const NameHolding&) = default;
};

class NameTable {
 public:
  /// A name's holder changed; none: nobody holds it now.
  struct Change {
    std::string name;
    std::optional<NameHolding> holding;
  };

  /// The table of the member named `member`, knowing at most `max_names` names (a peer
  /// publishing more is ignored for the new ones). Its messages are counted from `first_seq`:
  /// above the count of any earlier run under the same name (the driver takes the time in µs).
  static constexpr std::size_t kMostNames = 10'000;  ///< The default bound.
  explicit NameTable(std::string member, std::size_t max_names = kMostNames,
                     std::uint64_t first_seq = 1);

  const std::string& member() const { return member_; }

  /// This member holds `name` as `pid`, with an epoch above every one it saw for it; broadcast.
  /// With a `lease`, it repeats the publication every third of it, and every member forgets the
  /// name when no repetition came within it, this one too when its own did not come back: a
  /// holder cut off from the group loses the name (both by on_deadline()).
  std::uint64_t publish(util::Time now, const std::string& name, std::string pid,
                        util::Duration lease = {});
  /// Withdraws `name` if this member holds it; broadcast.
  void unpublish(const std::string& name);
  /// Asks the group who holds `name`.
  void ask(const std::string& name);
  /// Every name this member holds, broadcast again (its channel came back: who missed what).
  void announce();
  /// Forgets everything this member holds, and tells the others.
  void leave();
  /// What the others should hear if this member vanishes (MQTT's will).
  std::string farewell() const;

  /// A payload of the names channel, own echoes included (they renew this member's leases).
  void receive(util::Time now, std::string_view payload);
  /// `member` is gone from the group: its names are nobody's.
  void forget_member(const std::string& member);
  /// The process `pid` cannot be reached from here: the names it holds are nobody's, here.
  void forget_pid(std::string_view pid);
  /// Repeats this member's leased publications that are due; forgets the names whose lease ran
  /// out.
  void on_deadline(util::Time now);
  /// When on_deadline() next has something to do (kNever: never).
  util::Time next_deadline() const;

  /// The holder of `name`, if any.
  const NameHolding* find(std::string_view name) const;
  /// True if this member holds a name.
  bool holds_any() const;
  /// Every name held, with its holder.
  const NameMap<NameHolding>& holdings() const { return holdings_; }

  /// What the calls above produced since the last take: payloads to broadcast, in order; the
  /// changes of holders, in order; why payloads were ignored.
  struct Actions {
    std::vector<std::string> broadcasts;
    std::vector<Change> changes;
    std::vector<std::string> ignored;
  };
  Actions take_actions() { return std::exchange(actions_, {}); }

 private:
  void on_hold(util::Time now, const NameMessage& message);
  void on_ask(const std::string& name);
  bool in_order(const NameMessage& message);
  // The highest epoch seen for `name`, made if there is room; null when the table is full.
  std::uint64_t* highest_epoch(const std::string& name);
  void set(const std::string& name, std::optional<NameHolding> holding);
  // Every name whose holding `forgotten` says so is nobody's.
  template <class Predicate>
  void forget_if(Predicate&& forgotten);
  void broadcast(NameMessage::Kind kind, const std::string& name, const NameHolding* holding);

  const std::string member_;
  const std::size_t max_names_;
  NameMap<NameHolding> holdings_;
  NameMap<std::uint64_t> highest_epoch_;
  NameMap<util::Time> expires_;      // leased holdings: when they lapse unless repeated
  NameMap<util::Time> refresh_at_;   // this member's leased holdings: when to repeat them
  std::uint64_t next_seq_;           // of this member's next message
  NameMap<std::uint64_t> last_seq_;  // per member: the count of its last message heard
  Actions actions_;
};

}  // namespace compactor::beacon
