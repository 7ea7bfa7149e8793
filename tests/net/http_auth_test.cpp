// SPDX-License-Identifier: Apache-2.0
// Authenticated and disabled HTTP endpoints: realms with a Basic authenticator (401 with a
// challenge, the principal reaching the handler), built-in endpoints behind a realm, and the
// disabled-endpoints list (403).

#include <compactor/authentication.hpp>
#include <compactor/context.hpp>

#include "support/raw_client.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;

class Vault : public Process {
 public:
  Vault() : Process("vault") {}

 protected:
  void initialize() override {
    route("/secret", "ops", [](const http::Request& request, http::Responder respond) {
      respond(http::Response::text("hello " + request.principal.value_or("nobody")));
    });
    route("/open", [](const http::Request& request, http::Responder respond) {
      respond(http::Response::text(request.principal ? "principal?!" : "open to all"));
    });
  }
};

// The whole answer to a GET of `path` with `headers` ("Name: value\r\n" lines).
std::string get(const Context& context, const std::string& path, const std::string& headers = "") {
  RawClient client("127.0.0.1", context.address().port);
  client.write("GET " + path + " HTTP/1.1\r\n" + headers + "Connection: close\r\n\r\n");
  return client.read_until_close(10s);
}

const std::string kAlice = "Authorization: Basic YWxpY2U6c2VjcmV0\r\n";          // alice:secret
const std::string kWrongPassword = "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n";  // alice:wrong

std::shared_ptr<http::BasicAuthenticator> alice_only() {
  return std::make_shared<http::BasicAuthenticator>(
      [](std::string_view principal, std::string_view password) {
        return principal == "alice" && password == "secret";
      });
}

TEST(HttpAuth, ARouteInARealmWantsCredentialsAndHandsThePrincipalToItsHandler) {
  Vault vault;
  Context context({.http_authenticators = {{"ops", alice_only()}}});
  context.spawn(vault);
  const auto anonymous = get(context, "/vault/secret");
  EXPECT_NE(anonymous.find("HTTP/1.1 401"), std::string::npos) << anonymous;
  EXPECT_NE(anonymous.find("WWW-Authenticate: Basic realm=\"ops\""), std::string::npos);
  EXPECT_NE(get(context, "/vault/secret", kWrongPassword).find("HTTP/1.1 401"), std::string::npos);
  const auto alice = get(context, "/vault/secret", kAlice);
  EXPECT_NE(alice.find("HTTP/1.1 200"), std::string::npos) << alice;
  EXPECT_NE(alice.find("hello alice"), std::string::npos);
  EXPECT_NE(get(context, "/vault/open").find("open to all"), std::string::npos);
}

// A refusal counts as one whoever decides it: the connection (no such process), or the process's
// routes (no such route, no credentials).
TEST(HttpAuth, RefusalsByARouteAreCountedLikeRefusalsByTheConnection) {
  Vault vault;
  Context context({.http_authenticators = {{"ops", alice_only()}}});
  context.spawn(vault);
  EXPECT_NE(get(context, "/nobody/here").find("HTTP/1.1 404"), std::string::npos);
  EXPECT_EQ(context.stats().requests_rejected, 1U);
  EXPECT_NE(get(context, "/vault/no-such-route").find("HTTP/1.1 404"), std::string::npos);
  EXPECT_EQ(context.stats().requests_rejected, 2U);
  EXPECT_NE(get(context, "/vault/secret").find("HTTP/1.1 401"), std::string::npos);
  EXPECT_EQ(context.stats().requests_rejected, 3U);
  EXPECT_NE(get(context, "/vault/secret", kAlice).find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(context.stats().requests_rejected, 3U);
}

TEST(HttpAuth, ARealmWithoutAnAuthenticatorFailsClosed) {
  Vault vault;
  Context context;
  context.spawn(vault);
  EXPECT_NE(get(context, "/vault/secret", kAlice).find("HTTP/1.1 401"), std::string::npos);
}

TEST(HttpAuth, BuiltInEndpointsCanBePutBehindARealm) {
  Vault vault;
  Context context(
      {.http_authenticators = {{"ops", alice_only()}}, .builtin_endpoints_realm = "ops"});
  context.spawn(vault);
  for (const char* path : {"/__processes__", "/metrics/snapshot", "/help"}) {
    EXPECT_NE(get(context, path).find("HTTP/1.1 401"), std::string::npos) << path;
    EXPECT_NE(get(context, path, kAlice).find("HTTP/1.1 200"), std::string::npos) << path;
  }
}

TEST(HttpAuth, DisabledEndpointsAreForbiddenAndTheOthersServed) {
  Vault vault;
  Context context({.disabled_endpoints = {"/__processes__", "/vault/open"}});
  context.spawn(vault);
  EXPECT_NE(get(context, "/__processes__").find("HTTP/1.1 403"), std::string::npos);
  EXPECT_NE(get(context, "/vault/open").find("HTTP/1.1 403"), std::string::npos);
  EXPECT_NE(get(context, "/help").find("HTTP/1.1 200"), std::string::npos);
  EXPECT_GE(context.stats().requests_rejected, 2u);
}

TEST(HttpAuth, CredentialsComeFromAPrincipalSecretFile) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("compactor-credentials-" + std::to_string(getpid()));
  std::ofstream(path) << "# principal secret\nalice secret\n\nbob  other secret\n";
  const auto authenticator = http::BasicAuthenticator::from_file(path.string());
  http::Request request;
  request.headers = {{"Authorization", "Basic YWxpY2U6c2VjcmV0"}};
  EXPECT_EQ(authenticator->authenticate(request), "alice");
  request.headers = {{"Authorization", "Basic Ym9iOm90aGVyIHNlY3JldA=="}};  // bob:other secret
  EXPECT_EQ(authenticator->authenticate(request), "bob");
  request.headers = {{"Authorization", "Basic YWxpY2U6d3Jvbmc="}};
  EXPECT_EQ(authenticator->authenticate(request), std::nullopt);
  request.headers = {{"Authorization", "Basic !!!"}};
  EXPECT_EQ(authenticator->authenticate(request), std::nullopt);
  std::ofstream(path) << "lonely\n";
  EXPECT_THROW(http::BasicAuthenticator::from_file(path.string()), std::invalid_argument);
  std::filesystem::remove(path);
  EXPECT_THROW(http::BasicAuthenticator::from_file(path.string()), std::invalid_argument);
}

}  // namespace
}  // namespace compactor
