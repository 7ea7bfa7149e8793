// SPDX-License-Identifier: Apache-2.0
// HTTP endpoints on the context's port: process routes (sync and later answers, in order),
// libprocess's built-in endpoints, limits, and a real client (curl).

#include <compactor/context.hpp>
#include <compactor/http.hpp>
#include <compactor/process.hpp>

#include "support/child_process.hpp"
#include "support/raw_client.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <regex>
#include <stdexcept>
#include <thread>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::RawClient;
using testing::wait_until;

// Routes: "/" echoes the path, "/status" says ok, "/slow" answers only when told to.
class Api : public Process {
 public:
  Api() : Process("api") {}

  // Answers the parked /slow request (from the test's thread: answers may come from anywhere).
  bool release_slow(const std::string& body) {
    std::lock_guard lock(mutex_);
    if (!slow_) return false;
    (*slow_)(http::Response::text(body));
    slow_.reset();
    return true;
  }

 protected:
  void initialize() override {
    route("/", [](const http::Request& request, http::Responder respond) {
      respond(http::Response::text(request.method + " " + request.path + " ?" + request.query +
                                   " " + request.body));
    });
    route("/status", [](const http::Request&, http::Responder respond) {
      respond(http::Response::json(R"({"ok":true})"));
    });
    route("/big", [](const http::Request&, http::Responder respond) {
      respond(http::Response::text(std::string(100'000, 'z')));
    });
    route("/slow", [this](const http::Request&, http::Responder respond) {
      std::lock_guard lock(mutex_);
      slow_ = std::move(respond);
    });
    route("/forgets", [](const http::Request&, http::Responder) {});  // never answers
    // Coroutines: one answers after another request went by, one throws after a co_await.
    route("/later", [this](const http::Request& request) -> Task<http::Response> {
      co_await later_.future();
      co_return http::Response::text("later " + request.query);
    });
    route("/release", [this](const http::Request&, http::Responder respond) {
      later_.set_value({});
      respond(http::Response::text("released"));
    });
    route("/throws", [this](const http::Request&) -> Task<http::Response> {
      co_await after(std::chrono::milliseconds(1));
      throw std::runtime_error("no answer");
    });
  }

 private:
  std::mutex mutex_;
  std::optional<http::Responder> slow_;
  Promise<Nothing> later_;
};

std::string get(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n" + std::string(extra) + "\r\n";
}

// The status codes and bodies of the responses in `raw`, in order.
std::vector<std::pair<int, std::string>> responses(const std::string& raw) {
  std::vector<std::pair<int, std::string>> out;
  static const std::regex head(R"(HTTP/1\.1 (\d+)[^\r]*\r\n((?:[^\r]+\r\n)*)\r\n)");
  static const std::regex length(R"(Content-Length: (\d+))", std::regex::icase);
  auto begin = raw.cbegin();
  std::smatch match;
  while (std::regex_search(begin, raw.cend(), match, head)) {
    const std::string headers = match[2];
    std::smatch size;
    std::regex_search(headers, size, length);
    const auto body_start = match[0].second;
    const auto body_size = static_cast<std::size_t>(std::stoul(size[1]));
    out.emplace_back(std::stoi(match[1]),
                     std::string(body_start, body_start + static_cast<long>(body_size)));
    begin = body_start + static_cast<long>(body_size);
  }
  return out;
}

TEST(HttpRoutes, TheLongestRouteAnswersAndPipelinedAnswersKeepTheirOrder) {
  Api api;
  Context context;
  context.spawn(api);
  RawClient client("127.0.0.1", context.address().port);
  client.write(get("/api/status") + get("/api/slow") + get("/api/else/where?x=1") +
               get("/api/status/sub") + get("/nobody/status") + get("/api/../etc/passwd") +
               "POST /api/form HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
  // /slow is answered only now, from this thread; the answers after it waited behind it.
  ASSERT_TRUE(wait_until([&] { return api.release_slow("late"); }, 5s));
  const auto answers = responses(client.read_until_close(10s));
  const std::vector<std::pair<int, std::string>> expected = {
      {200, R"({"ok":true})"}, {200, "late"},           {200, "GET /else/where ?x=1 "},
      {200, R"({"ok":true})"},  // a whole-segment prefix of /status/sub
      {404, "404 Not Found."}, {404, "404 Not Found."}, {200, "POST /form ? hello"}};
  EXPECT_EQ(answers, expected);
}

// A coroutine route answers with what it returns, when it returns; requests on other connections
// are served meanwhile; one that throws answers 500.
TEST(HttpRoutes, ACoroutineRouteAnswersWhenItReturns) {
  Api api;
  Context context;
  context.spawn(api);
  RawClient waiting("127.0.0.1", context.address().port);
  waiting.write(get("/api/later?q=1") + get("/api/throws", "Connection: close\r\n"));
  RawClient releasing("127.0.0.1", context.address().port);
  releasing.write(get("/api/release", "Connection: close\r\n"));
  EXPECT_EQ(responses(releasing.read_until_close(10s)),
            (std::vector<std::pair<int, std::string>>{{200, "released"}}));
  const auto answers = responses(waiting.read_until_close(10s));
  ASSERT_EQ(answers.size(), 2U);
  EXPECT_EQ(answers[0], std::make_pair(200, std::string("later q=1")));
  EXPECT_EQ(answers[1].first, 500);
  EXPECT_EQ(context.stats().handler_exceptions, 1U);
}

TEST(HttpRoutes, AHandlerThatNeverAnswersGivesA500NotAHang) {
  Api api;
  Context context;
  context.spawn(api);
  RawClient client("127.0.0.1", context.address().port);
  client.write(get("/api/forgets", "Connection: close\r\n"));
  const auto answers = responses(client.read_until_close(10s));
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].first, 500);
}

TEST(HttpRoutes, BuiltInEndpointsDescribeTheContext) {
  Api api;
  Context context;
  context.spawn(api);
  // The listings read the process from outside: wait until initialize() installed the routes
  // and the mailbox is empty.
  ASSERT_TRUE(context.settle());
  RawClient client("127.0.0.1", context.address().port);
  client.write(get("/__processes__") + get("/metrics/snapshot") +
               get("/help", "Connection: close\r\n"));
  const auto answers = responses(client.read_until_close(10s));
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].second,
            R"([{"id":"api","pid":")" + api.self().to_string() + R"(","events":[]}])");
  EXPECT_NE(answers[1].second.find(R"("compactor/messages_dropped":0)"), std::string::npos);
  EXPECT_NE(answers[1].second.find(R"("compactor/processes/api/mailbox_depth":0)"),
            std::string::npos);
  EXPECT_NE(answers[2].second.find("> [/api][api]\n"), std::string::npos) << answers[2].second;
}

TEST(HttpRoutes, CurlGetsAnswersKeepsTheConnectionAndGzip) {
  Api api;
  Context context;
  context.spawn(api);
  const std::string base = "http://127.0.0.1:" + std::to_string(context.address().port);
  // Two URLs in one curl: it reuses the connection ("Re-using existing connection" on stderr is
  // not captured; the count of accepted connections tells).
  ChildProcess curl({testing::find_program("curl"), "-s", "--compressed", base + "/api/status",
                     base + "/api/big", "-w", "\n%{http_code} %{size_download}\n"});
  std::vector<std::string> lines;
  while (auto line = curl.read_line(10s)) lines.push_back(*line);
  ASSERT_EQ(curl.wait(10s), 0);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[0], R"({"ok":true})");
  EXPECT_EQ(lines[1], "200 11");
  EXPECT_EQ(lines[2], std::string(100'000, 'z'));
  EXPECT_LT(std::stoul(lines[3].substr(4)), 1000u) << "gzip on the wire: " << lines[3];
  EXPECT_EQ(context.stats().connections_accepted, 1u) << "keep-alive";
}

}  // namespace
}  // namespace compactor
