// SPDX-License-Identifier: Apache-2.0
#pragma once
// What a connection's lifecycle needs of TLS: plaintext in, records out (net::TlsSession).

#include <string>
#include <string_view>

namespace compactor::connection {

class RecordSealer {
 public:
  virtual ~RecordSealer() = default;
  // Encrypts `plaintext` into records appended to `out`; false if the session failed (nothing
  // more can be sent on it).
  virtual bool seal(std::string_view plaintext, std::string& out) = 0;
};

}  // namespace compactor::connection
