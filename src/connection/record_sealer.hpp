// SPDX-License-Identifier: Apache-2.0
#pragma once
// What a connection's lifecycle needs of TLS: plaintext in, records out (net::TlsSession).

#include <string>
#include <string_view>

namespace compactor::connection {

class RecordSealer {
 public:
  virtual ~RecordSealer() = default;
  // Encrypts `plaintext` into records appended to `out`.
  virtual void seal(std::string_view plaintext, std::string& out) = 0;
};

}  // namespace compactor::connection
