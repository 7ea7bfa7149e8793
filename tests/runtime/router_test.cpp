// SPDX-License-Identifier: Apache-2.0
// The router without a network: requests as the network hands them over, on a deterministic
// context core; what each becomes, and that every refusal is counted the same way.

#include "runtime/router.hpp"
#include "runtime/context_core.hpp"
#include "support/captured_log.hpp"

#include <compactor/process.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace compactor::runtime {
namespace {

using Outcome = Routed::Outcome;

class Recorder : public Process {
 public:
  Recorder() : Process("recorder") {
    install("hello", [this](const PID& from, std::string_view body) {
      senders.push_back(from.to_string());
      bodies.emplace_back(body);
    });
    route("/page", [](const http::Request& request, http::Responder respond) {
      respond(http::Response::text("page " + request.path));
    });
  }
  std::vector<std::string> senders;
  std::vector<std::string> bodies;
};

// A context core with no network, whose processes run when the test steps them.
class RouterTest : public ::testing::Test {
 protected:
  explicit RouterTest(ContextOptions options = {}) : core_(configured(std::move(options))) {
    core_.start({"127.0.0.1", 5050}, nullptr);
    core_.spawn(recorder_, nullptr);
    run();
  }
  ~RouterTest() override { core_.shutdown(); }

  static ContextOptions configured(ContextOptions options) {
    options.deterministic = true;
    return options;
  }
  void run() {
    while (core_.scheduler().run_one()) {
    }
  }
  std::uint64_t refusals() { return core_.counters().snapshot().requests_rejected; }
  // An HTTP request for `path`, routed as the network would split it.
  Routed get(Router& router, const std::string& path, std::string receiver, std::string route,
             std::vector<http::Response>* answers) {
    http::Request request;
    request.method = "GET";
    request.path = path;
    return router.http(std::move(request), receiver, std::move(route), [answers] {
      return http::Responder(
          [answers](http::Response response) { answers->push_back(std::move(response)); });
    });
  }

  ContextCore core_;
  Recorder recorder_;
};

// Asks come from a fresh __req_res__(N) of one context: the id changes, the address is reused;
// another address, or text that is no PID, is parsed anew.
TEST_F(RouterTest, ASenderOfTheSameAddressChangesOnlyItsId) {
  Router router(core_, "10.0.0.1");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"__req_res__(1)@10.0.0.1:7000", "__req_res__(1)@10.0.0.1:7000"},
      {"__req_res__(2)@10.0.0.1:7000", "__req_res__(2)@10.0.0.1:7000"},
      {"@10.0.0.1:7000", ""},
      {"other@10.0.0.2:7000", "other@10.0.0.2:7000"},
      {"no-pid", ""},
      {"again@10.0.0.1:7000", "again@10.0.0.1:7000"}};
  for (const auto& [text, parsed] : cases) {
    router.message(text, "recorder", "hello", "");
    EXPECT_EQ(router.sender().empty() ? "" : router.sender().to_string(), parsed) << text;
  }
  EXPECT_EQ(router.senders_seen(), cases.size());
  EXPECT_EQ(router.addresses_seen(), cases.size() - 1) << "the second ask's id kept the address";
}

TEST_F(RouterTest, AMessageGoesToItsReceiverFromTheSenderParsedOnce) {
  Router router(core_, "10.0.0.1");
  for (int i = 0; i < 3; ++i) {
    const auto routed = router.message("client@10.0.0.1:7000", "recorder", "hello", "body");
    EXPECT_EQ(routed.outcome, Outcome::accepted);
  }
  EXPECT_EQ(router.senders_seen(), 1U) << "one sender on the connection, parsed once";
  EXPECT_EQ(router.sender().to_string(), "client@10.0.0.1:7000");
  run();
  EXPECT_EQ(recorder_.senders, std::vector<std::string>(3, "client@10.0.0.1:7000"));
  EXPECT_EQ(recorder_.bodies.front(), "body");
  EXPECT_EQ(core_.counters().snapshot().messages_received_remote, 3U);
  EXPECT_EQ(refusals(), 0U);
}

