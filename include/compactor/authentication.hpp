// SPDX-License-Identifier: Apache-2.0
#pragma once
// HTTP authentication for routes and built-in endpoints, by realm, as libprocess's
// process::http::authentication: a realm's Authenticator decides who a request is from.

#include <compactor/export.hpp>
#include <compactor/http.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace compactor::http {

/// Decides who a request to a route with a realm is (ContextOptions::http_authenticators).
///
/// @note Called from the threads that serve requests (a process's worker for its routes, the I/O
/// thread for built-in endpoints): it must be thread-safe and should not block.
class COMPACTOR_API Authenticator {
 public:
  virtual ~Authenticator() = default;
  /// The principal the request proves to be, or nothing (the request is answered 401).
  virtual std::optional<std::string> authenticate(const Request& request) const = 0;
  /// The WWW-Authenticate header of a 401 in `realm`.
  virtual std::string challenge(std::string_view realm) const = 0;
};

/// HTTP Basic (RFC 7617): "Authorization: Basic base64(principal:password)". Use it over TLS only;
/// in plaintext the password crosses the network readable.
class COMPACTOR_API BasicAuthenticator final : public Authenticator {
 public:
  /// True when `password` is the principal's.
  using Check = std::function<bool(std::string_view principal, std::string_view password)>;
  /// Accepts the credentials `check` accepts.
  explicit BasicAuthenticator(Check check);

  /// Credentials from a file of "principal secret" lines (Mesos's text credentials format; blank
  /// lines and lines starting with # are skipped). Throws std::invalid_argument naming the file.
  static std::shared_ptr<BasicAuthenticator> from_file(const std::string& path);

  std::optional<std::string> authenticate(const Request& request) const override;
  std::string challenge(std::string_view realm) const override;

 private:
  Check check_;
};

}  // namespace compactor::http
