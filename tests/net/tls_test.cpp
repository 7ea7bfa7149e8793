// SPDX-License-Identifier: Apache-2.0
// TLS as libprocess speaks it: certificates made by `openssl` at test time, two contexts over
// TLS, mutual TLS, downgrade both ways, hostname and IP checks, and curl over https.

#include <compactor/authentication.hpp>
#include <compactor/context.hpp>
#include <compactor/testing.hpp>

#include "support/certificates.hpp"
#include "support/child_process.hpp"
#include "support/raw_client.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <thread>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::RawClient;
using testing::TestCertificates;
using testing::wait_until;

class Sink : public Process {
 public:
  Sink() : Process("sink") {}

 protected:
  void initialize() override {
    install("hello", [](const PID&, std::string_view) {});
    route("/status", [](const http::Request&, http::Responder respond) {
      respond(http::Response::text("sink is fine"));
    });
  }
};

class Tls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certificates_ = new TestCertificates();
    localhost_ = certificates_->issue("localhost", {"DNS:localhost", "IP:127.0.0.1"});
    elsewhere_ =
        certificates_->issue("elsewhere.example", {"DNS:elsewhere.example", "IP:127.0.0.2"});
    untrusted_ = certificates_->self_signed("localhost");
  }
  static void TearDownTestSuite() {
    delete certificates_;
    certificates_ = nullptr;
  }

  static TlsOptions tls(const TestCertificates::Issued& identity) {
    TlsOptions options;
    options.enabled = true;
    options.cert_file = identity.cert_file;
    options.key_file = identity.key_file;
    options.ca_file = certificates_->ca_file();
    return options;
  }

  // A server's options: it advertises a port where nothing listens, so that the other contexts
  // of this test reach it through its socket (sink_of), not in memory.
  static ContextOptions server_options(TlsOptions tls) {
    return {.advertise_port = 1, .tls = std::move(tls)};
  }
  static PID sink_of(Context& server) { return PID("sink", {"127.0.0.1", server.options().port}); }

  // Sends "hello" from `from` to the sink of `to`; true once it arrived.
  static bool delivered(Context& from, Context& to) {
    testing::MessageWatch watch(to);
    auto hello = watch.expect("hello");
    from.send(PID("client", from.address()), sink_of(to), "hello", "over TLS");
    return hello.await(10s);
  }

  static inline TestCertificates* certificates_ = nullptr;
  static inline TestCertificates::Issued localhost_;
  static inline TestCertificates::Issued elsewhere_;
  static inline TestCertificates::Issued untrusted_;
};

TEST_F(Tls, TwoContextsTalkOverMutualTlsWithOneHandshakePerConnection) {
  Sink sink;
  auto options = tls(localhost_);
  options.require_client_cert = true;  // and so verify_server_cert
  Context server(server_options(options));
  // A slow round trip (a sanitizer build) must not let the connection close for being idle.
  Context client({.tls = options, .idle_connection_timeout = 60s});
  server.spawn(sink);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(delivered(client, server));
  EXPECT_EQ(client.stats().tls_handshakes, 1u) << "one connection, reused";
  EXPECT_EQ(server.stats().tls_handshakes, 1u);
  EXPECT_EQ(client.stats().tls_handshake_failures + server.stats().tls_handshake_failures, 0u);
}

