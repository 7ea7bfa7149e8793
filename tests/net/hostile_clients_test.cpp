// SPDX-License-Identifier: Apache-2.0
// Clients that take their answers slowly or never, floods of bad requests, and connection churn:
// memory, log lines and metric series stay bounded, counters stay exact, and everyone else is
// served meanwhile.

#include <compactor/context.hpp>
#include <compactor/process.hpp>

#include "support/captured_log.hpp"
#include "support/raw_client.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;
using testing::wait_until;

// Serves one large document, the same bytes to everyone, and a small one.
class Web : public Process {
 public:
  Web() : Process("web") {}

  const std::shared_ptr<const std::string> big = std::make_shared<const std::string>(1 << 20, 'b');
  // More than a socket's send queue takes (4 MiB at most), so that some stays with us.
  const std::shared_ptr<const std::string> huge = std::make_shared<const std::string>(8 << 20, 'h');

 protected:
  void initialize() override {
    route("/big", [this](const http::Request&, http::Responder respond) {
      respond(http::Response::shared(big, "text/plain"));
    });
    route("/huge", [this](const http::Request&, http::Responder respond) {
      respond(http::Response::shared(huge, "text/plain"));
    });
    route("/small", [](const http::Request&, http::Responder respond) {
      respond(http::Response::text("small"));
    });
  }
};

const std::string kGetBig = "GET /web/big HTTP/1.1\r\nHost: x\r\n\r\n";

// A fresh client is answered while the others misbehave.
bool served(const Context& context) {
  RawClient client("127.0.0.1", context.address().port);
  client.write("GET /web/small HTTP/1.1\r\nConnection: close\r\n\r\n");
  return client.read_until_close(5s).find("\r\n\r\nsmall") != std::string::npos;
}

// A reader that takes 4 KiB every half second makes progress (no write timeout), far below the
// minimum rate: closed once a window of write_timeout shows it.
TEST(HostileClients, ReadersSlowerThanTheMinimumRateAreClosed) {
  Web web;
  Context context({.write_timeout = 2s, .min_answer_rate = 64 * 1024});
  context.spawn(web);
  std::vector<std::unique_ptr<RawClient>> readers;
  for (int i = 0; i < 3; ++i) {
    readers.push_back(std::make_unique<RawClient>("127.0.0.1", context.address().port, 4096));
    readers.back()->write(kGetBig);
  }
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  std::size_t open = readers.size();
  while (open > 0 && std::chrono::steady_clock::now() < deadline) {
    open = 0;
    for (auto& reader : readers) {
      if (!reader) continue;
      bool closed = false;
      reader->read_some(20ms, 4096, &closed);
      if (closed) {
        reader.reset();
      } else {
        ++open;
      }
    }
    EXPECT_TRUE(served(context));
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(open, 0U) << "slow readers still held their answers";
  EXPECT_EQ(context.stats().answers_too_slow, 3U);
  EXPECT_EQ(web.big.use_count(), 1) << "nothing holds the body any more";
}

// Readers that take nothing, holding more than the context's answer budget together (beyond
// what their sockets' send queues took): closed after a second without progress, long before
// write_timeout.
TEST(HostileClients, StuckReadersOverTheAnswerBudgetAreClosed) {
  Web web;
  Context context(
      {.write_timeout = 60s, .max_buffered_answer_bytes = 512 * 1024, .min_answer_rate = 0});
  context.spawn(web);
  std::vector<std::unique_ptr<RawClient>> stuck;
  for (int i = 0; i < 4; ++i) {
    stuck.push_back(std::make_unique<RawClient>("127.0.0.1", context.address().port, 4096));
    stuck.back()->write("GET /web/huge HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  EXPECT_TRUE(wait_until([&] { return context.stats().answers_over_budget == 4; }, 15s))
      << context.stats().answers_over_budget;
  EXPECT_TRUE(served(context));
  EXPECT_EQ(web.huge.use_count(), 1) << "nothing holds the body any more";
}

// 200 slowloris connections: 200 408s counted, a handful of log lines and one summary.
TEST(HostileClients, AFloodOfTimeoutsWritesAFewLinesAndExactCounters) {
  testing::CapturedLog log;
  constexpr std::size_t kAttackers = 200;
  {
    Context context({.request_timeout = 300ms});
    std::vector<std::unique_ptr<RawClient>> attackers;
    for (std::size_t i = 0; i < kAttackers; ++i) {
      attackers.push_back(std::make_unique<RawClient>("127.0.0.1", context.address().port));
      attackers.back()->write("GET / HTTP/1.1\r\nHost: x\r\n");  // and never the rest
    }
    EXPECT_TRUE(wait_until([&] { return context.stats().requests_timed_out == kAttackers; }))
        << context.stats().requests_timed_out;
    EXPECT_EQ(context.stats().requests_rejected, kAttackers);
  }  // the context goes: what was held back is summed up
  EXPECT_EQ(log.count("timed out, closing"), 5U);
  EXPECT_EQ(log.count("408 request timeout on 127.0.0.1:"), 1U);
  EXPECT_EQ(log.count("195 more from 1 peer in the last"), 1U);
}

// The message of a libprocess peer advertising `port`, on a connection of its own.
std::string message_from(int port) {
  return "POST /nobody/m HTTP/1.1\r\nLibprocess-From: peer@127.0.0.1:" + std::to_string(port) +
         "\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx";
}

std::string scrape(const Context& context) {
  RawClient client("127.0.0.1", context.address().port);
  client.write("GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n");
  return client.read_until_close(10s);
}

// 10,000 short connections from as many advertised peers, 250 open at a time: the exposition
// names at most 64 peers per direction (the rest as "other"), whatever the churn.
TEST(HostileClients, ConnectionChurnMakesABoundedNumberOfMetricSeries) {
  Context context;
  constexpr int kBatches = 40, kBatch = 250;
  std::size_t largest = 0;
  for (int batch = 0; batch < kBatches; ++batch) {
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < kBatch; ++i) {
      clients.push_back(std::make_unique<RawClient>("127.0.0.1", context.address().port));
      clients.back()->write(message_from(10000 + batch * kBatch + i));
    }
    ASSERT_TRUE(wait_until([&] {
      return context.stats().requests_rejected == static_cast<std::uint64_t>((batch + 1) * kBatch);
    })) << "every message answered 404";
    const std::string metrics = scrape(context);  // while the batch's connections are open
    largest = std::max(largest, metrics.size());
    std::set<std::string> peers;
    const std::regex peer_label("direction=\"inbound\",peer=\"([^\"]+)\"");
    for (std::sregex_iterator it(metrics.begin(), metrics.end(), peer_label), end; it != end;
         ++it) {
      peers.insert((*it)[1]);
    }
    ASSERT_LE(peers.size(), 65U) << "64 peers and 'other'";
  }
  EXPECT_LT(largest, 64U * 1024) << "the exposition stays small";
  // Nothing lost: the inbound series add up to every message read.
  const std::string metrics = scrape(context);
  const std::regex messages(
      "compactor_connection_messages_total\\{direction=\"inbound\",peer=\"[^\"]+\"\\} (\\d+)");
  std::uint64_t total = 0;
  for (std::sregex_iterator it(metrics.begin(), metrics.end(), messages), end; it != end; ++it) {
    total += std::stoull((*it)[1]);
  }
  EXPECT_EQ(total, static_cast<std::uint64_t>(kBatches * kBatch));
  EXPECT_NE(metrics.find("peer=\"other\""), std::string::npos);
}

}  // namespace
}  // namespace compactor
