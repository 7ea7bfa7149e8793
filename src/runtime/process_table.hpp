// SPDX-License-Identifier: Apache-2.0
#pragma once
// The processes of one context, by id.

#include <compactor/detail/string_map.hpp>

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace compactor::runtime {

class ProcessRecord;

// @note Thread-safe; lookups take a shared lock, so concurrent deliveries do not serialize.
class ProcessTable {
 public:
  // Adds `record` under `id`; false if the id is taken by a process that has not terminated.
  // A terminated one that is still finishing (and findable by wait) is replaced.
  bool insert(const std::string& id, std::shared_ptr<ProcessRecord> record);

  // The process named `id`, or null.
  std::shared_ptr<ProcessRecord> find(std::string_view id) const;

  // Removes `id` if it still maps to `record`.
  void erase(const std::string& id, const ProcessRecord* record);

  // Every live process.
  std::vector<std::shared_ptr<ProcessRecord>> all() const;

 private:
  mutable std::shared_mutex mutex_;
  detail::StringMap<std::shared_ptr<ProcessRecord>> records_;
};

}  // namespace compactor::runtime