// Records sealed by workers and written straight to the socket, partial writes, a receiver
// that falls behind (held until its reading paused), a sender held: everything arrives, in order.
TEST_F(Tls, TwentyThousandMessagesArriveInOrderThroughFlowControl) {
  class Counter : public Process {
   public:
    Counter() : Process("sink") {}
    std::atomic<int> in_order{0};
    std::atomic<bool> disorder{false};
    std::atomic<bool> open{false};

   protected:
    void initialize() override {
      install("n", [this](const PID&, std::string_view body) {
        for (int i = 0; i < 30000 && !open; ++i) std::this_thread::sleep_for(1ms);
        if (std::stoi(std::string(body.substr(0, body.find(' ')))) != in_order) disorder = true;
        ++in_order;
      });
    }
  } counter;
  constexpr int kCount = 20000;
  auto options = server_options(tls(localhost_));
  options.mailbox_high_water_messages = 100;
  Context server(options);
  ContextOptions client_options{.tls = tls(localhost_)};
  client_options.peer_high_water_bytes = 256 * 1024;
  Context client(client_options);
  server.spawn(counter);
  // The receiver takes nothing until its connection stopped being read.
  std::thread opener([&] {
    wait_until([&] { return server.stats().reads_paused >= 1; }, 30s);
    counter.open = true;
  });
  const std::string padding(1000, 'x');
  for (int i = 0; i < kCount; ++i) {
    client.send(PID("client", client.address()), sink_of(server), "n",
                std::to_string(i) + " " + padding);
  }
  opener.join();
  EXPECT_GE(server.stats().reads_paused, 1u);
  EXPECT_TRUE(wait_until([&] { return counter.in_order == kCount; }, 60s)) << counter.in_order;
  EXPECT_FALSE(counter.disorder);
  EXPECT_EQ(client.stats().messages_unsent, 0u);
}

TEST_F(Tls, AnUntrustedClientCertificateIsRefused) {
  Sink sink;
  auto requiring = tls(localhost_);
  requiring.require_client_cert = true;
  Context server(server_options(requiring));
  Context client({.tls = tls(untrusted_)});
  server.spawn(sink);
  client.send(PID("client", client.address()), sink_of(server), "hello");
  EXPECT_TRUE(wait_until([&] { return client.stats().messages_unsent == 1; }));
  EXPECT_TRUE(wait_until([&] { return server.stats().tls_handshake_failures == 1; }));
  EXPECT_EQ(server.stats().messages_received_remote, 0u);
}

// Mutual TLS with the legacy check ties a client to its IP; require_peer_address_ip_match ties
// each message's claimed sender to that IP: a forged sender is refused.
TEST_F(Tls, AMessageFromAForgedSenderIsRefusedOverMutualTls) {
  Sink sink;
  auto requiring = tls(localhost_);
  requiring.require_client_cert = true;
  auto options = server_options(requiring);
  options.require_peer_address_ip_match = true;
  Context server(options);
  Context client({.tls = requiring});
  server.spawn(sink);
  ASSERT_TRUE(delivered(client, server));
  client.send(PID("impostor", {"10.9.9.9", 5050}), sink_of(server), "hello");
  EXPECT_TRUE(wait_until([&] { return server.stats().requests_rejected == 1; }));
  EXPECT_EQ(server.stats().messages_received_remote, 2u);
}

TEST_F(Tls, AServerCertificateForAnotherHostIsRefusedByTheLegacyScheme) {
  Sink sink;
  Sink other;
  Context server(server_options(tls(elsewhere_)));
  auto checking = tls(localhost_);
  checking.verify_server_cert = true;  // legacy: 127.0.0.1 is "localhost" in reverse DNS
  Context client({.tls = checking});
  server.spawn(sink);
  client.send(PID("client", client.address()), sink_of(server), "hello");
  EXPECT_TRUE(wait_until([&] { return client.stats().messages_unsent == 1; }));
  // At least: a stray connection from another test's process to the client's port (a reused
  // port some peer still retries) fails its handshake there too (seen once in CI).
  EXPECT_GE(client.stats().tls_handshake_failures, 1u);

  Context right_server(server_options(tls(localhost_)));
  right_server.spawn(other);
  EXPECT_TRUE(delivered(client, right_server));
}

