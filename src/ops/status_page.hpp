// SPDX-License-Identifier: Apache-2.0
#pragma once
// The live status page served at /__status__, and the state it polls.

#include <string>
#include <string_view>

namespace compactor::runtime {
class ContextCore;
}

namespace compactor::ops {

// The page: HTML, CSS and JavaScript in one document, nothing fetched from elsewhere
// (src/ops/status_page.html, embedded at build time).
extern const std::string_view kStatusPage;

// /__status__/state.json: the context's address, counters, drops by reason, processes,
// connections, flow-control limits and published group members.
std::string status_json(runtime::ContextCore& core);

}  // namespace compactor::ops
