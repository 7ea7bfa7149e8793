// SPDX-License-Identifier: Apache-2.0
// Prometheus's text format of the readings that /metrics/snapshot shows too.

#include "ops/prometheus.hpp"
#include "metrics/metric_state.hpp"

#include <compactor/metrics.hpp>

#include <gtest/gtest.h>

namespace compactor {
namespace {

using namespace std::chrono_literals;

TEST(Prometheus, TextHasHelpTypeLabelsAndSummaries) {
  ManualClock clock;
  metrics::Timer latency("api/latency", {.clock = &clock}, "Time to answer.");
  latency.record(10ms);
  latency.record(30ms);
  metrics::Readings readings;
  latency.state()->read(readings);
  readings.push_back({.key = "compactor/processes/a/mailbox_depth",
                      .help = "Events queued.",
                      .value = 3,
                      .family = "compactor_process_mailbox_depth",
                      .labels = {{"process", "a\"b"}}});
  readings.push_back({.key = "work/done",
                      .help = "Work done.",
                      .kind = metrics::Reading::Kind::counter,
                      .value = 7});
  const auto text = ops::prometheus_text(readings);
  EXPECT_NE(text.find("# HELP api_latency_seconds Time to answer.\n"
                      "# TYPE api_latency_seconds summary\n"
                      "api_latency_seconds{quantile=\"0.5\"} 0.02\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("api_latency_seconds_sum 0.04\napi_latency_seconds_count 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("compactor_process_mailbox_depth{process=\"a\\\"b\"} 3\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE work_done_total counter\nwork_done_total 7\n"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace compactor
