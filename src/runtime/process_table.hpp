#pragma once
// The processes of one context, by id.

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
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
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<ProcessRecord>, Hash, std::equal_to<>> records_;
};

}  // namespace compactor::runtime
