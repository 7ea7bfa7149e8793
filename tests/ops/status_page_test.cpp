// SPDX-License-Identifier: Apache-2.0
// The live status page in a real headless Chromium: the rendered DOM shows the context's
// processes, its connections and a published group member; a phone-sized screenshot is left as
// an artifact (in $COMPACTOR_SCREENSHOT_DIR if set, else the test's temporary directory).

#include "support/child_process.hpp"
#include "support/raw_client.hpp"
#include "support/wait.hpp"

#include <compactor/compactor.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

class Worker : public Process {
 public:
  explicit Worker(std::string id) : Process(std::move(id)) {
    install("work", [](const PID&, std::string_view) {});
  }
};

// Chromium run headless against `url` (a phone-sized window): `mode` is "--dump-dom" or
// "--screenshot=<file>". The virtual time budget lets the page's first polls come back before
// the DOM is taken. Its log (noisy without D-Bus) is shown only if it fails.
std::string chromium(const std::string& url, const std::string& mode) {
  const std::string dir = ::testing::TempDir();
  const std::string command =
      "exec " + testing::find_program("chromium") +
      " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
      " --user-data-dir=" +
      dir +
      "compactor-chromium-profile --window-size=412,915"
      " --virtual-time-budget=5000 " +
      mode + " " + url + " 2>" + dir + "chromium.log";
  ChildProcess browser({testing::find_program("sh"), "-c", command});
  std::string out;
  while (auto line = browser.read_line(60s)) out += *line + "\n";
  const auto status = browser.wait(60s);
  if (status != 0) {
    std::ifstream log(dir + "chromium.log");
    ADD_FAILURE() << "chromium exited with " << status.value_or(-1) << ":\n" << log.rdbuf();
  }
  return out;
}

// A context with two processes, local traffic, a peer on a socket, and a published group member
// holding its tag.
class StatusPage : public ::testing::Test {
 protected:
  void SetUp() override {
    lone_.set_value(1);
    lone_.start();
    context_.spawn(alpha_);
    context_.spawn(beta_);
    for (int i = 0; i < 100; ++i) context_.send(alpha_.self(), beta_.self(), "work");
    // A peer on a socket (contexts of one OS process talk in memory), with a message of its own.
    remote_.write(
        "POST /alpha/work HTTP/1.1\r\nLibprocess-From: remote@127.0.0.1:1\r\n"
        "Content-Length: 0\r\n\r\n");
    ASSERT_NE(remote_.read_some(10s).find("202"), std::string::npos);
    // A lone member takes the tag after its start-up (C + 1.5-2 G) and a gap.
    ASSERT_TRUE(testing::wait_until([&] { return lone_.tagged(); }, 15s));
  }
  void TearDown() override { lone_.stop(); }

  static beacon::Member::Options fast() {
    beacon::Member::Options options;
    options.config = beacon::Config{.cycle = 1, .gap = 0.2};
    options.seed = 7;
    return options;
  }

  Worker alpha_{"alpha"}, beta_{"beta"};  // outlive the context, which terminates them
  beacon::LocalBus bus_{"group"};
  beacon::Member lone_{"sensor-1", bus_.channel(), fast()};
  Context context_;
  testing::RawClient remote_{"127.0.0.1", context_.address().port};
  beacon::Publication publication_{lone_, context_};
};

TEST_F(StatusPage, ChromiumRendersProcessesConnectionsAndTheGroup) {
  const auto& context = context_;
  const std::string url =
      "http://127.0.0.1:" + std::to_string(context.address().port) + "/__status__";
  const auto dom = chromium(url, "--dump-dom");
  EXPECT_NE(dom.find("<tr data-id=\"alpha\">"), std::string::npos) << dom;
  EXPECT_NE(dom.find(context.address().to_string()), std::string::npos);
  EXPECT_NE(dom.find("<tr data-id=\"beta\">"), std::string::npos);
  EXPECT_NE(dom.find("data-peer=\"127.0.0.1:"), std::string::npos) << "the inbound connection";
  EXPECT_NE(dom.find("data-name=\"sensor-1\""), std::string::npos);
  EXPECT_NE(dom.find("id=\"group-holder\">sensor-1<"), std::string::npos) << dom;
  EXPECT_NE(dom.find("local:group"), std::string::npos) << "the channel";
  EXPECT_NE(dom.find("id=\"live\">live"), std::string::npos) << "the page's poll succeeded";

  const char* dir = std::getenv("COMPACTOR_SCREENSHOT_DIR");
  const std::string png = (dir ? std::string(dir) + "/" : ::testing::TempDir()) + "status-page.png";
  std::filesystem::remove(png);
  chromium(url, "--screenshot=" + png);
  ASSERT_TRUE(std::filesystem::exists(png));
  EXPECT_GT(std::filesystem::file_size(png), 10'000u);
}

TEST_F(StatusPage, CompactorTopShowsTheSameInTheTerminal) {
  ChildProcess top(
      {COMPACTOR_TOOL, "top", context_.address().to_string(), "--count", "2", "--interval", "0.2"});
  std::string out;
  while (auto line = top.read_line(20s)) out += *line + "\n";
  ASSERT_EQ(top.wait(20s), 0) << out;
  EXPECT_NE(out.find("compactor top " + context_.address().to_string()), std::string::npos) << out;
  EXPECT_NE(out.find("PROCESS"), std::string::npos);
  EXPECT_NE(out.find("\nalpha "), std::string::npos) << out;
  EXPECT_NE(out.find("\nbeta "), std::string::npos) << out;
  EXPECT_NE(out.find("<- 127.0.0.1:"), std::string::npos) << out;
  EXPECT_NE(out.find("GROUP member sensor-1 on local:group: channel up  holder: sensor-1"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace compactor