TEST_F(RouterTest, AMessageForNoProcessIsRefusedWith404AndCounted) {
  Router router(core_, "10.0.0.1");
  EXPECT_EQ(router.message("client@10.0.0.1:7000", "nobody", "hello", "").status, 404);
  EXPECT_EQ(router.message("client@10.0.0.1:7000", "", "", "").status, 404)
      << "a target that named no process";
  EXPECT_EQ(refusals(), 2U);
}

TEST_F(RouterTest, HttpRequestsGoToRoutesAndEndpointsOrAreRefusedAndCounted) {
  Router router(core_, "10.0.0.1");
  std::vector<http::Response> answers;
  EXPECT_EQ(get(router, "/recorder/page", "recorder", "page", &answers).outcome, Outcome::awaited);
  run();
  ASSERT_EQ(answers.size(), 1U);
  EXPECT_EQ(answers[0].body, "page /page");
  EXPECT_EQ(refusals(), 0U);

  const auto climbing = get(router, "/recorder/../etc", "recorder", "../etc", &answers);
  ASSERT_EQ(climbing.outcome, Outcome::answer);
  EXPECT_EQ(climbing.response->status, 404);
  const auto no_process = get(router, "/", "", "", &answers);
  ASSERT_EQ(no_process.outcome, Outcome::answer);
  EXPECT_EQ(no_process.response->status, 404);
  EXPECT_EQ(refusals(), 2U);

  // A process without that route answers 404 from its own thread: counted the same.
  EXPECT_EQ(get(router, "/recorder/none", "recorder", "none", &answers).outcome, Outcome::awaited);
  run();
  ASSERT_EQ(answers.size(), 2U);
  EXPECT_EQ(answers[1].status, 404);
  EXPECT_EQ(refusals(), 3U);
}

class DisabledEndpointRouterTest : public RouterTest {
 protected:
  DisabledEndpointRouterTest() : RouterTest({.disabled_endpoints = {"/recorder/page"}}) {}
};

TEST_F(DisabledEndpointRouterTest, ADisabledEndpointIs403AndCounted) {
  Router router(core_, "10.0.0.1");
  std::vector<http::Response> answers;
  const auto routed = get(router, "/recorder/page", "recorder", "page", &answers);
  ASSERT_EQ(routed.outcome, Outcome::answer);
  EXPECT_EQ(routed.response->status, 403);
  EXPECT_EQ(refusals(), 1U);
}

class PeerMatchRouterTest : public RouterTest {
 protected:
  PeerMatchRouterTest() : RouterTest({.require_peer_address_ip_match = true}) {}
};

TEST_F(PeerMatchRouterTest, ASenderFromAnotherIpIsRefusedWith400CountedAndLogged) {
  testing::CapturedLog log;
  Router router(core_, "10.0.0.1");
  const auto routed = router.message("client@10.0.0.2:7000", "recorder", "hello", "");
  ASSERT_EQ(routed.outcome, Outcome::refused);
  EXPECT_EQ(routed.status, 400);
  EXPECT_NE(routed.reason.find("does not match the connection's peer IP 10.0.0.1"),
            std::string::npos);
  EXPECT_EQ(refusals(), 1U);
  EXPECT_EQ(log.count("message rejected: sender IP of 'client@10.0.0.2:7000'"), 1U);
  EXPECT_EQ(router.message("client@10.0.0.1:7000", "recorder", "hello", "").outcome,
            Outcome::accepted);
}

TEST_F(RouterTest, RefusalsBeforeRoutingAreCountedAndTheirLinesLimited) {
  testing::CapturedLog log;
  Router router(core_, "10.0.0.1");
  for (int i = 0; i < 20; ++i) {
    router.refused(PeerEvent::request_rejected, 400, "invalid HTTP method", "10.0.0.1:7000");
  }
  router.refused(PeerEvent::request_timed_out, 408, "no whole request in 10 s", "10.0.0.1:7000");
  EXPECT_EQ(refusals(), 21U);
  EXPECT_EQ(log.count("request from 10.0.0.1:7000 rejected (400), closing: invalid HTTP method"),
            5U)
      << "the peer log's limit";
  EXPECT_EQ(log.count("request from 10.0.0.1:7000 timed out, closing: no whole request in 10 s"),
            1U);
}

}  // namespace
}  // namespace compactor::runtime
