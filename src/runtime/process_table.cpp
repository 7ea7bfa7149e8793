// SPDX-License-Identifier: Apache-2.0
#include "runtime/process_table.hpp"

#include "runtime/process_record.hpp"

#include <mutex>

namespace compactor::runtime {

bool ProcessTable::insert(const std::string& id, std::shared_ptr<ProcessRecord> record) {
  std::unique_lock lock(mutex_);
  auto [it, inserted] = records_.try_emplace(id, record);
  if (inserted) return true;
  if (!it->second->terminated()) return false;
  it->second = std::move(record);  // the old one is only finishing its termination
  return true;
}

std::shared_ptr<ProcessRecord> ProcessTable::find(std::string_view id) const {
  std::shared_lock lock(mutex_);
  const auto it = records_.find(id);
  return it == records_.end() ? nullptr : it->second;
}

void ProcessTable::erase(const std::string& id, const ProcessRecord* record) {
  std::unique_lock lock(mutex_);
  const auto it = records_.find(id);
  if (it != records_.end() && it->second.get() == record) records_.erase(it);
}

std::vector<std::shared_ptr<ProcessRecord>> ProcessTable::all() const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<ProcessRecord>> result;
  result.reserve(records_.size());
  for (const auto& [id, record] : records_) result.push_back(record);
  return result;
}

}  // namespace compactor::runtime
