// SPDX-License-Identifier: Apache-2.0
#pragma once
// A throwaway certificate authority made with the `openssl` command in a temporary directory,
// and the certificates it (or nobody) signs, for the TLS tests.

#include <string>
#include <vector>

namespace compactor::testing {

class TestCertificates {
 public:
  struct Issued {
    std::string cert_file;
    std::string key_file;
  };

  // Makes the CA (throws std::runtime_error if openssl fails).
  TestCertificates();
  ~TestCertificates();  // removes the directory

  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;

  const std::string& ca_file() const { return ca_cert_; }
  const std::string& directory() const { return directory_; }

  // A certificate signed by the CA for `common_name`, with subjectAltNames such as
  // "DNS:localhost" or "IP:127.0.0.1".
  Issued issue(const std::string& common_name, const std::vector<std::string>& alt_names = {});
  // A self-signed one, which the CA's trust store does not accept.
  Issued self_signed(const std::string& common_name);

 private:
  std::string directory_;
  std::string ca_cert_;
  std::string ca_key_;
  int issued_ = 0;
};

}  // namespace compactor::testing
