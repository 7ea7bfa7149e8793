// SPDX-License-Identifier: Apache-2.0
// One connection's TLS without a socket: two sessions shake hands and exchange records through
// strings, with certificates made by the openssl command for the test.

#include "net/tls_session.hpp"
#include "support/certificates.hpp"

#include <gtest/gtest.h>

#include <string>

namespace compactor::net {
namespace {

using Progress = TlsSession::Progress;

// Plays both ends' handshakes until neither has anything to send; the outcome of each.
std::pair<Progress, Progress> shake_hands(TlsSession& client, TlsSession& server) {
  std::string to_server;
  std::string to_client;
  Progress client_progress = client.handshake({}, to_server);
  Progress server_progress = Progress::want_read;
  for (int round = 0; round < 10 && (!to_server.empty() || !to_client.empty()); ++round) {
    const std::string for_server = std::exchange(to_server, {});
    if (server_progress == Progress::want_read) {
      server_progress = server.handshake(for_server, to_client);
    }
    const std::string for_client = std::exchange(to_client, {});
    if (client_progress == Progress::want_read) {
      client_progress = client.handshake(for_client, to_server);
    }
  }
  return {client_progress, server_progress};
}

class TlsSessionTest : public ::testing::Test {
 protected:
  TlsSessionTest()
      : issued_(certificates_.issue("localhost", {"DNS:localhost", "IP:127.0.0.1"})),
        server_tls_(options(issued_)),
        client_tls_(options(issued_)) {}

  TlsOptions options(const testing::TestCertificates::Issued& issued) {
    TlsOptions options;
    options.enabled = true;
    options.cert_file = issued.cert_file;
    options.key_file = issued.key_file;
    options.ca_file = certificates_.ca_file();
    options.verify_server_cert = true;
    return options;
  }

  const asio::ip::address loopback_ = asio::ip::make_address("127.0.0.1");
  testing::TestCertificates certificates_;
  testing::TestCertificates::Issued issued_;
  Tls server_tls_;
  Tls client_tls_;
};

TEST_F(TlsSessionTest, HandshakeThenRecordsBothWays) {
  TlsSession client(client_tls_, TlsRole::client, loopback_);
  TlsSession server(server_tls_, TlsRole::server, loopback_);
  ASSERT_EQ(shake_hands(client, server), std::make_pair(Progress::done, Progress::done))
      << client.error() << server.error();

  std::string records;
  ASSERT_TRUE(client.seal("POST /pong/ping HTTP/1.1\r\n\r\n", records));
  EXPECT_EQ(records.find("/pong/ping"), std::string::npos) << "sealed, not in the clear";
  std::string plaintext;
  // Records may arrive cut anywhere: what is opened is the same.
  EXPECT_EQ(server.open(std::string_view(records).substr(0, 7), plaintext),
            TlsSession::Opened::more);
  EXPECT_EQ(server.open(std::string_view(records).substr(7), plaintext), TlsSession::Opened::more);
  EXPECT_EQ(plaintext, "POST /pong/ping HTTP/1.1\r\n\r\n");

  records.clear();
  ASSERT_TRUE(server.seal("HTTP/1.1 202 Accepted\r\n\r\n", records));
  plaintext.clear();
  EXPECT_EQ(client.open(records, plaintext), TlsSession::Opened::more);
  EXPECT_EQ(plaintext, "HTTP/1.1 202 Accepted\r\n\r\n");
}

TEST_F(TlsSessionTest, ATamperedRecordFailsToOpen) {
  TlsSession client(client_tls_, TlsRole::client, loopback_);
  TlsSession server(server_tls_, TlsRole::server, loopback_);
  ASSERT_EQ(shake_hands(client, server), std::make_pair(Progress::done, Progress::done));
  std::string records;
  ASSERT_TRUE(client.seal("hello", records));
  records.back() ^= 0x01;
  std::string plaintext;
  EXPECT_EQ(server.open(records, plaintext), TlsSession::Opened::failed);
  EXPECT_FALSE(server.error().empty());
  EXPECT_TRUE(plaintext.empty());
}

TEST_F(TlsSessionTest, AServerTheClientDoesNotTrustFailsTheHandshakeWithAReason) {
  const auto stranger = certificates_.self_signed("localhost");
  Tls untrusted_server(options(stranger));
  TlsSession client(client_tls_, TlsRole::client, loopback_);
  TlsSession server(untrusted_server, TlsRole::server, loopback_);
  const auto [client_progress, server_progress] = shake_hands(client, server);
  EXPECT_EQ(client_progress, Progress::failed);
  EXPECT_NE(client.error().find("certificate"), std::string::npos) << client.error();
}

}  // namespace
}  // namespace compactor::net
