// SPDX-License-Identifier: Apache-2.0
#pragma once
// Prometheus's text exposition format (version 0.0.4) of the same readings as /metrics/snapshot.

#include "ops/reading.hpp"

#include <string>
#include <string_view>

namespace compactor::ops {

// The Prometheus name of a metric key: '/' and every other character Prometheus does not allow
// become '_' ("master/messages_received" -> "master_messages_received"). A timer's unit suffix
// is dropped from its key: timers are exported in seconds, as Prometheus wants.
std::string prometheus_family(const Reading& reading);

// Families in the order they first appear, each with its HELP and TYPE; counters end in
// "_total", timers are summaries in seconds (quantiles over the window, _sum and _count over
// all samples).
std::string prometheus_text(const Readings& readings);

}  // namespace compactor::ops
