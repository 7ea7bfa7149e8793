// SPDX-License-Identifier: Apache-2.0
#pragma once
// A beacon group's timing configuration, as asyncactor's `vers` message carries it.

#include <compactor/beacon/value.hpp>
#include <compactor/export.hpp>

namespace compactor::beacon {

/// Field types are kept as sent (an int stays an int, a float a float64) so that a configuration
/// re-broadcast to Python peers is byte-identical; the accessors read them as numbers.
struct COMPACTOR_API Config {
  Value cycle = 10;    ///< base interval C, seconds
  Value gap = 1.5;     ///< collision window G, seconds
  Value nodes = 5;     ///< history length; <= 0 is unlimited
  Value splits = 4;    ///< history entries sent in a ping
  Value n_hosts = 10;  ///< rough group size, for the newcomer probability
  Value version = 0;   ///< a higher version received supersedes this one
  Value force_in = 0;  ///< off-list members try harder to get on the list

  /// The fields as numbers, with asyncactor's defaults when a field is not a number.
  ///@{
  double cycle_s() const { return cycle.as_number().value_or(10); }
  double gap_s() const { return gap.as_number().value_or(1.5); }
  long long nodes_count() const { return static_cast<long long>(nodes.as_number().value_or(5)); }
  long long splits_count() const { return static_cast<long long>(splits.as_number().value_or(4)); }
  long long hosts_count() const { return static_cast<long long>(n_hosts.as_number().value_or(10)); }
  double version_number() const { return version.as_number().value_or(0); }
  bool force_in_enabled() const { return force_in.as_number().value_or(0) != 0; }
  ///@}
  /// The longest a cycle lasts, C + 2.5 G: a group that is alive pings at least this often.
  double longest_cycle_s() const { return cycle_s() + 2.5 * gap_s(); }

  /// asyncactor's local validation: cycle >= 1, gap >= 0, cycle >= 3 * gap. Throws
  /// std::invalid_argument saying which rule is broken.
  void validate() const;
};

}  // namespace compactor::beacon
