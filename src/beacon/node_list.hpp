// SPDX-License-Identifier: Apache-2.0
#pragma once
// The history of recent beacon senders, newest first, with asyncactor's ageing rule.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace compactor::beacon {

// `add(name)` moves `name` to the front. If the list is bounded (max_size > 0) it also drops the
// last entry when `name` was found anywhere but at the end, or when the list is full: a node that
// pings out of turn pushes stale nodes off the tail (asyncactor's NodeList.__iadd__).
class NodeList {
 public:
  explicit NodeList(std::size_t max_size = 0, std::vector<std::string> names = {})
      : max_size_(max_size), names_(std::move(names)) {}

  void add(std::string_view name);

  // Position of `name` from the front, or -1.
  int index_of(std::string_view name) const;

  bool contains(std::string_view name) const { return index_of(name) >= 0; }
  bool empty() const { return names_.empty(); }
  std::size_t size() const { return names_.size(); }
  const std::string& operator[](std::size_t i) const { return names_[i]; }
  const std::vector<std::string>& names() const { return names_; }

  // The first `count` names (all if fewer).
  std::vector<std::string> head(std::size_t count) const;

  std::size_t max_size() const { return max_size_; }
  void set_max_size(std::size_t max_size) { max_size_ = max_size; }
  void clear() { names_.clear(); }

 private:
  std::size_t max_size_;
  std::vector<std::string> names_;
};

}  // namespace compactor::beacon
