// SPDX-License-Identifier: Apache-2.0
// The context's operator endpoints against libprocess's documented and captured shapes
// (tests/data/endpoints-libprocess.txt), and /metrics against Prometheus's own promtool.

#include "support/child_process.hpp"
#include "support/raw_client.hpp"

#include <compactor/compactor.hpp>

#include <gtest/gtest.h>

#include <condition_variable>
#include <fstream>
#include <regex>
#include <set>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::RawClient;

struct Answer {
  int status = 0;
  std::string headers;
  std::string body;
};

Answer get(const Context& context, const std::string& target) {
  RawClient client("127.0.0.1", context.address().port);
  client.write("GET " + target + " HTTP/1.1\r\nConnection: close\r\n\r\n");
  const auto raw = client.read_until_close(15s);
  const auto end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end == std::string::npos) return {};
  return {std::stoi(raw.substr(9, 3)), raw.substr(0, end), raw.substr(end + 4)};
}

// The keys of a flat JSON object of numbers.
std::set<std::string> keys_of(const std::string& json) {
  std::set<std::string> keys;
  static const std::regex key(R"re("([^"]+)":)re");
  for (auto it = std::sregex_iterator(json.begin(), json.end(), key); it != std::sregex_iterator();
       ++it) {
    keys.insert((*it)[1]);
  }
  return keys;
}

// The body libprocess answered to `request` in the capture.
std::string captured(const std::string& request) {
  std::ifstream file(std::string(COMPACTOR_TEST_DATA) + "/endpoints-libprocess.txt");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto start = text.find("===== [libprocess] " + request + "\n");
  if (start == std::string::npos) throw std::runtime_error("not captured: " + request);
  const auto body = text.find("\r\n\r\n", start) + 4;
  return text.substr(body, text.find("\n[rc=", body) - body);
}

// Blocked in its first handler until open(): what is sent meanwhile stays queued.
class Gate : public Process {
 public:
  Gate() : Process("gate") {
    install("m", [this](const PID&, std::string_view) {
      std::unique_lock lock(mutex_);
      entered_ = true;
      opened_.notify_all();
      opened_.wait(lock, [this] { return open_; });
    });
    route(
        "/stats",
        [](const http::Request&, http::Responder respond) { respond(http::Response::json("{}")); },
        {.help = "Counts of what the gate let through."});
    add_metric(passed_);
  }
  bool wait_entered() {
    std::unique_lock lock(mutex_);
    return opened_.wait_for(lock, 10s, [this] { return entered_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    opened_.notify_all();
  }
  metrics::Counter passed_{"gate/passed", "Messages let through."};

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
  bool entered_ = false;
};

TEST(Endpoints, ProcessesListsQueuedEventsAsLibprocess) {
  Gate gate;  // outlives the context, which terminates it
  Context context;
  context.spawn(gate);
  const PID from("client", context.address());
  context.send(from, gate.self(), "m", "first");  // taken, and blocks the gate
  ASSERT_TRUE(gate.wait_entered());
  context.send(from, gate.self(), "m", "queued \"body\"");
  context.send(from, gate.self(), "m", std::string(10'000, 'x'));  // listed cut at 4 KiB
  const auto answer = get(context, "/__processes__");
  EXPECT_EQ(answer.status, 200);
  EXPECT_NE(answer.headers.find("Content-Type: application/json"), std::string::npos);
  EXPECT_NE(answer.body.find(R"({"id":"gate","pid":")" + gate.self().to_string() +
                             R"(","events":[{"type":"MESSAGE","name":"m","from":")" +
                             from.to_string() + R"(","to":")" + gate.self().to_string() +
                             R"(","body":"queued \"body\""},{"type":"MESSAGE")"),
            std::string::npos)
      << answer.body;
  EXPECT_NE(answer.body.find(R"(","body":")" + std::string(4096, 'x') + R"(","body_size":10000})"),
            std::string::npos);
  EXPECT_EQ(get(context, "/__processes__/").status, 200);  // as libprocess
  gate.open();
}

TEST(Endpoints, SnapshotHasLibprocessSystemKeysJsonpAndTheProcessesMetrics) {
  Gate gate;  // outlives the context, which terminates it
  Context context;
  context.spawn(gate);
  gate.open();
  gate.passed_ += 2;
  const auto answer = get(context, "/metrics/snapshot");
  EXPECT_EQ(answer.status, 200);
  const auto keys = keys_of(answer.body);
  for (const auto& key : keys_of(captured("GET /metrics/snapshot"))) {
    EXPECT_TRUE(keys.contains(key)) << key << " (libprocess has it)";
  }
  EXPECT_NE(answer.body.find("\"gate/passed\":2"), std::string::npos) << answer.body;
  for (const char* key :
       {"compactor/messages_sent_remote", "compactor/messages_dropped/unsent",
        "compactor/processes/gate/mailbox_depth", "compactor/processes/gate/mailbox_bytes",
        "compactor/processes/gate/events_handled", "compactor/processes/gate/busy_secs",
        "compactor/connections/inbound"}) {
    EXPECT_TRUE(keys.contains(key)) << key;
  }

  const auto jsonp = get(context, "/metrics/snapshot?jsonp=cb");
  EXPECT_NE(jsonp.headers.find("Content-Type: text/javascript"), std::string::npos);
  EXPECT_TRUE(jsonp.body.starts_with("cb({\"") && jsonp.body.ends_with("})")) << jsonp.body;
  EXPECT_EQ(get(context, "/metrics/snapshot?jsonp=alert(1)//").status, 400);
  EXPECT_EQ(get(context, "/metrics/snapshot?timeout=soon").status, 400);

  // A process's metrics leave with it.
  context.terminate(gate.self());
  ASSERT_TRUE(context.wait(gate.self(), 10s));
  EXPECT_EQ(get(context, "/metrics/snapshot").body.find("gate/passed"), std::string::npos);
}

TEST(Endpoints, ASlowPullGaugeIsLeftOutAfterTheTimeout) {
  Context context;
  Promise<double> never;
  context.metrics().add(metrics::PullGauge("slow", [never] { return never.future(); }));
  const auto started = std::chrono::steady_clock::now();
  const auto answer = get(context, "/metrics/snapshot?timeout=200ms");
  EXPECT_EQ(answer.status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 200ms);
  EXPECT_EQ(answer.body.find("\"slow\""), std::string::npos);
  EXPECT_NE(answer.body.find("\"system/cpus_total\""), std::string::npos);
}

TEST(Endpoints, HelpIsLibprocessMarkdownDownToARoutesHelp) {
  Gate gate;  // outlives the context, which terminates it
  Context context;
  context.spawn(gate);
  gate.open();
  ASSERT_TRUE(context.settle());
  const auto index = get(context, "/help");
  EXPECT_NE(index.headers.find("Content-Type: text/x-markdown"), std::string::npos);
  EXPECT_TRUE(index.body.starts_with("## HELP\n")) << index.body;
  // libprocess's lines for its built-in processes, and ours for the gate.
  for (const char* line :
       {"> [/logging][logging]\n", "> [/metrics][metrics]\n", "> [/system][system]\n",
        "> [/gate][gate]\n", "[gate]: help/gate\n", "[metrics]: help/metrics\n"}) {
    EXPECT_NE(index.body.find(line), std::string::npos) << line;
    if (std::string(line) != "> [/gate][gate]\n" && std::string(line) != "[gate]: help/gate\n") {
      EXPECT_NE(captured("GET /help").find(line), std::string::npos) << line;
    }
  }
  EXPECT_EQ(get(context, "/help/gate").body,
            "## `/gate` ##\n> [/gate/stats][gate/stats]\n\n[gate/stats]: gate/stats\n");
  EXPECT_NE(get(context, "/help/gate/stats").body.find("Counts of what the gate let through."),
            std::string::npos);
  EXPECT_NE(get(context, "/help/metrics/snapshot").body.find("jsonp"), std::string::npos);
  EXPECT_EQ(get(context, "/help/nosuch").status, 404);
  EXPECT_EQ(get(context, "/help/gate/nosuch").status, 404);
}

TEST(Endpoints, SystemStatsAsLibprocess) {
  Context context;
  const auto answer = get(context, "/system/stats.json");
  EXPECT_EQ(answer.status, 200);
  const auto keys = keys_of(answer.body);
  for (const char* key : {"avg_load_1min", "avg_load_5min", "avg_load_15min", "cpus_total",
                          "mem_free_bytes", "mem_total_bytes"}) {
    EXPECT_TRUE(keys.contains(key)) << key << " in " << answer.body;
  }
}

TEST(Endpoints, PrometheusMetricsPassPromtool) {
  Gate gate;  // outlives the context, which terminates it
  Context context;
  context.spawn(gate);
  gate.open();
  ManualClock clock;
  metrics::Timer latency("gate/latency", {.clock = &clock}, "Time to let a message through.");
  latency.record(3ms);
  latency.record(5ms);
  context.metrics().add(latency);
  context.metrics().add(metrics::Gauge("gate/open"));
  // A connection of ours, so that the per-connection families are there too.
  const auto client = std::make_unique<RawClient>("127.0.0.1", context.address().port);
  ASSERT_TRUE(context.settle());  // the gate has initialized: its mailbox is empty (depth 0)
  const auto answer = get(context, "/metrics");
  EXPECT_EQ(answer.status, 200);
  EXPECT_NE(answer.headers.find("text/plain; version=0.0.4"), std::string::npos);
  for (const char* line :
       {"# TYPE compactor_messages_dropped_total counter\n",
        "compactor_drops_total{reason=\"mailbox_full\"} 0\n",
        "compactor_process_mailbox_depth{process=\"gate\"} 0\n",
        "# TYPE gate_latency_seconds summary\n", "gate_latency_seconds_count 2\n",
        "gate_passed_total 0\n", "# TYPE system_load_1min gauge\n",
        "compactor_connections{direction=\"inbound\"} "}) {
    EXPECT_NE(answer.body.find(line), std::string::npos) << line << " in\n" << answer.body;
  }
  const std::string file = ::testing::TempDir() + "compactor_metrics.txt";
  std::ofstream(file) << answer.body;
  ChildProcess promtool({testing::find_program("sh"), "-c",
                         testing::find_program("promtool") + " check metrics < " + file + " 2>&1"});
  std::string complaints;
  while (auto line = promtool.read_line(20s)) complaints += *line + "\n";
  EXPECT_EQ(promtool.wait(20s), 0) << complaints;
  EXPECT_EQ(complaints, "");
}

}  // namespace
}  // namespace compactor
