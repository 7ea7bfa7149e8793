// SPDX-License-Identifier: Apache-2.0
#include "beacon/node_list.hpp"

#include <algorithm>

namespace compactor::beacon {

void NodeList::add(std::string_view name) {
  const int found = index_of(name);
  if (found >= 0) names_.erase(names_.begin() + found);
  // Compared after the removal, as asyncactor does: "found, and not at the end".
  const bool removed_inside = found >= 0 && static_cast<std::size_t>(found) < names_.size();
  if (max_size_ > 0 && !names_.empty() && (removed_inside || names_.size() == max_size_)) {
    names_.pop_back();
  }
  names_.insert(names_.begin(), std::string(name));
}

int NodeList::index_of(std::string_view name) const {
  const auto it = std::find(names_.begin(), names_.end(), name);
  return it == names_.end() ? -1 : static_cast<int>(it - names_.begin());
}

std::vector<std::string> NodeList::head(std::size_t count) const {
  return {names_.begin(),
          names_.begin() + static_cast<std::ptrdiff_t>(std::min(count, names_.size()))};
}

}  // namespace compactor::beacon
