// SPDX-License-Identifier: Apache-2.0
#include "beacon/name_table.hpp"

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace compactor::beacon {
namespace {

// Which of two holdings of one name stands: the higher epoch, on a tie the greater member.
bool outranks(const NameHolding& a, const NameHolding& b) {
  return std::tie(a.epoch, a.member) > std::tie(b.epoch, b.member);
}

}  // namespace

NameTable::NameTable(std::string member, std::size_t max_names, std::uint64_t first_seq)
    : member_(std::move(member)),
      max_names_(max_names),
      next_seq_(std::max<std::uint64_t>(first_seq, 1)) {}

std::uint64_t* NameTable::highest_epoch(const std::string& name) {
  const auto found = highest_epoch_.find(name);
  if (found != highest_epoch_.end()) return &found->second;
  if (highest_epoch_.size() >= max_names_) return nullptr;
  return &highest_epoch_.emplace(name, 0).first->second;
}

std::uint64_t NameTable::publish(util::Time now, const std::string& name, std::string pid,
                                 util::Duration lease) {
  std::uint64_t* highest = highest_epoch(name);
  if (highest == nullptr) {
    throw std::length_error("the group knows " + std::to_string(max_names_) +
                            " names already; cannot publish " + name);
  }
  const NameHolding holding{member_, std::move(pid), ++*highest, lease};
  set(name, holding);
  broadcast(NameMessage::Kind::hold, name, &holding);
  if (lease > util::Duration::zero()) {
    expires_.insert_or_assign(name, now + lease);
    refresh_at_.insert_or_assign(name, now + lease / 3);
  }
  return holding.epoch;
}

void NameTable::unpublish(const std::string& name) {
  const NameHolding* current = find(name);
  if (current == nullptr || current->member != member_) return;
  broadcast(NameMessage::Kind::drop, name, current);
  set(name, std::nullopt);
}

void NameTable::ask(const std::string& name) { broadcast(NameMessage::Kind::ask, name, nullptr); }

void NameTable::announce() {
  for (const auto& [name, holding] : holdings_) {
    if (holding.member == member_) broadcast(NameMessage::Kind::hold, name, &holding);
  }
}

void NameTable::leave() {
  broadcast(NameMessage::Kind::bye, {}, nullptr);
  std::vector<std::string> own;
  for (const auto& [name, holding] : holdings_) {
    if (holding.member == member_) own.push_back(name);
  }
  for (const auto& name : own) set(name, std::nullopt);
}

std::string NameTable::farewell() const {
  return encode(NameMessage{NameMessage::Kind::bye, member_, {}, {}, 0});
}

void NameTable::receive(util::Time now, std::string_view payload) {
  auto decoded = decode_name_message(payload);
  if (auto* error = std::get_if<NameDecodeError>(&decoded)) {
    actions_.ignored.push_back(std::move(error->reason));
    return;
  }
  const auto& message = std::get<NameMessage>(decoded);
  if (message.seq != 0 && message.member != member_ && !in_order(message)) return;
  if (message.member == member_) {
    // Our own echo, or our will: the server lost us for a moment and the others forgot our
    // names, so they hear them again. A leased holding's echo renews it here too.
    if (message.kind == NameMessage::Kind::bye) announce();
    if (const auto* current = find(message.name);
        message.kind == NameMessage::Kind::hold && current != nullptr &&
        current->member == member_ && current->epoch == message.epoch &&
        current->lease > util::Duration::zero()) {
      expires_.insert_or_assign(message.name, now + current->lease);
    }
    return;
  }
  switch (message.kind) {
    case NameMessage::Kind::hold:
      on_hold(now, message);
      break;
    case NameMessage::Kind::drop:
      if (const auto* current = find(message.name); current != nullptr &&
                                                    current->member == message.member &&
                                                    current->epoch <= message.epoch) {
        set(message.name, std::nullopt);
      }
      break;
    case NameMessage::Kind::ask:
      on_ask(message.name);
      break;
    case NameMessage::Kind::vacant:
      if (std::uint64_t* highest = highest_epoch(message.name)) {
        *highest = std::max(*highest, message.epoch);
      }
      break;
    case NameMessage::Kind::bye:
      forget_member(message.member);
      break;
  }
}

// True if `message` is its sender's newest so far; a late one (gossip overtook it) is dropped,
// so that a goodbye is not undone by a publication sent before it.
bool NameTable::in_order(const NameMessage& message) {
  const auto last = last_seq_.find(message.member);
  if (last != last_seq_.end()) {
    if (message.seq <= last->second) return false;
    last->second = message.seq;
  } else if (last_seq_.size() < max_names_) {
    last_seq_.emplace(message.member, message.seq);
  }
  return true;
}

// The holder answers; while nobody holds the name, everyone who saw it held says how high its
// epoch went, so that an asker who publishes it goes higher (a newcomer claiming a singleton).
void NameTable::on_ask(const std::string& name) {
  if (const auto* current = find(name)) {
    if (current->member == member_) broadcast(NameMessage::Kind::hold, name, current);
    return;
  }
  const auto highest = highest_epoch_.find(name);
  if (highest != highest_epoch_.end() && highest->second > 0) {
    const NameHolding vacancy{member_, {}, highest->second};
    broadcast(NameMessage::Kind::vacant, name, &vacancy);
  }
}

void NameTable::on_hold(util::Time now, const NameMessage& message) {
  std::uint64_t* highest = highest_epoch(message.name);
  if (highest == nullptr) {
    actions_.ignored.push_back("a hold of a new name while " + std::to_string(max_names_) +
                               " are known");
    return;
  }
  *highest = std::max(*highest, message.epoch);
  NameHolding offered{message.member, message.pid, message.epoch,
                      std::chrono::milliseconds(message.lease_ms)};
  const NameHolding* current = find(message.name);
  if (current == nullptr ||
      (current->member == offered.member && offered.epoch >= current->epoch) ||
      outranks(offered, *current)) {
    const auto lease = offered.lease;
    set(message.name, std::move(offered));
    if (lease > util::Duration::zero()) expires_.insert_or_assign(message.name, now + lease);
  } else if (current->member == member_) {
    // Ours stands: the other side of a healed partition learns that it lost the name.
    broadcast(NameMessage::Kind::hold, message.name, current);
  }
}

void NameTable::on_deadline(util::Time now) {
  for (auto& [name, at] : refresh_at_) {
    if (at > now) continue;
    broadcast(NameMessage::Kind::hold, name, find(name));
    at = now + find(name)->lease / 3;
  }
  std::vector<std::string> lapsed;
  for (const auto& [name, at] : expires_) {
    if (at <= now) lapsed.push_back(name);
  }
  for (const auto& name : lapsed) set(name, std::nullopt);
}

util::Time NameTable::next_deadline() const {
  util::Time next = util::kNever;
  for (const auto& [name, at] : expires_) next = std::min(next, at);
  for (const auto& [name, at] : refresh_at_) next = std::min(next, at);
  return next;
}

void NameTable::forget_member(const std::string& member) {
  if (member == member_) return;
  forget_if([&](const NameHolding& holding) { return holding.member == member; });
}

void NameTable::forget_pid(std::string_view pid) {
  forget_if(
      [&](const NameHolding& holding) { return holding.pid == pid && holding.member != member_; });
}

template <class Predicate>
void NameTable::forget_if(Predicate&& forgotten) {
  std::vector<std::string> names;
  for (const auto& [name, holding] : holdings_) {
    if (forgotten(holding)) names.push_back(name);
  }
  for (const auto& name : names) set(name, std::nullopt);
}

bool NameTable::holds_any() const {
  return std::any_of(holdings_.begin(), holdings_.end(),
                     [&](const auto& entry) { return entry.second.member == member_; });
}

const NameHolding* NameTable::find(std::string_view name) const {
  const auto found = holdings_.find(name);
  return found == holdings_.end() ? nullptr : &found->second;
}

void NameTable::set(const std::string& name, std::optional<NameHolding> holding) {
  const auto found = holdings_.find(name);
  if (found == holdings_.end() ? !holding : holding && found->second == *holding) return;
  const bool leased = holding && holding->lease > util::Duration::zero();
  if (!leased) expires_.erase(name);
  if (!leased || holding->member != member_) refresh_at_.erase(name);
  if (holding) {
    holdings_.insert_or_assign(name, *holding);
  } else {
    holdings_.erase(found);
  }
  actions_.changes.push_back({name, std::move(holding)});
}

void NameTable::broadcast(NameMessage::Kind kind, const std::string& name,
                          const NameHolding* holding) {
  NameMessage message{kind, member_, name, {}, 0};
  message.seq = next_seq_++;
  if (holding != nullptr) {
    message.pid = holding->pid;
    message.epoch = holding->epoch;
    message.lease_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(holding->lease).count());
  }
  actions_.broadcasts.push_back(encode(message));
}

}  // namespace compactor::beacon
