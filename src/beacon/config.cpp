// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/config.hpp>

#include <stdexcept>
#include <string>

namespace compactor::beacon {

void Config::validate() const {
  for (const auto* field : {&cycle, &gap, &nodes, &splits, &n_hosts, &version, &force_in}) {
    if (!field->as_number()) throw std::invalid_argument("beacon config values must be numbers");
  }
  if (cycle_s() < 1) throw std::invalid_argument("beacon config: cycle must be >= 1");
  if (gap_s() < 0) throw std::invalid_argument("beacon config: gap must be >= 0");
  if (cycle_s() < 3 * gap_s())
    throw std::invalid_argument("beacon config: cycle must be >= 3 * gap");
}

}  // namespace compactor::beacon
