// SPDX-License-Identifier: Apache-2.0
#pragma once
// Prometheus's text exposition format (version 0.0.4) of the same readings as /metrics/snapshot.

#include "metrics/reading.hpp"

#include <string>
#include <string_view>

namespace compactor::ops {

// Families in the order they first appear, each with its HELP and TYPE; counters end in
// "_total", timers are summaries in seconds (quantiles over the window, _sum and _count over
// all samples).
std::string prometheus_text(const metrics::Readings& readings);

}  // namespace compactor::ops
