// SPDX-License-Identifier: Apache-2.0
#include "support/certificates.hpp"

#include "support/child_process.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <unistd.h>

namespace compactor::testing {
namespace {

// Throwaway files, readable by servers that drop their privileges (mosquitto runs as its user).
void share(const std::string& path) {
  std::filesystem::permissions(
      path,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
          std::filesystem::perms::group_read | std::filesystem::perms::others_read,
      std::filesystem::perm_options::replace);
}

void openssl(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), find_program("openssl"));
  ChildProcess command(arguments, {}, /*capture_output=*/false);
  if (command.wait(std::chrono::seconds(30)) != 0) {
    std::string line;
    for (const auto& argument : arguments) line += argument + " ";
    throw std::runtime_error("failed: " + line);
  }
}

// An RSA key: libprocess's default ciphers want RSA certificates.
void make_key(const std::string& path) {
  openssl(
      {"genpkey", "-quiet", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path});
  share(path);
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ",") + name;
  return text;
}

}  // namespace

TestCertificates::TestCertificates() {
  std::string pattern = (std::filesystem::temp_directory_path() / "compactor-tls-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  directory_ = pattern;
  std::filesystem::permissions(directory_,
                               std::filesystem::perms::owner_all |
                                   std::filesystem::perms::group_exec |
                                   std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::replace);
  ca_cert_ = directory_ + "/ca.crt";
  ca_key_ = directory_ + "/ca.key";
  make_key(ca_key_);
  openssl({"req", "-x509", "-new", "-key", ca_key_, "-days", "2", "-subj", "/CN=compactor test CA",
           "-out", ca_cert_});
}

TestCertificates::~TestCertificates() {
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

TestCertificates::Issued TestCertificates::issue(const std::string& common_name,
                                                 const std::vector<std::string>& alt_names) {
  const std::string base = directory_ + "/issued-" + std::to_string(++issued_);
  Issued issued{base + ".crt", base + ".key"};
  make_key(issued.key_file);
  openssl({"req", "-new", "-key", issued.key_file, "-subj", "/CN=" + common_name, "-out",
           base + ".csr"});
  std::vector<std::string> sign{"x509",   "-req",   "-in",           base + ".csr",     "-CA",
                                ca_cert_, "-CAkey", ca_key_,         "-CAcreateserial", "-days",
                                "2",      "-out",   issued.cert_file};
  if (!alt_names.empty()) {
    std::ofstream(base + ".ext") << "subjectAltName=" << joined(alt_names) << "\n";
    sign.insert(sign.end(), {"-extfile", base + ".ext"});
  }
  openssl(sign);
  return issued;
}

TestCertificates::Issued TestCertificates::self_signed(const std::string& common_name) {
  const std::string base = directory_ + "/self-" + std::to_string(++issued_);
  Issued issued{base + ".crt", base + ".key"};
  make_key(issued.key_file);
  openssl({"req", "-x509", "-new", "-key", issued.key_file, "-days", "2", "-subj",
           "/CN=" + common_name, "-addext", "subjectAltName=DNS:" + common_name, "-out",
           issued.cert_file});
  return issued;
}

}  // namespace compactor::testing
