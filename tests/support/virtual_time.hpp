// SPDX-License-Identifier: Apache-2.0
#pragma once
// Tests of the sans-I/O cores count time in seconds from 0 (or as a capture recorded it); the
// cores take util::Time. These convert at the edge.

#include "util/time.hpp"

namespace compactor::testing {

inline util::Time time_at(double seconds) { return util::Time{} + util::seconds(seconds); }
inline double seconds_of(util::Time time) { return util::in_seconds(time - util::Time{}); }

}  // namespace compactor::testing
