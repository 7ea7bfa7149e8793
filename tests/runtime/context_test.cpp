// SPDX-License-Identifier: Apache-2.0
#include <compactor/context.hpp>  // first: the header compiles on its own

#include "support/recorder.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace compactor {
namespace {

using testing::Recorder;
using namespace std::chrono_literals;

TEST(Context, DuplicateProcessIdIsAnError) {
  Process first("same"), second("same");
  Context context;
  context.spawn(first);
  try {
    context.spawn(second);
    FAIL();
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("a process named 'same' already runs on"),
              std::string::npos);
  }
  EXPECT_TRUE(second.self().empty());
  EXPECT_THROW(context.spawn(first), std::invalid_argument);  // spawned twice
}

TEST(Context, OwnedProcessIsDeletedAfterTermination) {
  static std::atomic<int> destroyed{0};
  struct Counted : Process {
    Counted() : Process("counted") {}
    ~Counted() override { ++destroyed; }
  };
  Context context;
  const PID pid = context.spawn(std::make_unique<Counted>());
  context.terminate(pid);
  ASSERT_TRUE(context.wait(pid, 10s));
  EXPECT_EQ(destroyed, 1);
}

TEST(Context, ContextsInOneOsProcessTalkWithoutSockets) {
  Recorder receiver("receiver"), sender("sender");
  Context a, b;
  ASSERT_NE(a.address().port, b.address().port);
  b.spawn(receiver);
  a.spawn(sender);
  sender.send(receiver.self(), "hello", "across");
  ASSERT_TRUE(receiver.wait_messages(1));
  EXPECT_EQ(receiver.messages()[0].from, sender.self());
  EXPECT_EQ(a.stats().connections_opened, 0u);
  EXPECT_EQ(b.stats().connections_accepted, 0u);
  // Links across contexts work in memory too.
  sender.link(receiver.self());
  b.terminate(receiver.self());
  EXPECT_TRUE(sender.wait_exited(1));
}

// A context alone in its OS process skips the look-up of the others (ContextRegistry::is_sole);
// one that starts later, or is left alone by another that stopped, is looked up again.
TEST(Context, ContextsThatComeAndGoAreStillReachedInMemory) {
  Recorder receiver("receiver"), sender("sender");
  Context a;
  a.spawn(sender);
  { Context gone; }
  Context b;
  b.spawn(receiver);
  sender.send(receiver.self(), "hello", "in memory");
  ASSERT_TRUE(receiver.wait_messages(1));
  {
    Context third;  // b is no longer the only other one, then again is
  }
  sender.send(receiver.self(), "again", "in memory");
  ASSERT_TRUE(receiver.wait_messages(2));
  EXPECT_EQ(a.stats().connections_opened, 0u);
  EXPECT_EQ(b.stats().connections_accepted, 0u);
}

TEST(Context, ExplicitPortAndAdvertisedAddress) {
  Context probe;  // find a free port, then release it
  const auto port = probe.address().port;
  probe.shutdown();
  Process p("p");
  Context context({.port = port, .advertise_ip = "10.1.2.3", .advertise_port = 6000});
  EXPECT_EQ(context.options().port, port);
  EXPECT_EQ(context.address().to_string(), "10.1.2.3:6000");
  EXPECT_EQ(context.spawn(p).to_string(), "p@10.1.2.3:6000");
}

TEST(Context, BusyPortIsAClearError) {
  Context first;
  try {
    Context second({.port = first.address().port});
    FAIL();
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find("cannot listen on 127.0.0.1:"), std::string::npos);
  }
}

// Sets environment variables for one test and restores them after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ContextOptions, FromEnvironment) {
  ScopedEnv ip("LIBPROCESS_IP", "127.0.0.1");
  ScopedEnv port("LIBPROCESS_PORT", "5099");
  ScopedEnv advertise_ip("LIBPROCESS_ADVERTISE_IP", "192.0.2.7");
  ScopedEnv advertise_port("LIBPROCESS_ADVERTISE_PORT", "7000");
  ScopedEnv match("LIBPROCESS_REQUIRE_PEER_ADDRESS_IP_MATCH", "true");
  ScopedEnv io_thread("COMPACTOR_RUN_ON_IO_THREAD", "1");
  const auto options = ContextOptions::from_environment();
  EXPECT_TRUE(options.run_on_io_thread);
  EXPECT_EQ(options.ip, "127.0.0.1");
  EXPECT_EQ(options.port, 5099);
  EXPECT_EQ(options.advertise_ip, "192.0.2.7");
  EXPECT_EQ(options.advertise_port, 7000);
  EXPECT_TRUE(options.require_peer_address_ip_match);
}

TEST(ContextOptions, InvalidEnvironmentIsAClearError) {
  {
    ScopedEnv port("LIBPROCESS_PORT", "50x1");
    try {
      ContextOptions::from_environment();
      FAIL();
    } catch (const std::invalid_argument& error) {
      EXPECT_STREQ(error.what(), "LIBPROCESS_PORT='50x1' is not a port (0-65535)");
    }
  }
  {
    ScopedEnv ip("LIBPROCESS_IP", "not-an-ip");
    EXPECT_THROW(ContextOptions::from_environment(), std::invalid_argument);
  }
  {
    ScopedEnv port("LIBPROCESS_ADVERTISE_PORT", "70000");
    EXPECT_THROW(ContextOptions::from_environment(), std::invalid_argument);
  }
  {
    ScopedEnv overflow("COMPACTOR_MAILBOX_OVERFLOW", "drop_oldest");
    EXPECT_THROW(ContextOptions::from_environment(), std::invalid_argument);
  }
}

TEST(ContextOptions, MailboxLimitFromEnvironment) {
  ScopedEnv limit("COMPACTOR_MAILBOX_LIMIT", "1000");
  ScopedEnv overflow("COMPACTOR_MAILBOX_OVERFLOW", "drop_newest");
  const auto options = ContextOptions::from_environment();
  EXPECT_EQ(options.mailbox_limit, 1000u);
  EXPECT_EQ(options.mailbox_overflow, ContextOptions::MailboxOverflow::drop_newest);
}

TEST(Context, GlobalContextAndFreeFunctions) {
  Recorder receiver("global-receiver");
  const PID pid = spawn(receiver);
  EXPECT_EQ(pid.address, Context::global().address());
  Context::global().send(PID(), pid, "m", "x");
  ASSERT_TRUE(receiver.wait_messages(1));
  terminate(pid);
  EXPECT_TRUE(wait(pid, 10s));
}

}  // namespace
}  // namespace compactor