TEST_F(Tls, TheOpensslSchemeChecksThePidsIp) {
  Sink first;
  Sink second;
  auto checking = tls(localhost_);
  checking.verify_server_cert = true;
  checking.verify_ip_address = true;
  checking.hostname_validation = TlsOptions::HostnameValidation::openssl;
  Context client({.tls = checking});
  Context wrong_ip(server_options(tls(elsewhere_)));  // names 127.0.0.2
  Context right_ip(server_options(tls(localhost_)));  // names 127.0.0.1
  wrong_ip.spawn(first);
  right_ip.spawn(second);
  client.send(PID("client", client.address()), sink_of(wrong_ip), "hello");
  EXPECT_TRUE(wait_until([&] { return client.stats().messages_unsent == 1; }));
  EXPECT_GE(client.stats().tls_handshake_failures, 1u);  // at least, as above
  EXPECT_TRUE(delivered(client, right_ip));

  // PIDs carry IPs only: without VERIFY_IPADD the openssl scheme has nothing to check against.
  checking.verify_ip_address = false;
  EXPECT_THROW(Context({.tls = checking}), std::invalid_argument);
}

TEST_F(Tls, APlaintextClientIsRefusedWithoutDowngradeAndServedWithIt) {
  Sink sink;
  Sink first;
  const std::string request = "GET /__processes__ HTTP/1.1\r\nConnection: close\r\n\r\n";
  {
    Context server(server_options(tls(localhost_)));
    server.spawn(first);
    RawClient plaintext("127.0.0.1", server.options().port);
    plaintext.write(request);
    bool closed = false;
    const auto answer = plaintext.read_until_close(10s, &closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
    EXPECT_TRUE(wait_until([&] { return server.stats().tls_handshake_failures == 1; }));
    Context client({.tls = tls(localhost_)});
    EXPECT_TRUE(delivered(client, server)) << "the listener serves on after a failed handshake";
  }
  auto downgrading = tls(localhost_);
  downgrading.support_downgrade = true;
  Context server(server_options(downgrading));
  RawClient plaintext("127.0.0.1", server.options().port);
  plaintext.write(request);
  EXPECT_NE(plaintext.read_until_close(10s).find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(server.stats().connections_downgraded, 1u);
  // TLS on the same port.
  Context client({.tls = tls(localhost_)});
  server.spawn(sink);
  EXPECT_TRUE(delivered(client, server));
  EXPECT_EQ(server.stats().tls_handshakes, 1u);
}

TEST_F(Tls, AnOutboundConnectionFallsBackToPlaintextOnlyWithDowngrade) {
  Sink sink;
  Context plaintext_server({.advertise_port = 1});
  plaintext_server.spawn(sink);
  {
    Context strict({.tls = tls(localhost_)});
    strict.send(PID("client", strict.address()), sink_of(plaintext_server), "hello");
    EXPECT_TRUE(wait_until([&] { return strict.stats().messages_unsent == 1; }));
  }
  auto downgrading = tls(localhost_);
  downgrading.support_downgrade = true;
  Context client({.tls = downgrading});
  EXPECT_TRUE(delivered(client, plaintext_server));
  EXPECT_EQ(client.stats().connections_downgraded, 1u);
}

// The handshake has its own bound, whatever request_timeout is (here: none).
TEST_F(Tls, AClientThatNeverShakesHandsIsClosedAfterTheHandshakeTimeout) {
  auto options = server_options(tls(localhost_));
  options.request_timeout = 0ms;
  options.tls_handshake_timeout = 300ms;
  Context server(options);
  RawClient silent("127.0.0.1", server.options().port);
  bool closed = false;
  silent.read_until_close(10s, &closed);
  EXPECT_TRUE(closed);
  // Counted by the handshake, which ends once the socket closed under it.
  EXPECT_TRUE(wait_until([&] { return server.stats().tls_handshake_failures == 1; }));
}

TEST_F(Tls, CurlReadsRoutesAndBuiltInEndpointsOverHttps) {
  Sink sink;
  Context server(server_options(tls(localhost_)));
  server.spawn(sink);
  ASSERT_TRUE(server.settle());
  const std::string base = "https://127.0.0.1:" + std::to_string(server.options().port);
  for (const auto& [path, expected] :
       {std::pair{"/sink/status", "sink is fine"}, std::pair{"/__processes__", "\"sink\""}}) {
    ChildProcess curl({testing::find_program("curl"), "-sS", "-w", "\n", "--cacert",
                       certificates_->ca_file(), base + path});
    std::string body;
    while (auto line = curl.read_line(10s)) body += *line;
    EXPECT_EQ(curl.wait(10s), 0) << path;
    EXPECT_NE(body.find(expected), std::string::npos) << path << ": " << body;
  }
}

TEST_F(Tls, CurlAuthenticatesOverHttpsForTheBuiltInEndpointsRealm) {
  auto options = server_options(tls(localhost_));
  options.http_authenticators["ops"] = std::make_shared<http::BasicAuthenticator>(
      [](std::string_view user, std::string_view password) {
        return user == "alice" && password == "secret";
      });
  options.builtin_endpoints_realm = "ops";
  Context server(options);
  const std::string url = "https://127.0.0.1:" + std::to_string(server.options().port) + "/help";
  for (const auto& [credentials, status] :
       {std::pair{"alice:wrong", "401"}, {"alice:secret", "200"}}) {
    ChildProcess curl({testing::find_program("curl"), "-sS", "-o", "/dev/null", "-w",
                       "%{http_code}\n", "-u", credentials, "--cacert", certificates_->ca_file(),
                       url});
    EXPECT_EQ(curl.read_line(10s), status) << credentials;
    EXPECT_EQ(curl.wait(10s), 0);
  }
}

TEST_F(Tls, SettingsThatCannotWorkAreRefusedByName) {
  auto missing = tls(localhost_);
  missing.cert_file = certificates_->directory() + "/no-such.crt";
  try {
    Context context({.tls = missing});
    ADD_FAILURE() << "a missing certificate file was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("no-such.crt"), std::string::npos) << error.what();
  }
  auto mismatched = tls(localhost_);
  mismatched.key_file = elsewhere_.key_file;
  EXPECT_THROW(Context({.tls = mismatched}), std::invalid_argument);
  auto no_ciphers = tls(localhost_);
  no_ciphers.ciphers = "NO-SUCH-CIPHER";
  EXPECT_THROW(Context({.tls = no_ciphers}), std::invalid_argument);
}

TEST(TlsOptionsFromEnvironment, ReadsLibprocessNamesTheOldPrefixAndAnyCase) {
  ::setenv("LIBPROCESS_SSL_ENABLED", "true", 1);
  ::setenv("LIBPROCESS_SSL_Support_Downgrade", "1", 1);
  ::setenv("SSL_CERT_FILE", "/old/prefix.crt", 1);
  ::setenv("SSL_KEY_FILE", "/old/prefix.key", 1);
  ::setenv("LIBPROCESS_SSL_KEY_FILE", "/new/prefix.key", 1);
  ::setenv("LIBPROCESS_SSL_REQUIRE_CERT", "true", 1);
  ::setenv("LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME", "openssl", 1);
  ::setenv("LIBPROCESS_SSL_ENABLE_TLS_V1_3", "true", 1);
  const auto options = TlsOptions::from_environment();
  EXPECT_TRUE(options.enabled);
  EXPECT_TRUE(options.support_downgrade);
  EXPECT_EQ(options.cert_file, "/old/prefix.crt");
  EXPECT_EQ(options.key_file, "/new/prefix.key");
  EXPECT_TRUE(options.require_client_cert);
  EXPECT_EQ(options.hostname_validation, TlsOptions::HostnameValidation::openssl);
  EXPECT_TRUE(options.enable_tls_v1_2);
  EXPECT_TRUE(options.enable_tls_v1_3);
  ::setenv("LIBPROCESS_SSL_ENABLED", "yes", 1);
  EXPECT_THROW(TlsOptions::from_environment(), std::invalid_argument);
  for (const char* name :
       {"LIBPROCESS_SSL_ENABLED", "LIBPROCESS_SSL_Support_Downgrade", "SSL_CERT_FILE",
        "SSL_KEY_FILE", "LIBPROCESS_SSL_KEY_FILE", "LIBPROCESS_SSL_REQUIRE_CERT",
        "LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME", "LIBPROCESS_SSL_ENABLE_TLS_V1_3"}) {
    ::unsetenv(name);
  }
  EXPECT_FALSE(TlsOptions::from_environment().enabled);
}

}  // namespace
}  // namespace compactor
